"""Real servers for tests: gunicorn serving the app from the checkout, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tipsite.core import keys
from tipsite.site.config import ROOT

from .keyfiles import write_key_files

VENV_BIN = Path(sys.executable).parent
STAFF_TOKEN = "a-staff-token-only-the-hotline-knows"


def free_port() -> int:
    """A loopback port no one listens on now (the kernel's choice, so workers never clash)."""
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
    # Generous: under a full parallel run on two cores a start can take several seconds.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/da/privacy", timeout=5):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(f"gunicorn did not answer:\n{server.output()}")


def stop_gunicorn(server: LiveServer) -> None:
    """Stop the server (TERM, then KILL if it lingers) and reap it."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def site_in(folder: Path, pair: keys.KeyPair, **env: str) -> dict[str, str]:
    """TIPSITE_* variables for a site of its own in ``folder`` (key files, inbox,
    instance), with ``env`` added."""
    files = write_key_files(folder / "keys", pair)
    return {
        "TIPSITE_PUBLIC_KEY": str(files.public),
        "TIPSITE_INBOX": str(folder / "inbox"),
        "TIPSITE_INSTANCE": str(folder / "instance"),
        **env,
    }


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[LiveServer]:
    """A gunicorn with ``env`` for the length of the ``with`` block."""
    server = start_gunicorn(env, log)
    try:
        yield server
    finally:
        stop_gunicorn(server)
