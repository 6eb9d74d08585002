"""Shared fixtures: real key files, a real inbox folder, the app, and a real gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tipsite import keys
from tipsite.config import ROOT, Settings, load_settings

PASSPHRASE = "correct horse battery staple"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key files made in tests use Argon2id's 'interactive' cost (real, but quick)."""
    monkeypatch.setenv("HOTLINE_KDF_COST", "interactive")


@pytest.fixture(scope="session")
def keypair() -> keys.KeyPair:
    return keys.generate()


@dataclass
class KeyFiles:
    pair: keys.KeyPair
    public: Path
    private: Path
    passphrase: str = PASSPHRASE


def write_key_files(folder: Path, pair: keys.KeyPair, passphrase: str = PASSPHRASE) -> KeyFiles:
    """Write ``centre.pub`` and ``centre.key`` for ``pair`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    public, private = folder / "centre.pub", folder / "centre.key"
    keys.write_new_file(public, keys.public_key_text(pair.public), 0o644)
    keys.write_new_file(private, keys.private_key_text(pair, passphrase, "interactive"), 0o600)
    return KeyFiles(pair, public, private, passphrase)


@pytest.fixture
def key_files(tmp_path: Path, keypair: keys.KeyPair) -> KeyFiles:
    return write_key_files(tmp_path / "keys", keypair)


@pytest.fixture
def site_env(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """TIPSITE_* variables for a site with its own key, inbox and instance folder."""
    return {
        "TIPSITE_PUBLIC_KEY": str(key_files.public),
        "TIPSITE_INBOX": str(tmp_path / "inbox"),
        "TIPSITE_INSTANCE": str(tmp_path / "instance"),
    }


@pytest.fixture
def settings(site_env: dict[str, str]) -> Settings:
    return load_settings(site_env)


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from tipsite.app import create_app

    return create_app(settings, TESTING=True)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A gunicorn serving the real app on loopback."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    def output(self) -> str:
        """Everything gunicorn and the app printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")


def start_gunicorn(
    env: dict[str, str], log: Path, extra_args: tuple[str, ...] = (), port: int | None = None
) -> LiveServer:
    """Start ``gunicorn wsgi:app`` from the checkout and wait until it answers."""
    port = port or free_port()
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    out = log.open("ab")
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *extra_args, "wsgi:app"],
        cwd=ROOT,
        env=full_env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/da/privacy", timeout=2):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not answer:\n{server.output()}")


def stop_gunicorn(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def live_server(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    server = start_gunicorn(site_env, tmp_path / "gunicorn.log")
    yield server
    stop_gunicorn(server)
