"""Nothing lost: killed servers, full disks. A thanked tip is always in new/ and opens."""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tipsite.core import envelope, keys, payload

from .support.keyfiles import KeyFiles
from .support.servers import LiveServer, free_port, start_gunicorn, stop_gunicorn
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor

# Every test here starts a real server.
pytestmark = pytest.mark.live

RUN_SECONDS = 12.0  # at least; longer until enough tips were thanked (a busy machine)
GIVE_UP_SECONDS = 180.0
RESTART_EVERY = 4.0  # a full restart costs a couple of seconds of boot


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def kill_everything(server: LiveServer) -> None:
    """SIGKILL the master and all its workers at once, as a power cut would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(server.process.pid), signal.SIGKILL)
    server.process.wait()


@pytest.mark.slow
def test_killed_servers_lose_no_acknowledged_tip(
    tmp_path: Path, site_env: dict[str, str], key_files: KeyFiles
) -> None:
    env = {**site_env, "TIPSITE_RATELIMIT_ENABLED": "0"}
    port = free_port()
    log = tmp_path / "crash.log"
    server = start_gunicorn(env, log, ("--graceful-timeout", "1"), port=port, new_session=True)
    thanked: list[str] = []
    stop = threading.Event()

    def tipster() -> None:
        while not stop.is_set():
            marker = uuid.uuid4().hex
            try:
                reply = Visitor(server_url).send_tip(a_tip(description=f"marker {marker}"))
            except (OSError, http.client.HTTPException):
                continue  # the server is down right now; a real tipster would retry
            if reply.status == 303:
                thanked.append(marker)

    server_url = server.url
    threads = [threading.Thread(target=tipster) for _ in range(4)]
    for thread in threads:
        thread.start()
    rng = random.Random(7)  # noqa: S311 - a repeatable kill schedule, not a secret
    start = time.monotonic()
    kills = restarts = 0
    last_restart = start

    def enough() -> bool:
        ran = time.monotonic() - start
        done = ran >= RUN_SECONDS and kills >= 5 and restarts >= 1 and len(thanked) >= 20
        return done or ran >= GIVE_UP_SECONDS

    try:
        while not enough():
            time.sleep(rng.uniform(0.05, 0.4))
            if time.monotonic() - last_restart > RESTART_EVERY:
                last_restart = time.monotonic()
                kill_everything(server)
                server = start_gunicorn(env, log, ("--graceful-timeout", "1"), port=port,
                                        new_session=True)
                restarts += 1
            else:
                pids = worker_pids(server.process.pid)
                if pids:
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    kills += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        kill_everything(server)
    assert kills >= 5 and restarts >= 1 and len(thanked) >= 20, (kills, restarts, len(thanked))

    # A fresh start cleans tmp/ of anything a kill interrupted.
    server = start_gunicorn(env, log)
    stop_gunicorn(server)
    inbox = Path(env["TIPSITE_INBOX"])
    assert list((inbox / "tmp").iterdir()) == []
    stored = []
    for path in envelopes_in(inbox):
        assert path.stat().st_size > 0
        doc = payload.read_document(envelope.open_envelope(path.read_bytes(), [key_files.pair]))
        stored.append(str(doc["fields"]["description"]))  # type: ignore[index]
    stored_markers = {text.removeprefix("marker ") for text in stored}
    assert set(thanked) <= stored_markers
    assert len(stored) == len(stored_markers)  # nothing stored twice


# --- a full disk ------------------------------------------------------------------


@pytest.fixture
def tiny_inbox(tmp_path: Path) -> Path:
    """An inbox on a real 256 KiB file system, so the disk can really run full."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount)],
                   check=True)
    yield mount / "inbox"
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system under ``folder`` to the last byte."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_full_disk_shows_the_text_and_hotline_and_the_site_keeps_serving(
    tmp_path: Path, site_env: dict[str, str], tiny_inbox: Path, keypair: keys.KeyPair
) -> None:
    env = {**site_env, "TIPSITE_INBOX": str(tiny_inbox), "TIPSITE_RATELIMIT_ENABLED": "0"}
    server = start_gunicorn(env, tmp_path / "full.log")
    try:
        filler = fill(tiny_inbox.parent)
        visitor = Visitor(server.url)
        reply = visitor.send_tip(a_tip(description="Skurvogn bag pladsen, 8 mænd"))
        assert reply.status == 503
        assert "Skurvogn bag pladsen, 8 mænd" in reply.body
        assert "70 20 25 50" in reply.body
        assert envelopes_in(tiny_inbox) == []
        assert list((tiny_inbox / "tmp").iterdir()) == []
        filler.unlink()
        assert Visitor(server.url).send_tip(a_tip()).status == 303
        assert len(envelopes_in(tiny_inbox)) == 1
    finally:
        stop_gunicorn(server)
