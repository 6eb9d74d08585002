"""A real gunicorn for the benchmarks: the checkout's gunicorn.conf.py, a throwaway site."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    """A folder with a fresh key pair, inbox and instance, as an operator would set up."""

    folder: Path
    pair: object = field(repr=False)

    @classmethod
    def create(cls, base: str | None = None) -> Site:
        """A new site folder under ``base`` (default: the system's temp folder)."""
        from tipsite.core import keys  # the site's own key code, no test helpers

        folder = Path(tempfile.mkdtemp(prefix="tipsite-bench-", dir=base))
        pair = keys.generate()
        keys.write_new_file(folder / "centre.pub", keys.public_key_text(pair.public), 0o644)
        (folder / "instance").mkdir()
        return cls(folder, pair)

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    def env(self) -> dict[str, str]:
        return {
            "TIPSITE_PUBLIC_KEY": str(self.folder / "centre.pub"),
            "TIPSITE_INBOX": str(self.inbox),
            "TIPSITE_INSTANCE": str(self.folder / "instance"),
        }

    def tips_stored(self) -> int:
        return sum(1 for _ in (self.inbox / "new").iterdir())

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(site: Site, env: dict[str, str] | None = None) -> Server:
    """``gunicorn wsgi:app`` from the checkout (so gunicorn.conf.py applies), on loopback."""
    port = free_port()
    full_env = {**os.environ, **site.env(), **(env or {})}
    if "WEB_CONCURRENCY" not in (env or {}):
        full_env.pop("WEB_CONCURRENCY", None)  # the shipped default: two per core
    log = site.folder / f"gunicorn-{port}.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=full_env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "/da/privacy", timeout=2):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("gunicorn did not answer")
