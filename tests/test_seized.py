"""A seized running server dates nothing that can be kept from it (SECURITY.md).

A whole conversation runs on a real gunicorn (shipped gunicorn.conf.py): a tip,
the staff listing and fetching it, a reply put for the tipster, the tipster
reading it with their code, adding details, the staff deleting what they pulled,
the tipster deleting the replies. After every step, every file and folder the
site keeps shows midnight UTC of the day as its access and modification time:
no time of delivery, pull, reading or deletion. This file system mounts with
``relatime``, under which a read after a change would move the access time.

What no program can hide, the inode change time (and birth time), is measured in
the last test and described in SECURITY.md, "What a seized running server shows".
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipsite.core import envelope, payload, receipt
from tipsite.core.inbox import list_quietly, read_quietly, start_of_day

from .support.keyfiles import KeyFiles
from .support.servers import LiveServer, start_gunicorn, stop_gunicorn
from .support.tips import a_tip
from .support.visitor import Visitor, csrf_token_in

# Every test here starts a real server.
pytestmark = pytest.mark.live

TOKEN = "staff-token-for-the-seizure-test-93b1"
CODE = re.compile(r"\b(\d{4}(?: \d{4}){4})\b")  # 20 digits in groups of four


@pytest.fixture
def server(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    env = {**site_env, "WEB_CONCURRENCY": "2",
           "TIPSITE_STAFF_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()}
    live = start_gunicorn(env, tmp_path / "gunicorn.log")
    yield live
    stop_gunicorn(live)


def every_path(root: Path) -> list[Path]:
    """``root`` and everything under it, listed without touching access times."""
    paths = [root]
    if root.is_dir():
        for name in list_quietly(root):
            paths += every_path(root / name)
    return paths


def times_that_date_something(site: dict[str, str]) -> list[str]:
    """Every kept path whose access or modification time is not midnight of today."""
    midnight = start_of_day()
    instance = Path(site["TIPSITE_INSTANCE"])
    kept = [Path(site["TIPSITE_INBOX"]), instance / "replies", instance / "used-tokens"]
    # Stat everything first: listing a folder is itself a read of it.
    stats = {p: p.stat() for root in kept for p in every_path(root)}
    return [f"{p} atime={s.st_atime} mtime={s.st_mtime}"
            for p, s in stats.items() if (s.st_atime, s.st_mtime) != (midnight, midnight)]


def test_a_whole_conversation_leaves_only_the_day_in_file_times(
    server: LiveServer, site_env: dict[str, str], key_files: KeyFiles
) -> None:
    staff = Visitor(server.url, {"Authorization": f"Bearer {TOKEN}"})
    tipster = Visitor(server.url)

    assert tipster.send_tip(a_tip()).status == 303
    match = CODE.search(tipster.get("/da/thanks").body)
    assert match
    code = match.group(1)
    assert times_that_date_something(site_env) == []

    names = staff.get("/staff/v1/envelopes").body
    [name] = re.findall(r"[0-9a-f]{32}", names)
    assert staff.get(f"/staff/v1/envelopes/{name}").status == 200
    assert times_that_date_something(site_env) == []  # the pull's moment is not kept

    sealed_tip = read_quietly(Path(site_env["TIPSITE_INBOX"]) / "new" / name)  # as staff would
    tip = payload.read_document(envelope.open_envelope(sealed_tip, [key_files.pair]))
    reply_to = tip["reply_to"]
    assert isinstance(reply_to, dict)
    sealed = envelope.seal(payload.reply_document("Tak. Hvilken dør?", payload.utc_now()),
                           receipt.reply_public_key(reply_to["key"]))
    put = staff.request(f"/staff/v1/replies/{reply_to['lookup']}/{secrets.token_hex(16)}",
                        sealed, {"Content-Type": "application/octet-stream"}, "PUT")
    assert put.status == 201
    assert times_that_date_something(site_env) == []

    def followup(action: str, message: str = "") -> str:
        token = csrf_token_in(tipster.get("/da/followup").body)
        page = tipster.post_form("/da/followup", [("csrf_token", token), ("code", code),
                                                  ("action", action), ("message", message)])
        assert page.status == 200
        return page.body

    assert "Hvilken dør?" in followup("read")
    assert times_that_date_something(site_env) == []  # reading it dates nothing
    followup("add", "Bagdøren, ved containerne.")
    assert times_that_date_something(site_env) == []
    assert staff.request(f"/staff/v1/envelopes/{name}", method="DELETE").status == 204
    assert times_that_date_something(site_env) == []
    assert "Hvilken dør?" not in followup("delete")
    assert times_that_date_something(site_env) == []  # nor does deleting it


def test_what_remains_the_inode_change_time_of_an_envelope_is_exact(
    server: LiveServer, site_env: dict[str, str]
) -> None:
    """No program can set ctime (or birth time): it shows the moment of the delivery.

    SECURITY.md says so, with this measurement; a pull soon after delivery is what
    shrinks the window, as an envelope pulled off the server takes its ctime along.
    """
    assert Visitor(server.url).send_tip(a_tip()).status == 303
    new = Path(site_env["TIPSITE_INBOX"]) / "new"
    [name] = list_quietly(new)
    info = os.stat(new / name)
    assert info.st_mtime == start_of_day()  # hidden
    assert info.st_ctime > start_of_day()  # not hideable: the moment of the rename
