"""The whole channel: a real gunicorn, a real form post, the installed `hotline` reads it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .support.keyfiles import KeyFiles
from .support.servers import VENV_BIN, LiveServer
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor

# Every test here starts a real server.
pytestmark = pytest.mark.live

TEXT = "Kvinderne i klinikken på Østergade sover der om natten 😟 "
DESCRIPTION = TEXT + "<script>alert('x')</script>"


def test_a_tip_sent_through_the_form_is_read_by_hotline(
    live_server: LiveServer, key_files: KeyFiles, site_env: dict[str, str]
) -> None:
    visitor = Visitor(live_server.url)
    reply = visitor.send_tip(a_tip(description=DESCRIPTION, indicators=["A4", "D3"]))
    assert reply.status == 303
    assert reply.headers["Location"].endswith("/da/thanks")
    assert visitor.get("/da/thanks").status == 200

    inbox = Path(site_env["TIPSITE_INBOX"])
    exported = subprocess.run(
        [str(VENV_BIN / "hotline"), "export", "--inbox", str(inbox),
         "--key", str(key_files.private), "--format", "json"],
        env={**os.environ, "HOTLINE_PASSPHRASE": key_files.passphrase},
        capture_output=True, check=True, timeout=60,
    )
    [tip] = json.loads(exported.stdout)
    assert tip["description"] == TEXT + "alert('x')"  # the markup is gone, the text is not
    assert tip["setting"] == "massage_clinic"
    assert tip["indicators"] == ["A4", "D3"]
    assert tip["id"] and tip["received_at"]

    # Not one recognisable piece of the tip's text is in any inbox file.
    files = [p for p in inbox.rglob("*") if p.is_file()]
    assert files == envelopes_in(inbox)
    for piece in ("Kvinderne", "Østergade", "😟", "klinikken", "alert"):
        for path in files:
            assert piece.encode() not in path.read_bytes(), (piece, path)
