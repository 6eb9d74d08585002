"""Anonymous follow-up, staff side, end to end on a real gunicorn (issue 7, "Must show").

tip through the form -> receipt code on the thank-you page -> hotline pull ->
hotline reply -> the tipster reads the reply with the code and adds details ->
hotline pull -> hotline show: one conversation. And nothing secret lands anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import nacl.public
import pytest

from tipsite.core import envelope, payload, receipt
from tipsite.core.inbox import Inbox

from .support.hotline import hotline, staff_worker_env
from .support.keyfiles import KeyFiles
from .support.servers import STAFF_TOKEN, LiveServer, free_port
from .support.tips import START, a_tip, deliver, tip_fields
from .support.visitor import Visitor, csrf_token_in

TOKEN = STAFF_TOKEN
CODE = re.compile(r'class="receipt-code"[^>]*>([\d ]{24})<')
TIP_TEXT = "Kvinderne på Strandvejen 7 bliver hentet i en hvid varevogn hver nat"
REPLY_TEXT = "Tak for dit tip. Hvilken indgang brugte de – for eller bag? (svar-7Q2)"
DETAILS = "Bagindgangen, og varevognen har nummerplade CX 98 765 (detalje-5K1)"


@pytest.fixture
def env(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """A hotline worker: the centre's key in the keyring, the token in a 0600 file."""
    return staff_worker_env(tmp_path, key_files.private, TOKEN, HOTLINE_TOKEN=TOKEN)


TEST_SALT = bytes(range(16))  # for envelopes sealed here, not by a site


def site_salt(server: LiveServer) -> bytes:
    """The receipt salt the site made in its instance folder."""
    return receipt.instance_salt(Path(server.env["TIPSITE_INSTANCE"]))


def receipt_code(thanks_page: str) -> str:
    """The receipt code the thank-you page shows the tipster."""
    match = CODE.search(thanks_page)
    assert match, "the thank-you page shows no receipt code"
    return match.group(1)


def send_tip(visitor: Visitor) -> str:
    """A tipster sends a tip through the form; the receipt code they are shown."""
    sent = visitor.send_tip(a_tip(description=TIP_TEXT))
    assert sent.status == 303
    return receipt_code(visitor.get("/da/thanks").body)


def followup(visitor: Visitor, code: str, action: str = "read", message: str = "") -> str:
    """The tipster posts their code to the follow-up page; the page they get back."""
    token = csrf_token_in(visitor.get("/da/followup").body)
    page = visitor.post_form("/da/followup", [("csrf_token", token), ("code", code),
                                              ("action", action), ("message", message)])
    assert page.status == 200, page.body
    return page.body


def pull(server: LiveServer, env: dict[str, str], tmp_path: Path) -> None:
    result = hotline(["pull", server.url, "--token-file", str(tmp_path / "staff.token")], env)
    assert result.returncode == 0, result.stderr


def only_id(env: dict[str, str]) -> str:
    [line] = hotline(["list"], env).stdout.splitlines()
    return line.split()[0]


def tip_pulled(server: LiveServer, env: dict[str, str], tmp_path: Path
               ) -> tuple[Visitor, str, str]:
    """A tipster sends a tip and the staff pull it: the tipster, their code, the tip id."""
    tipster = Visitor(server.url)
    code = send_tip(tipster)
    pull(server, env, tmp_path)
    return tipster, code, only_id(env)


def reply_and_details(server: LiveServer, env: dict[str, str], tmp_path: Path
                      ) -> tuple[str, str, subprocess.CompletedProcess[str], str]:
    """Tip, pull, the centre replies, the tipster reads it and adds details, pull again.

    The receipt code, the tip id, the staff's reply command and the page the tipster
    read the reply on.
    """
    tipster, code, tip_id = tip_pulled(server, env, tmp_path)
    replied = hotline(["reply", tip_id, "--yes"], env, stdin=REPLY_TEXT + "\n")
    page = followup(tipster, code)
    followup(tipster, code, "add", DETAILS)
    pull(server, env, tmp_path)
    return code, tip_id, replied, page


@pytest.mark.live
def test_a_tipster_and_the_centre_talk_through_the_receipt_code(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str]
) -> None:
    _, tip_id, replied, page = reply_and_details(staff_server, env, tmp_path)
    assert replied.returncode == 0, replied.stderr
    assert "1 sent now" in replied.stdout
    assert "Hvilken indgang brugte de – for eller bag?" in page

    listed = hotline(["list", "--lang", "en"], env).stdout.splitlines()
    assert len(listed) == 1, listed  # the follow-up is part of the tip's line, not a tip
    assert listed[0].startswith(tip_id) and "[1 follow-up (1 new), 1 reply]" in listed[0]
    assert " new " in listed[0]  # an unread follow-up makes the conversation new again

    shown = hotline(["show", tip_id, "--lang", "en"], env)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    # One conversation, in time order: the tip, the centre's reply, the new details.
    assert text.index(TIP_TEXT) < text.index(REPLY_TEXT) < text.index(DETAILS)
    assert "--- Reply from the centre" in text and ", sent" in text
    assert "--- Follow-up" in text
    assert "[1 follow-up, 1 reply]" in hotline(["list", "--lang", "en"], env).stdout  # now read

    [record] = json.loads(hotline(["export"], env).stdout)
    assert record["description"] == TIP_TEXT
    assert [f["message"] for f in record["followups"]] == [DETAILS]
    assert [(r["message"], r["sent"]) for r in record["replies"]] == [(REPLY_TEXT, True)]


@pytest.mark.live
def test_no_code_lookup_preimage_or_reply_text_lands_in_a_file_or_a_log(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str]
) -> None:
    code, tip_id, replied, _ = reply_and_details(staff_server, env, tmp_path)
    shown = hotline(["show", tip_id], env)
    assert REPLY_TEXT in shown.stdout and DETAILS in shown.stdout  # it all really happened

    lookup = receipt.derive(code, site_salt(staff_server)).lookup
    secrets = [code, code.replace(" ", ""), REPLY_TEXT, "svar-7Q2", DETAILS, "detalje-5K1",
               TIP_TEXT, "Strandvejen"]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, (secret, path)
    # The server and the staff tool's diagnostics do not even name the conversation.
    for output in (staff_server.output(), replied.stderr, shown.stderr):
        for secret in (*secrets, lookup):
            assert secret not in output, secret


@pytest.mark.live
def test_a_reply_cut_off_before_the_upload_is_kept_and_sent_once(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str], site_env: dict[str, str]
) -> None:
    tipster, code, tip_id = tip_pulled(staff_server, env, tmp_path)
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: the upload fails
    cut = hotline(["reply", tip_id, "--yes", "--url", nowhere], env, stdin=REPLY_TEXT)
    assert cut.returncode == 1
    assert cut.stderr.startswith("error: the reply is kept but not sent: cannot reach")
    assert "hint: run the same command again" in cut.stderr
    assert "NOT SENT" in hotline(["show", tip_id, "--lang", "en"], env).stdout

    again = hotline(["reply", tip_id, "--yes"], env, stdin=REPLY_TEXT)  # the staff rerun it
    assert again.returncode == 0, again.stderr
    assert "written before; it is not added again" in again.stderr
    lookup = receipt.derive(code, site_salt(staff_server)).lookup
    folder = Path(site_env["TIPSITE_INSTANCE"]) / "replies" / lookup
    assert len(list(folder.iterdir())) == 1
    assert followup(tipster, code).count("Hvilken indgang brugte de") == 1
    [record] = json.loads(hotline(["export"], env).stdout)
    assert [r["sent"] for r in record["replies"]] == [True]


@pytest.mark.live
def test_a_waiting_reply_goes_out_with_the_next_pull(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str]
) -> None:
    tipster, code, tip_id = tip_pulled(staff_server, env, tmp_path)
    nowhere = f"http://127.0.0.1:{free_port()}"
    cut = hotline(["reply", tip_id, "--yes", "--url", nowhere], env, stdin=REPLY_TEXT)
    assert cut.returncode == 1
    result = hotline(["pull", staff_server.url, "--token-file", str(tmp_path / "staff.token")],
                     env)
    assert result.returncode == 0, result.stderr
    assert "Sent 1 waiting reply to the site." in result.stdout
    assert "Hvilken indgang brugte de" in followup(tipster, code)


@pytest.mark.live
def test_a_tip_without_a_receipt_code_cannot_get_a_reply(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str], site_env: dict[str, str],
    key_files: KeyFiles,
) -> None:
    # Sealed the way tips were before receipt codes: no reply_to inside.
    [name] = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 1)
    pull(staff_server, env, tmp_path)
    result = hotline(["reply", name[:8], "--yes"], env, stdin=REPLY_TEXT)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: tip {name[:8]} has no receipt code, so its tipster cannot be reached\n"
        "hint: tips sent before receipt codes cannot get a reply\n")
    assert "not possible (sent before receipt codes)" in hotline(
        ["show", name, "--lang", "en"], env).stdout


def test_reply_needs_to_know_the_site(tmp_path: Path, env: dict[str, str],
                                      key_files: KeyFiles) -> None:
    [name] = deliver(tmp_path / "inbox", key_files.pair.public, 1)
    assert hotline(["import", str(tmp_path / "inbox")], env).returncode == 0
    result = hotline(["reply", name[:8], "--yes"], {**env, "HOTLINE_TOKEN": TOKEN}, stdin="Tak")
    assert result.returncode == 1
    assert result.stderr == (
        "error: no site address known yet\n"
        "hint: give it once: 'hotline pull URL --token-file FILE' (or --url URL); "
        "later pulls remember it\n")


@pytest.mark.live
def test_an_empty_reply_is_refused(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str]
) -> None:
    send_tip(Visitor(staff_server.url))
    pull(staff_server, env, tmp_path)
    result = hotline(["reply", only_id(env), "--yes"], env, stdin="# only a comment\n\n")
    assert result.returncode == 1
    assert result.stderr.startswith("error: the reply is empty; nothing was sent\n")


def seal_followup(public: nacl.public.PublicKey, code: str, message: str, minutes: int
                  ) -> bytes:
    """A follow-up as the site seals it for the tipster holding ``code``."""
    derived = receipt.derive(code, TEST_SALT)
    document = payload.followup_document(message, "da", START + timedelta(minutes=minutes),
                                         derived.reply_to())
    return envelope.seal(document, public)


def seal_tip_with_code(public: nacl.public.PublicKey, code: str) -> bytes:
    derived = receipt.derive(code, TEST_SALT)
    document = payload.tip_document(tip_fields(location="Strandvejen 7"), "da", START,
                                    derived.reply_to())
    return envelope.seal(document, public)


@pytest.fixture
def conversations(tmp_path: Path, key_files: KeyFiles, env: dict[str, str]) -> dict[str, str]:
    """In the store: a tip with one follow-up, and a follow-up with a mistyped code."""
    inbox = Inbox(tmp_path / "inbox")
    inbox.prepare()
    public = key_files.pair.public
    names = {
        "tip": inbox.deliver(seal_tip_with_code(public, "1111 2222 3333 4444 5555")),
        "details": inbox.deliver(seal_followup(public, "1111 2222 3333 4444 5555",
                                               "Bilen er grå", 60)),
        "orphan": inbox.deliver(seal_followup(public, "1111 2222 3333 4444 5556",
                                              "Jeg glemte at sige: de er unge", 90)),
    }
    assert hotline(["import", str(inbox.path)], env).returncode == 0
    return names


def test_follow_ups_join_their_tip_and_a_mistyped_code_stands_alone(
    env: dict[str, str], conversations: dict[str, str]
) -> None:
    lines = hotline(["list", "--lang", "en"], env).stdout.splitlines()
    assert len(lines) == 2, lines
    by_id = {line.split()[0]: line for line in lines}
    tip_line = by_id[conversations["tip"][:8]]
    assert "Strandvejen 7" in tip_line and "[1 follow-up (1 new)]" in tip_line
    orphan_line = by_id[conversations["orphan"][:8]]
    assert "follow-up, tip not here" in orphan_line and "de er unge" in orphan_line
    assert conversations["details"][:8] not in by_id

    # Any id of the conversation shows the whole of it.
    shown = hotline(["show", conversations["details"][:8], "--lang", "en"], env).stdout
    assert "Strandvejen 7" in shown and "Bilen er grå" in shown
    orphan = hotline(["show", conversations["orphan"][:8], "--lang", "en"], env).stdout
    assert "Its tip is not here" in orphan and "Bilen er grå" not in orphan

    records = {r["id"]: r for r in json.loads(hotline(["export"], env).stdout)}
    assert records[conversations["tip"]]["kind"] == "tip"
    assert [f["id"] for f in records[conversations["tip"]]["followups"]] == [
        conversations["details"]]
    assert records[conversations["orphan"]]["kind"] == "followup"
    assert records[conversations["orphan"]]["message"] == "Jeg glemte at sige: de er unge"


def test_csv_and_html_carry_the_follow_ups(
    tmp_path: Path, env: dict[str, str], conversations: dict[str, str]
) -> None:
    out = tmp_path / "tips.csv"
    assert hotline(["export", "--format", "csv", "--out", str(out)], env).returncode == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))}
    assert rows[conversations["tip"]]["followups"] == "2026-11-28T10:00:00Z: Bilen er grå"
    assert rows[conversations["orphan"]]["kind"] == "followup"
    page = tmp_path / "tips.html"
    assert hotline(["export", "--format", "html", "--out", str(page)], env).returncode == 0
    html = page.read_text()
    assert "Bilen er grå" in html and "Follow-up without its tip" in html


def test_purge_takes_a_handled_conversation_whole_but_never_unread_details(
    tmp_path: Path, env: dict[str, str], conversations: dict[str, str]
) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert hotline(["done", conversations["tip"][:8]], env).returncode == 0
    kept = hotline(["purge", "--handled-before", tomorrow], env)
    assert kept.returncode == 0 and "Removed 0 tips" in kept.stdout
    # Its follow-up is unread: kept, and said as a notice, not an error.
    assert kept.stderr.startswith(f"note: kept {conversations['tip'][:8]}")
    assert "error:" not in kept.stderr
    hotline(["show", conversations["tip"][:8]], env)
    gone = hotline(["purge", "--handled-before", tomorrow], env)
    assert "Removed 2 tips and follow-ups" in gone.stdout
    left = sorted(p.name for p in (tmp_path / "store" / "tips").iterdir())
    assert left == [conversations["orphan"]]


def test_conversations_come_oldest_first_with_follow_ups_whose_tip_is_gone_in_place() -> None:
    from tipsite.hotline.conversation import gather
    from tipsite.hotline.reader import Followup, ReplyTo, Tip

    def link(n: int) -> ReplyTo:
        return ReplyTo(f"{n:032x}", "A" * 43 + "=", "receipt-v2", bound=True)

    def tip(name: str, at: str, code: int) -> Tip:
        return Tip(name * 32, f"2026-11-{at}Z", "da", tip_fields(), "new", reply_to=link(code))

    def followup(name: str, at: str, code: int) -> Followup:
        return Followup(name * 32, f"2026-11-{at}Z", "da", "mere", link(code), "new")

    items: list[Tip | Followup] = [tip("c", "28T12:00:00", 1), followup("e", "28T13:00:00", 1),
             followup("a", "27T09:00:00", 9), tip("b", "28T08:00:00", 2),
             followup("d", "28T10:00:00", 9)]
    conversations = gather(items)
    assert [c.id[0] for c in conversations] == ["a", "b", "c"]  # the orphan "a" leads its own
    assert [f.id[0] for f in conversations[0].followups] == ["d"]
    assert [f.id[0] for f in conversations[2].followups] == ["e"]
