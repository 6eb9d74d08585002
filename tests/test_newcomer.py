"""Small things a newcomer met (issue 11): each now does what it says."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from .support.hotline import staff_env
from .support.keyfiles import KeyFiles
from .support.servers import VENV_BIN, free_port
from .support.tips import deliver


def test_favicon_answers_no_content_instead_of_a_redirect(client: FlaskClient) -> None:
    reply = client.get("/favicon.ico")
    assert reply.status_code == 204 and reply.data == b""


def test_export_to_a_shell_redirect_warns_and_names_out(tmp_path: Path, key_files: KeyFiles
                                                        ) -> None:
    env = staff_env(tmp_path, key_files.passphrase)
    inbox = tmp_path / "inbox"
    deliver(inbox, key_files.pair.public, 1)
    args = [str(VENV_BIN / "hotline"), "export", "--inbox", str(inbox), "--key",
            str(key_files.private)]
    with (tmp_path / "tips.json").open("wb") as redirected:
        ran = subprocess.run(args, env=env, stdout=redirected, stderr=subprocess.PIPE,
                             text=False, timeout=60, check=False)
    stderr = ran.stderr.decode()
    assert ran.returncode == 0, stderr
    assert "warning: the export went to a file" in stderr and "use --out FILE" in stderr
    assert (tmp_path / "tips.json").read_text().startswith("[")
    piped = subprocess.run(args, env=env, capture_output=True, timeout=60, check=False)
    assert piped.returncode == 0 and b"warning" not in piped.stderr  # a pipe is fine


@pytest.mark.live
def test_the_dev_servers_hotline_command_runs_as_printed(tmp_path: Path) -> None:
    """`make run` prints a command to read tips; pasted into a plain shell (no venv on
    PATH), it works (it used to fail with 'hotline: command not found')."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1",
           "TIPSITE_PUBLIC_KEY": str(tmp_path / "keys" / "centre.pub"),
           "TIPSITE_INSTANCE": str(tmp_path / "instance")}
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(VENV_BIN / "tipsite"), "dev", "--port", str(free_port())],
                                   env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "HOTLINE_PASSPHRASE=" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    [command] = [line.strip() for line in log.read_text().splitlines()
                 if line.strip().startswith("HOTLINE_PASSPHRASE=")]
    ran = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert "No tips." in ran.stderr
