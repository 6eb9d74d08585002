"""`make run` (`tipsite dev`): a development key pair when none exists, the form served."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tipsite.core import keys

from .support.servers import VENV_BIN, free_port

# Every test here starts a real server.
pytestmark = pytest.mark.live


def test_dev_server_makes_a_key_pair_says_where_and_logs_no_address(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "TIPSITE_PUBLIC_KEY": str(tmp_path / "keys" / "centre.pub"),
           "TIPSITE_INSTANCE": str(tmp_path / "instance")}
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(VENV_BIN / "tipsite"), "dev", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, page = time.monotonic() + 60, ""
        while not page and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/da/", timeout=2) as r:
                    page = r.read().decode()
            except OSError:
                time.sleep(0.2)
        assert 'name="description"' in page
    finally:
        process.terminate()
        process.wait(timeout=10)
    output = log.read_text()
    private = tmp_path / "instance" / "dev-staff" / "centre.key"
    assert "DEVELOPMENT key pair" in output
    assert str(private) in output and "development" in output
    assert keys.read_fingerprint(private) == keys.read_fingerprint(tmp_path / "keys" / "centre.pub")
    assert keys.load_private_key(private, "development")
    assert "127.0.0.1 -" not in output  # the development server's access log is off too
