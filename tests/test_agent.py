"""The key agent (issue 17): unlock once per working session, forget on lock or when idle.

Real processes: hotline at a pseudo-terminal, the agent it starts, its unix socket.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.core.errors import NotPrivate
from tipsite.hotline import agent

from .support.hotline import hotline, staff_worker_env
from .support.hotline_terminal import at_terminal
from .support.keyfiles import PASSPHRASE, KeyFiles, write_key_files
from .support.tips import deliver

PROMPT = "Passphrase for key"


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def person(tmp_path: Path, key_files: KeyFiles, runtime: Path) -> Iterator[dict[str, str]]:
    """A worker who types the passphrase (none in the environment), with tips to read."""
    env = staff_worker_env(tmp_path, key_files.private, "token", XDG_RUNTIME_DIR=str(runtime),
                           TMPDIR=str(tmp_path))
    deliver(tmp_path / "inbox", key_files.pair.public, 2)
    assert hotline(["import", str(tmp_path / "inbox")], env).returncode == 0
    del env["HOTLINE_PASSPHRASE"]
    yield env
    hotline(["lock"], env)  # never leave an agent behind a test


def run(args: list[str], env: dict[str, str], *answers: tuple[str, str]) -> int:
    """Run hotline at a terminal, typing the passphrase when asked; how often it asked."""
    session = at_terminal(args, env)
    code = session.finish([(PROMPT, PASSPHRASE), *answers])
    assert code == 0, session.screen
    return session.prompts


def socket_file(runtime: Path) -> Path:
    return runtime / agent.FOLDER_NAME / agent.SOCKET_NAME


def wait_until_gone(path: Path) -> None:
    deadline = time.monotonic() + 60
    while path.exists():
        assert time.monotonic() < deadline, f"{path} is still there"
        time.sleep(0.1)


def test_the_second_command_needs_no_passphrase_and_lock_makes_it_ask_again(
    person: dict[str, str], runtime: Path
) -> None:
    assert run(["list"], person) == 1
    assert run(["list"], person) == 0
    assert run(["export", "--format", "json"], person) == 0
    locked = hotline(["lock"], person)
    assert locked.returncode == 0 and locked.stdout == "Locked: the agent forgot your keys.\n"
    wait_until_gone(socket_file(runtime))
    assert run(["list"], person) == 1
    assert hotline(["lock"], person).returncode == 0
    again = hotline(["lock"], person)
    assert again.stdout == "No agent was running; no key is unlocked.\n"


def test_the_agent_forgets_after_the_idle_time(
    person: dict[str, str], runtime: Path
) -> None:
    env = {**person, "HOTLINE_AGENT_IDLE": "2s"}
    assert run(["list"], env) == 1
    assert socket_file(runtime).exists()
    wait_until_gone(socket_file(runtime))  # nobody asked for 2 s: it forgot and left
    assert run(["list"], env) == 1


def test_the_agent_is_not_used_when_turned_off_or_given_the_passphrase(
    person: dict[str, str], runtime: Path
) -> None:
    off = {**person, "HOTLINE_AGENT": "0"}
    assert run(["list"], off) == 1
    assert run(["list"], off) == 1
    scripted = hotline(["list"], {**person, "HOTLINE_PASSPHRASE": PASSPHRASE})
    assert scripted.returncode == 0
    assert not socket_file(runtime).exists()  # no agent was started by either


def test_after_a_key_rotation_both_passphrases_are_asked_once(
    tmp_path: Path, key_files: KeyFiles, person: dict[str, str]
) -> None:
    newer = keys.generate()
    files = write_key_files(tmp_path / "newer", newer, "a second, different passphrase")
    assert hotline(["keys", "--add", str(files.private)], person).returncode == 0
    deliver(tmp_path / "inbox2", newer.public, 1)
    assert hotline(["import", str(tmp_path / "inbox2")], person).returncode == 0
    first = key_files.pair.fingerprint
    session = at_terminal(["list"], person)
    code = session.finish([(f"{PROMPT} {first}", PASSPHRASE),
                           (f"{PROMPT} {newer.fingerprint}", files.passphrase)])
    assert code == 0, session.screen
    assert session.prompts == 2
    assert run(["list"], person) == 0  # both keys held: nothing asked


def test_the_socket_is_the_users_alone(person: dict[str, str], runtime: Path) -> None:
    run(["list"], person)
    path = socket_file(runtime)
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.stat().st_uid == os.getuid()
    # Nothing but the socket: the opened keys live in the agent's memory only.
    assert [p.name for p in path.parent.iterdir()] == [agent.SOCKET_NAME]


def test_a_shared_agent_folder_is_refused(person: dict[str, str], runtime: Path) -> None:
    folder = runtime / agent.FOLDER_NAME
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)  # as another user could have made it, to catch our keys
    session = at_terminal(["list"], person)
    code = session.finish([(PROMPT, PASSPHRASE)])
    assert code == 1
    assert f"error: the agent's folder {folder} is not yours alone" in session.screen
    assert session.prompts == 0  # refused before a passphrase was typed


OTHER_USER = 65534  # nobody
SYSTEM_PYTHON = Path("/usr/bin/python3")  # one any user may run (the venv's is ours)


@pytest.mark.skipif(os.getuid() != 0 or not SYSTEM_PYTHON.exists(),
                    reason="needs root to act as another user")
def test_another_user_gets_nothing_from_the_agent(person: dict[str, str]) -> None:
    # A runtime folder outside pytest's own (0700) tree, so only our modes decide.
    runtime = Path(tempfile.mkdtemp())
    env = {**person, "XDG_RUNTIME_DIR": str(runtime)}
    path = socket_file(runtime)
    try:
        run(["list"], env)
        assert other_user_connects(path) == "refused"  # the folder (0700) keeps them out
        # Even with the folders and the socket opened up, the agent checks who asks.
        runtime.chmod(0o711)
        path.parent.chmod(0o711)
        path.chmod(0o666)
        assert other_user_connects(path) == "answer:"  # let in, closed without a word
        with pytest.raises(NotPrivate):  # and our side trusts no shared folder
            agent.Agent(path).running()
        path.parent.chmod(0o700)
        assert agent.Agent(path).running()  # the agent itself carried on
    finally:
        path.parent.chmod(0o700)
        hotline(["lock"], env)
        shutil.rmtree(runtime, ignore_errors=True)


def other_user_connects(path: Path) -> str:
    """What user 'nobody' gets when it asks the agent at ``path`` for a ping."""
    probe = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        "    s.connect(sys.argv[1])\n"
        "except PermissionError:\n"
        "    print('refused'); sys.exit()\n"
        "try:\n"
        "    s.sendall(b'{\"op\": \"ping\"}\\n')\n"
        "    data = s.recv(100)\n"
        "except (ConnectionResetError, BrokenPipeError):\n"
        "    data = b''\n"
        "print('answer:' + data.decode())\n"
    )
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", probe, str(path)], user=OTHER_USER,
                          capture_output=True, text=True, timeout=30, cwd="/",
                          env={"PATH": "/usr/bin:/bin"})
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def test_the_protocol_answers_as_documented(tmp_path: Path, key_files: KeyFiles) -> None:
    path = tmp_path / "a" / agent.SOCKET_NAME
    client = agent.Agent(path, idle=60)
    assert client.get([key_files.pair.key_id]) == []  # none running: nothing, no error
    assert client.add([key_files.pair])
    [back] = client.get([key_files.pair.key_id, b"\x00" * 8])
    assert back.public == key_files.pair.public
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(path))
        conn.sendall(b'{"op": "ping"}\n')
        assert json.loads(conn.makefile().readline()) == {"ok": True, "held": 1}
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(path))
        conn.sendall(b'{"op": "fetch everything"}\n')
        assert json.loads(conn.makefile().readline()) == {"error": "unknown op"}
    assert client.lock()
    wait_until_gone(path)
    assert not client.running()


@pytest.mark.parametrize(("text", "seconds"), [("", 1800), ("90", 90), ("90s", 90),
                                               ("30m", 1800), ("1h", 3600)])
def test_idle_time_settings(text: str, seconds: int) -> None:
    assert agent.idle_seconds({"HOTLINE_AGENT_IDLE": text}) == seconds


def test_a_mistyped_idle_time_is_refused_before_any_prompt(person: dict[str, str]) -> None:
    result = hotline(["list"], {**person, "HOTLINE_AGENT_IDLE": "half an hour"})
    assert result.returncode == 1
    assert result.stderr == ("error: HOTLINE_AGENT_IDLE='half an hour' is not a time\n"
                             "hint: give seconds or minutes, e.g. 1800 or 30m\n")
