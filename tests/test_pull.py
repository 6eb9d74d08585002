"""``hotline pull`` against a real gunicorn: nothing lost, nothing doubled, no key swap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tipsite.core import keys

from .support.hotline import HOTLINE, hotline, staff_worker_env
from .support.keyfiles import KeyFiles
from .support.servers import STAFF_TOKEN, LiveServer
from .support.tips import a_tip, deliver
from .support.visitor import Visitor

TOKEN = STAFF_TOKEN
FORM_TEXT = "Kvinderne på Østergade sover i klinikken 😟 "


@pytest.fixture
def env(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """A hotline worker: the centre's key in the keyring, the token in a 0600 file."""
    return staff_worker_env(tmp_path, key_files.private, TOKEN)


def waiting(site_env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in (Path(site_env["TIPSITE_INBOX"]) / "new").iterdir())


def stored(tmp_path: Path) -> list[str]:
    folder = tmp_path / "store" / "tips"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def pull_args(server: LiveServer, tmp_path: Path) -> list[str]:
    return ["pull", server.url, "--token-file", str(tmp_path / "staff.token")]


@pytest.mark.live
def test_pull_moves_every_tip_into_the_store_and_empties_the_server(
    tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str], key_files: KeyFiles,
    env: dict[str, str],
) -> None:
    reply = Visitor(staff_server.url).send_tip(
        a_tip(description=FORM_TEXT + "<script>alert(1)</script>", indicators=["A4"]))
    assert reply.status == 303
    sealed = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 5)
    everything = waiting(site_env)
    assert len(everything) == 6

    result = hotline(pull_args(staff_server, tmp_path), env)
    assert result.returncode == 0, result.stderr
    assert "Pulled 6 new envelopes (tips or follow-ups)" in result.stdout
    assert waiting(site_env) == []
    assert stored(tmp_path) == everything

    records = json.loads(hotline(["export"], env).stdout)
    assert sorted(r["id"] for r in records) == everything
    [form_tip] = [r for r in records if r["id"] not in sealed]
    assert form_tip["description"] == FORM_TEXT + "alert(1)"
    assert form_tip["indicators"] == ["A4"]
    # The server's output never names an envelope or the token.
    log = staff_server.output()
    for secret in (*everything, TOKEN):
        assert secret not in log


@pytest.mark.live
def test_a_wrong_token_gets_401_and_changes_nothing(
    tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str], key_files: KeyFiles,
    env: dict[str, str],
) -> None:
    names = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 3)
    result = hotline(["pull", staff_server.url], {**env, "HOTLINE_TOKEN": "not-the-token"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: the site refused the staff token (401)\n")
    assert "hint: " in result.stderr and "Traceback" not in result.stderr
    assert waiting(site_env) == sorted(names)
    assert stored(tmp_path) == []


def test_without_a_token_pull_says_where_it_comes_from(env: dict[str, str]) -> None:
    result = hotline(["pull", "http://127.0.0.1:9"], env)
    assert result.returncode == 1
    assert result.stderr == ("error: no staff token\n"
                             "hint: give --token-file FILE or set HOTLINE_TOKEN\n")


@pytest.mark.live
def test_keep_leaves_the_envelopes_on_the_server(
    tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str], key_files: KeyFiles,
    env: dict[str, str],
) -> None:
    names = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 3)
    kept = hotline([*pull_args(staff_server, tmp_path), "--keep"], env)
    assert kept.returncode == 0, kept.stderr
    assert waiting(site_env) == sorted(names) == stored(tmp_path)
    moved = hotline(pull_args(staff_server, tmp_path), env)
    assert "Pulled 0 new envelopes" in moved.stdout and "(3 were already there)" in moved.stdout
    assert waiting(site_env) == [] and stored(tmp_path) == sorted(names)


@pytest.mark.live
def test_a_pull_killed_midway_and_rerun_has_every_tip_exactly_once(
    tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str], key_files: KeyFiles,
    env: dict[str, str],
) -> None:
    names = sorted(deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 200))
    process = subprocess.Popen([str(HOTLINE), *pull_args(staff_server, tmp_path)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(stored(tmp_path)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)  # no clean-up, no finally: like a pulled plug
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert 0 < len(stored(tmp_path)) < len(names)  # it really was cut off mid-way
    assert waiting(site_env)

    rerun = hotline(pull_args(staff_server, tmp_path), env)
    assert rerun.returncode == 0, rerun.stderr
    assert waiting(site_env) == []
    assert stored(tmp_path) == names
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    listed = hotline(["list"], env).stdout.splitlines()
    assert sorted(line.split()[0] for line in listed) == [n[:8] for n in names]


@pytest.mark.live
def test_a_swapped_server_key_makes_pull_refuse(
    tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str], key_files: KeyFiles,
    env: dict[str, str],
) -> None:
    names = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 2)
    intruder = keys.generate()
    # Whoever took the server puts their own public key where the centre's was.
    Path(site_env["TIPSITE_PUBLIC_KEY"]).write_text(keys.public_key_text(intruder.public))
    result = hotline(pull_args(staff_server, tmp_path), env)
    assert result.returncode == 3
    assert result.stderr.startswith(f"error: STOP: the site seals tips to key "
                                    f"{intruder.fingerprint}, which is NOT one of your keys")
    assert "hint: " in result.stderr
    assert waiting(site_env) == sorted(names) and stored(tmp_path) == []


def test_plain_http_to_another_machine_is_refused(env: dict[str, str]) -> None:
    result = hotline(["pull", "http://tips.example.dk", "--token-file", "/dev/null"],
                     {**env, "HOTLINE_TOKEN": TOKEN})
    assert result.returncode == 1
    assert result.stderr.startswith("error: refusing plain http:// to tips.example.dk")
