"""The staff guide's morning, run exactly as docs/hotline.md prints it (issue 17, "Must show").

The test reads the "Once: keys and token" and "Every morning" blocks from the guide
and runs each line through the shell, at a terminal, as a worker would type it:
against a real gunicorn with the staff API on, a real store in the worker's data
folder, their editor, ``answer.txt`` in the folder they work in. If the guide and the
tool drift apart, this fails. It also counts the passphrase prompts of the morning.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tipsite.site.config import ROOT

from .support.hotline_terminal import at_terminal
from .support.servers import LiveServer, start_gunicorn, stop_gunicorn
from .support.tips import a_tip
from .support.visitor import Visitor, csrf_token_in

# Every test here starts a real server.
pytestmark = pytest.mark.live

GUIDE = ROOT / "docs" / "hotline.md"
EXAMPLE_SITE = "https://tips.example.dk"  # the guide's site; the test's gunicorn stands in
EXAMPLE_ID = "3f2a91c0"  # the guide's tip id
# A passphrase a strength check would pass: the guide's keygen asks for one.
PASSPHRASE = "havnen-cykler-7-blå-kaffekopper-strandvejen"
TIP_TEXT = "Tre unge kvinder bliver hentet i en hvid varevogn ved Havnegade hver nat."
EDITOR_TEXT = "Tak for dit tip. Hvornår om natten kommer varevognen? (editor-4T2)"
FILE_TEXT = "Vi har givet sagen videre til politiet. (fil-8M3)"
NOTE_TEXT = "Sent to the police, case 1234"
CODE = re.compile(r'class="receipt-code"[^>]*>([\d ]{24})<')
QUESTIONS = (("Passphrase for the new key", PASSPHRASE), ("Repeat it", PASSPHRASE),
             ("Passphrase for key", PASSPHRASE), ("Send this reply?", "y"))


def block(heading: str, guide: str | None = None) -> list[str]:
    """The command lines of the first ``sh`` block under ``heading`` in the guide."""
    text = GUIDE.read_text(encoding="utf-8") if guide is None else guide
    section = text.split(f"\n## {heading}\n", 1)[1]
    code = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in code.splitlines() if line.strip()]
    assert all(shlex.split(line, comments=True)[0] == "hotline" for line in lines), lines
    return lines


@dataclass
class Step:
    line: str
    code: int
    prompts: int
    screen: str


def run_line(line: str, env: dict[str, str], cwd: Path) -> Step:
    """``line`` through the shell at a terminal, answering the questions a person would."""
    session = at_terminal(["-c", line], env, cwd=cwd, program=["/bin/sh"])
    code = session.finish(QUESTIONS)
    return Step(line, code, session.prompts, session.screen)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A worker's machine: a home folder, their editor, a private runtime folder."""
    home, runtime, work = tmp_path / "home", tmp_path / "runtime", tmp_path / "work"
    for folder in (home, work):
        folder.mkdir()
    runtime.mkdir(mode=0o700)
    (tmp_path / "systemp").mkdir()
    editor = tmp_path / "editor"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n' '{EDITOR_TEXT}' > \"$1.new\" && "
                      "cat \"$1\" >> \"$1.new\" && mv \"$1.new\" \"$1\"\n")
    editor.chmod(0o700)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HOTLINE_", "TIPSITE_")) or key == "HOTLINE_KDF_COST"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(tmp_path / "systemp"),
               EDITOR=str(editor), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("VISUAL", None)
    yield env, work
    run_line("hotline lock", env, work)  # no agent outlives the test


def receipt_code(page: str) -> str:
    match = CODE.search(page)
    assert match, "the thank-you page shows no receipt code"
    return match.group(1)


def replies_seen_by_the_tipster(visitor: Visitor, code: str) -> str:
    token = csrf_token_in(visitor.get("/da/followup").body)
    page = visitor.post_form("/da/followup", [("csrf_token", token), ("code", code),
                                              ("action", "read"), ("message", "")])
    assert page.status == 200
    return page.body


def test_the_guides_first_day_and_morning_run_exactly_as_printed(
    tmp_path: Path, desk: tuple[dict[str, str], Path]
) -> None:
    env, work = desk
    once = block("Once: keys and token")
    first_pull = once.pop()  # the site is started with the key the guide's keygen makes
    steps = [run_line(line, env, work) for line in once]
    for step in steps:
        assert step.code == 0, step.screen
    store = Path(env["XDG_DATA_HOME"]) / "tipsite-hotline"
    [public] = (store / "keys").glob("*.pub")
    token = (Path(env["HOME"]) / "hotline.token").read_text().strip()
    assert f"TIPSITE_STAFF_TOKEN_SHA256={hashlib.sha256(token.encode()).hexdigest()}" in \
        steps[-1].screen
    server = start_gunicorn({
        "TIPSITE_PUBLIC_KEY": str(public), "TIPSITE_INBOX": str(tmp_path / "inbox"),
        "TIPSITE_INSTANCE": str(tmp_path / "instance"),
        "TIPSITE_STAFF_TOKEN_SHA256": hashlib.sha256(token.encode()).hexdigest(),
    }, tmp_path / "gunicorn.log")
    try:
        morning(tmp_path, env, work, server, first_pull)
    finally:
        stop_gunicorn(server)


def morning(tmp_path: Path, env: dict[str, str], work: Path, server: LiveServer,
            first_pull: str) -> None:
    tipster = Visitor(server.url)
    assert tipster.send_tip(a_tip(description=TIP_TEXT)).status == 303
    code = receipt_code(tipster.get("/da/thanks").body)
    # The site names envelopes at random; this one gets the guide's example id.
    [envelope] = (tmp_path / "inbox" / "new").iterdir()
    envelope.rename(envelope.with_name(EXAMPLE_ID + envelope.name[len(EXAMPLE_ID):]))

    assert EXAMPLE_SITE in first_pull
    pulled = run_line(first_pull.replace(EXAMPLE_SITE, server.url), env, work)
    assert pulled.code == 0, pulled.screen
    assert "Pulled 1 new envelope" in pulled.screen
    assert tipster.send_tip(a_tip(description="Endnu et tip")).status == 303  # for the morning

    (work / "answer.txt").write_text(FILE_TEXT + "\n")
    steps = [run_line(line, env, work) for line in block("Every morning")]
    for step in steps:
        assert step.code == 0, f"{step.line}\n{step.screen}"
        assert "error:" not in step.screen, f"{step.line}\n{step.screen}"
    by_command = {shlex.split(s.line, comments=True)[1]: s for s in steps}
    assert "Pulled 1 new envelope" in by_command["pull"].screen
    assert TIP_TEXT in by_command["show"].screen
    replies = [s for s in steps if shlex.split(s.line, comments=True)[1] == "reply"]
    assert [("Send this reply?" in s.screen) for s in replies] == [True, True]
    assert EDITOR_TEXT in replies[0].screen and FILE_TEXT in replies[1].screen
    assert "Locked: the agent forgot your keys." in by_command["lock"].screen

    # The morning's passphrase count: once, by the first command that opened tips.
    prompts = {s.line: s.prompts for s in steps}
    assert sum(prompts.values()) == 1, prompts
    assert by_command["list"].prompts == 1

    page = replies_seen_by_the_tipster(tipster, code)
    assert "Hvornår om natten kommer varevognen?" in page and "givet sagen videre" in page
    assert [p for p in (tmp_path / "systemp").rglob("*") if "tipsite-hotline" not in str(p)] \
        == []
    runtime = Path(env["XDG_RUNTIME_DIR"])
    assert [p.name for p in runtime.iterdir()] in ([], ["tipsite-hotline"])
    after = run_line(f"hotline export | grep -c '{NOTE_TEXT}'", env, work)
    assert after.prompts == 1  # locked: asked again
    assert after.code == 0 and "1" in after.screen.splitlines()[-1]
