"""Shared fixtures: real key files, a real inbox folder, the app, and a real gunicorn."""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.site.config import ROOT, SiteConfig, load_config

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
def settings(site_env: dict[str, str]) -> SiteConfig:
    return load_config(site_env)


@pytest.fixture
def app(settings: SiteConfig):  # type: ignore[no-untyped-def]
    from tipsite.site.app import create_app

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
    env: dict[str, str],
    log: Path,
    extra_args: tuple[str, ...] = (),
    port: int | None = None,
    new_session: bool = False,
) -> LiveServer:
    """Start ``gunicorn wsgi:app`` from the checkout and wait until it answers.

    ``new_session`` puts the server in its own process group, so a test can kill
    the master and every worker at once.
    """
    port = port or free_port()
    # Two workers are enough to prove multi-process behaviour and keep the suite light.
    full_env = {"WEB_CONCURRENCY": "2", **os.environ, **env, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *extra_args, "wsgi:app"],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
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


STAFF_TOKEN = "a-staff-token-only-the-hotline-knows"


@pytest.fixture
def staff_server(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    """The site under gunicorn with the staff API on (it knows only the token's hash)."""
    digest = hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()
    server = start_gunicorn({**site_env, "TIPSITE_STAFF_TOKEN_SHA256": digest},
                            tmp_path / "staff-gunicorn.log")
    yield server
    stop_gunicorn(server)


@pytest.fixture(scope="module")
def shared_server(
    tmp_path_factory: pytest.TempPathFactory, keypair: keys.KeyPair
) -> Iterator[LiveServer]:
    """One gunicorn for a whole test module (limits off): for tests that only read it."""
    folder = tmp_path_factory.mktemp("shared")
    files = write_key_files(folder / "keys", keypair)
    env = {
        "TIPSITE_PUBLIC_KEY": str(files.public),
        "TIPSITE_INBOX": str(folder / "inbox"),
        "TIPSITE_INSTANCE": str(folder / "instance"),
        "TIPSITE_RATELIMIT_ENABLED": "0",
    }
    server = start_gunicorn(env, folder / "gunicorn.log")
    yield server
    stop_gunicorn(server)


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the form on a page."""
    match = CSRF_INPUT.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class Reply:
    status: int
    headers: Message
    body: str


class Visitor:
    """A tipster's browser without JavaScript: real HTTP, cookies kept, no redirects followed."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = headers or {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None, method: str | None = None) -> Reply:
        req = urllib.request.Request(  # noqa: S310 - loopback test server
            self.base_url + path, data=data, headers={**self.headers, **(headers or {})},
            method=method,
        )
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Reply(resp.status, resp.headers, resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.headers, err.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Reply:
        return self.request(path)

    def post_form(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            path, body, {"Content-Type": "application/x-www-form-urlencoded"}, "POST"
        )

    def send_tip(self, fields: dict[str, str | list[str]], lang: str = "da") -> Reply:
        """Open the front page, then post ``fields`` with the page's CSRF token."""
        token = csrf_token_in(self.get(f"/{lang}/").body)
        pairs: list[tuple[str, str]] = [("csrf_token", token)]
        for name, value in fields.items():
            values = value if isinstance(value, list) else [value]
            pairs.extend((name, v) for v in values)
        return self.post_form(f"/{lang}/tip", pairs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def a_tip(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """A valid tip, with ``changes`` applied."""
    tip: dict[str, str | list[str]] = {
        "setting": "massage_clinic",
        "location": "Hovedgaden 12, 4000 Roskilde",
        "description": "Kvinderne ser ud til at sove i klinikken.",
    }
    tip.update(changes)
    return tip


def envelopes_in(inbox: Path) -> list[Path]:
    """The complete envelopes in an inbox's new/ folder."""
    return sorted((inbox / "new").iterdir()) if (inbox / "new").exists() else []


def open_all(inbox: Path, pair: keys.KeyPair) -> list[dict[str, object]]:
    """Decrypt every envelope in ``inbox`` and return the payload documents."""
    from tipsite.core import envelope, payload

    return [
        payload.read_document(envelope.open_envelope(p.read_bytes(), [pair]))
        for p in envelopes_in(inbox)
    ]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Chromium for every browser test of the session (started once, on first use)."""
    from .support.browser import launched

    with launched() as chromium:
        yield chromium


@pytest.fixture
def gunicorns(tmp_path: Path, site_env: dict[str, str]) -> Iterator[object]:
    """Start gunicorns with this test's site (``site_env``) and extra ``env``; all are
    stopped after the test. ``port`` reuses an address (a restart)."""
    started: list[LiveServer] = []

    def start(port: int | None = None, **env: str) -> LiveServer:
        server = start_gunicorn({**site_env, **env}, tmp_path / f"g{len(started)}.log",
                                port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_gunicorn(server)
