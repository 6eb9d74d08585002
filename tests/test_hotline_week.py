"""`hotline` through a worker's week (issue 17): privacy on disk, drafts, questions, wording.

Real subprocesses throughout; the ones that ask something run at a pseudo-terminal
(tests/support/hotline_terminal.py), as a worker at a desk would.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.hotline.store import Store

from .support.hotline import HOTLINE, hotline, staff_env, staff_worker_env
from .support.hotline_terminal import at_terminal, deliver_with_code, seal_tip_with_code
from .support.keyfiles import PASSPHRASE, KeyFiles
from .support.servers import STAFF_TOKEN, LiveServer
from .support.tips import deliver

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a reply is kept, never sent
DRAFT_TEXT = "Tak for dit tip. Kan du sige mere om bilen? (udkast-3H8)"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def worker(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """A worker's environment: key in the keyring, token file 0600, private temp folders."""
    runtime, temp = tmp_path / "runtime", tmp_path / "systemp"
    runtime.mkdir(mode=0o700)
    temp.mkdir()
    return staff_worker_env(tmp_path, key_files.private, STAFF_TOKEN,
                            XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(temp),
                            HOTLINE_AGENT="0")


def a_tip_in_the_store(tmp_path: Path, key_files: KeyFiles, env: dict[str, str]) -> str:
    """One tip with a receipt code, imported into the worker's store; its id."""
    name = deliver_with_code(tmp_path / "inbox", key_files.pair.public)
    assert hotline(["import", str(tmp_path / "inbox")], env).returncode == 0
    return name


# --- the store and the token are the user's alone ----------------------------------------


@pytest.mark.parametrize("first", ["keygen", "keys --add"])
def test_a_store_made_under_umask_022_is_private(
    tmp_path: Path, key_files: KeyFiles, first: str
) -> None:
    env = staff_env(tmp_path, PASSPHRASE, HOTLINE_STORE=str(tmp_path / "deep" / "store"))
    command = ["keygen"] if first == "keygen" else ["keys", "--add", str(key_files.private)]
    made = subprocess.run([str(HOTLINE), *command], env=env, capture_output=True, text=True,
                          umask=0o022, start_new_session=True, timeout=120)
    assert made.returncode == 0, made.stderr
    store = tmp_path / "deep" / "store"
    assert mode(store) == 0o700
    assert mode(store / "keys") == 0o700
    [private] = (store / "keys").glob("*.key")
    assert mode(private) == 0o600
    inbox = tmp_path / "inbox"
    deliver(inbox, keys.load_public_key(next((store / "keys").glob("*.pub"))), 1)
    imported = subprocess.run([str(HOTLINE), "import", str(inbox)], env=env, capture_output=True,
                              text=True, umask=0o022, start_new_session=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    for folder in ("tips", "tmp"):
        assert mode(store / folder) == 0o700


@pytest.mark.parametrize("target", ["store", "store/keys"])
def test_a_store_or_keys_folder_others_can_read_is_refused(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str], target: str
) -> None:
    a_tip_in_the_store(tmp_path, key_files, worker)
    folder = tmp_path / target
    folder.chmod(0o755)
    for command in (["list"], ["keys"], ["pull"]):
        result = hotline(command, worker)
        assert result.returncode == 1, result.stdout
        what = "store" if target == "store" else "keys folder"
        assert result.stderr.startswith(f"error: the {what} {folder} ")
        assert "can be read by other users (mode 755)" in result.stderr
        assert f"hint: make it yours only: chmod 700 {folder}" in result.stderr
    folder.chmod(0o700)
    assert hotline(["list"], worker).returncode == 0


def test_a_token_file_others_can_read_is_refused(
    tmp_path: Path, worker: dict[str, str]
) -> None:
    token = tmp_path / "staff.token"
    token.chmod(0o644)
    result = hotline(["pull", NOWHERE, "--token-file", str(token)], worker)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: the token file {token} can be read by other users (mode 644)\n"
        f"hint: make it yours only: chmod 600 {token}\n")
    assert Store(tmp_path / "store").site() is None  # the site was never contacted


# --- the reply's draft never outlives the command ------------------------------------------


def slow_editor(tmp_path: Path) -> tuple[Path, Path]:
    """An editor that writes the reply, says where, then stays open (a person thinking)."""
    script, marker = tmp_path / "slow-editor", tmp_path / "editor-opened"
    script.write_text("#!/bin/sh\n"
                      f"printf '%s\\n' '{DRAFT_TEXT}' >> \"$1\"\n"
                      f"echo \"$$ $1\" > '{marker}.tmp' && mv '{marker}.tmp' '{marker}'\n"
                      "exec sleep 600\n")
    script.chmod(0o700)
    return script, marker


def wait_for_file(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, "hotline ended before its editor opened"
        assert time.monotonic() < deadline, "the editor never opened"
        time.sleep(0.05)


def ignores_sigint(pid: int) -> bool:
    """True once the process ``pid`` ignores SIGINT (its SigIgn mask in /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    [mask] = [line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")]
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def wait_until_ignoring_sigint(process: subprocess.Popen[bytes]) -> None:
    """Wait until hotline hands Ctrl-C to its editor: it starts the editor first and
    only then ignores SIGINT, so a Ctrl-C in between would stop hotline itself."""
    deadline = time.monotonic() + 60
    while not ignores_sigint(process.pid):
        assert process.poll() is None, "hotline ended while its editor was open"
        assert time.monotonic() < deadline, "hotline never left Ctrl-C to its editor"
        time.sleep(0.01)


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("signum", "runtime"), [
    (signal.SIGHUP, True),  # the terminal window is closed
    (signal.SIGTERM, True),  # the session ends, or someone runs kill
    (signal.SIGTERM, False),  # no XDG_RUNTIME_DIR: the draft goes to the system temp dir
], ids=["SIGHUP", "SIGTERM", "SIGTERM-no-runtime-dir"])
def test_a_reply_killed_while_the_editor_is_open_leaves_no_file(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str], signum: int, runtime: bool
) -> None:
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    editor, marker = slow_editor(tmp_path)
    env = {**worker, "EDITOR": str(editor), "HOTLINE_TOKEN": STAFF_TOKEN}
    if not runtime:
        del env["XDG_RUNTIME_DIR"]
    session = at_terminal(["reply", name[:8], "--url", NOWHERE], env)
    wait_for_file(marker, session.process)
    pid, draft = marker.read_text().split(maxsplit=1)
    draft_path = Path(draft.strip())
    # The draft was where it should be: a private folder of its own, the text inside.
    base = tmp_path / ("runtime" if runtime else "systemp")
    assert draft_path.parent.parent == base
    assert mode(draft_path.parent) == 0o700 and mode(draft_path) == 0o600
    assert DRAFT_TEXT in draft_path.read_text()

    session.process.send_signal(signum)
    code = session.finish()
    assert code == 128 + signum
    assert "stopped; the reply was not sent, and its draft is removed" in session.screen
    assert "Traceback" not in session.screen
    assert files_under(tmp_path / "runtime") == []
    assert files_under(tmp_path / "systemp") == []
    assert gone(int(pid)), "the editor was left running on a removed draft"
    assert Store(tmp_path / "store").replies() == []


def test_a_draft_left_by_a_killed_reply_is_removed_by_the_next(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    """SIGKILL cannot be caught: the next reply clears what it left behind."""
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    editor, marker = slow_editor(tmp_path)
    env = {**worker, "EDITOR": str(editor), "HOTLINE_TOKEN": STAFF_TOKEN}
    session = at_terminal(["reply", name[:8], "--url", NOWHERE], env)
    wait_for_file(marker, session.process)
    pid = int(marker.read_text().split()[0])
    session.process.kill()
    session.finish()
    os.kill(pid, signal.SIGKILL)
    assert files_under(tmp_path / "runtime") != []
    marker.unlink()
    again = at_terminal(["reply", name[:8], "--url", NOWHERE], env)
    wait_for_file(marker, again.process)
    left = [p for p in (tmp_path / "runtime").iterdir()]
    assert len(left) == 1 and str(again.process.pid) in left[0].name
    again.process.send_signal(signal.SIGTERM)
    again.finish()
    assert files_under(tmp_path / "runtime") == []


def test_without_an_editor_the_reply_is_typed_at_the_terminal(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    empty = tmp_path / "no-editors-here"
    empty.mkdir()
    env = {k: v for k, v in worker.items() if k not in ("EDITOR", "VISUAL")}
    env.update(PATH=str(empty), HOTLINE_TOKEN=STAFF_TOKEN)  # no nano, no Debian 'editor'
    session = at_terminal(["reply", name[:8], "--url", NOWHERE], env)
    session.wait_for("end with a line holding only '.'")
    session.type("Tak for dit tip.")
    session.type("Vi ser på det i dag.")
    session.type(".")
    session.wait_for("Send this reply? [y/N]")
    code = session.finish([("Send this reply?", "n")])
    assert code == 1
    screen = session.screen
    assert "To the tipster of tip " + name[:8] in screen and "Nørregade 12" in screen
    assert "  Tak for dit tip.\r\n  Vi ser på det i dag." in screen
    assert "error: not sent; nothing was stored" in screen
    assert "Select an editor" not in screen and "vim" not in screen
    assert Store(tmp_path / "store").replies() == []
    assert files_under(tmp_path / "runtime") == [] and files_under(tmp_path / "systemp") == []


def test_reply_with_no_terminal_and_no_yes_refuses_before_anything(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    result = hotline(["reply", name[:8], "--url", NOWHERE],
                     {**worker, "HOTLINE_TOKEN": STAFF_TOKEN}, stdin="Tak")
    assert result.returncode == 1
    assert result.stderr == ("error: there is no terminal to ask 'send this reply?' on\n"
                             "hint: add --yes to send without asking (scripts)\n")
    assert Store(tmp_path / "store").replies() == []


# --- the morning with fewer arguments ----------------------------------------------------


@pytest.mark.live
def test_the_site_and_token_file_are_remembered_and_the_passphrase_asked_at_the_terminal(
    tmp_path: Path, key_files: KeyFiles, staff_server: LiveServer, site_env: dict[str, str],
    worker: dict[str, str],
) -> None:
    token_file = tmp_path / "staff.token"
    Path(site_env["TIPSITE_INBOX"], "new").mkdir(parents=True, exist_ok=True)
    name = deliver_with_code(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public)
    first = hotline(["pull", staff_server.url, "--token-file", str(token_file)], worker)
    assert first.returncode == 0, first.stderr
    assert "Pulled 1 new envelope (tips or follow-ups)" in first.stdout
    state = (tmp_path / "store" / "state.sqlite3").read_bytes()
    assert STAFF_TOKEN.encode() not in state and str(token_file).encode() in state

    again = hotline(["pull"], worker)
    assert again.returncode == 0, again.stderr
    assert "Pulled 0 new envelopes" in again.stdout

    # echo … | hotline reply ID: the message on stdin, the passphrase and the yes typed.
    no_passphrase = {k: v for k, v in worker.items() if k != "HOTLINE_PASSPHRASE"}
    session = at_terminal(["reply", name[:8]], no_passphrase, stdin=DRAFT_TEXT.encode())
    code = session.finish([("Passphrase for key", PASSPHRASE), ("Send this reply?", "y")])
    assert code == 0, session.screen
    assert session.prompts == 1
    assert f"Reply to {name[:8]} is on the site (1 sent now)." in session.screen
    assert DRAFT_TEXT in session.screen  # shown before it was sent

    answer = tmp_path / "answer.txt"
    answer.write_text("Et svar mere.\n")
    scripted = hotline(["reply", name[:8], "--message-file", str(answer), "--yes"], worker)
    assert scripted.returncode == 0, scripted.stderr
    assert "1 sent now" in scripted.stdout


# --- small things ---------------------------------------------------------------------


def test_list_has_a_header_and_aligned_columns_at_a_terminal(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    deliver(tmp_path / "inbox", key_files.pair.public, 1, setting="building_site",
            location="Havnegade 4")
    deliver(tmp_path / "inbox", key_files.pair.public, 1, location="Nørregade 12")
    assert hotline(["import", str(tmp_path / "inbox")], worker).returncode == 0
    session = at_terminal(["list", "--lang", "en"], worker)
    assert session.finish() == 0
    lines = session.screen.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "RECEIVED", "SETTING", "LOCATION"]
    starts = [line.index(word) for line in lines[:1] for word in ("RECEIVED", "LOCATION")]
    for line in lines[1:]:
        assert line[starts[0]:starts[0] + 4] == "2026"
        assert line[starts[1]:].rstrip() in ("Havnegade 4", "Nørregade 12")
    danish = at_terminal(["list"], worker)
    assert danish.finish() == 0
    assert danish.screen.splitlines()[0].split() == ["ID", "STATUS", "MODTAGET", "OMRÅDE",
                                                     "STED"]
    piped = hotline(["list"], worker).stdout.splitlines()  # a pipe: the tips' lines only
    assert len(piped) == 2 and not piped[0].startswith("ID")


@pytest.mark.parametrize(("lang", "labels", "foreign"), [
    ("da", ["Modtaget", "Område", "Beskrivelse:", "Tegn:", "Svar"], ["Received", "Setting"]),
    ("en", ["Received", "Setting", "Description:", "Signs:", "Replies"], ["Modtaget", "Område"]),
])
def test_show_labels_follow_lang(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str], lang: str,
    labels: list[str], foreign: list[str],
) -> None:
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    shown = hotline(["show", name[:8], "--lang", lang], worker)
    assert shown.returncode == 0, shown.stderr
    for label in labels:
        assert f"\n{label}" in shown.stdout
    for label in foreign:
        assert f"\n{label}" not in shown.stdout


def test_an_ambiguous_id_lists_the_tips_it_could_mean(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    store = Store(tmp_path / "store")
    names = ["abcd1" + "0" * 27, "abcd2" + "0" * 27]
    with store.locked():
        for name in names:
            store.add(name, seal_tip_with_code(key_files.pair.public))
    result = hotline(["show", "abcd"], worker)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: abcd is ambiguous: 2 tips start with it: abcd1000, abcd2000; give more digits")


def test_the_csv_export_writes_every_time_one_way(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    assert hotline(["note", name[:8], "Ringet til politiet"], worker).returncode == 0
    out = tmp_path / "tips.csv"
    assert hotline(["export", "--format", "csv", "--out", str(out)], worker).returncode == 0
    [row] = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert row["received_at"] == "2026-11-28T09:00:00Z"
    moment, text = row["notes"].split(": ", 1)
    assert text == "Ringet til politiet"
    assert len(moment) == 20 and moment[10] == "T" and moment.endswith(":00Z"), moment


def test_ctrl_c_and_a_failing_editor_leave_no_draft(
    tmp_path: Path, key_files: KeyFiles, worker: dict[str, str]
) -> None:
    """Ctrl-C at the terminal reaches the editor (it is the editor's); the draft still goes."""
    name = a_tip_in_the_store(tmp_path, key_files, worker)
    editor, marker = slow_editor(tmp_path)
    env = {**worker, "EDITOR": str(editor), "HOTLINE_TOKEN": STAFF_TOKEN}
    session = at_terminal(["reply", name[:8], "--url", NOWHERE], env)
    wait_for_file(marker, session.process)
    wait_until_ignoring_sigint(session.process)
    os.killpg(session.process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    assert session.finish() == 1
    assert "error: the editor was stopped (signal 2); nothing was sent" in session.screen
    assert files_under(tmp_path / "runtime") == [] and files_under(tmp_path / "systemp") == []
    failing = tmp_path / "failing-editor"
    failing.write_text("#!/bin/sh\necho 'half a reply' >> \"$1\"\nexit 3\n")
    failing.chmod(0o700)
    session = at_terminal(["reply", name[:8], "--url", NOWHERE], {**env, "EDITOR": str(failing)})
    assert session.finish() == 1
    assert "error: the editor exited with status 3; nothing was sent" in session.screen
    assert files_under(tmp_path / "runtime") == [] and files_under(tmp_path / "systemp") == []
    assert Store(tmp_path / "store").replies() == []


@pytest.mark.parametrize(("stored", "already", "phrase"), [
    (1, 0, "is on the site (1 sent now)"),
    (1, 1, "is on the site (1 sent now, 1 was there already)"),
    (0, 2, "is on the site (2 were there already)"),
    (0, 0, "was on the site already; nothing needed sending"),
])
def test_what_reply_says_it_sent_reads_right_for_every_count(
    stored: int, already: int, phrase: str
) -> None:
    from tipsite.hotline.commands.reply import sent_phrase

    assert sent_phrase(stored, already) == phrase


@pytest.mark.live
def test_the_remembered_token_goes_only_to_the_remembered_site(
    tmp_path: Path, key_files: KeyFiles, staff_server: LiveServer, worker: dict[str, str]
) -> None:
    first = hotline(["pull", staff_server.url, "--token-file", str(tmp_path / "staff.token")],
                    worker)
    assert first.returncode == 0, first.stderr
    elsewhere = hotline(["pull", "http://localhost:9"], worker)
    assert elsewhere.returncode == 1
    assert elsewhere.stderr == ("error: no staff token\n"
                                "hint: give --token-file FILE or set HOTLINE_TOKEN\n")
    assert hotline(["pull", staff_server.url], worker).returncode == 0  # same site: used
