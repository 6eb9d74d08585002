"""Forged follow-ups cannot capture staff replies (issue 11, review finding 1).

Whoever can write the server's inbox and list its replies folder (a compromised
server, a restored backup) knows real lookup ids and the centre's public key. They
seal a "follow-up" carrying a real lookup id and their own reply key, and write it
into the inbox as the site would. The staff pull it, read it, and reply: nothing
may ever be sealed to the forger's key, and the forgery is flagged wherever staff
look at it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nacl.public
import pytest

from tipsite.core import envelope, keys, payload, receipt
from tipsite.core.errors import EnvelopeError
from tipsite.core.inbox import Inbox
from tipsite.hotline.conversation import gather
from tipsite.hotline.reader import OTHER_KEY, UNBOUND, Followup, Tip, read_tip

from .support.hotline import hotline
from .support.keyfiles import KeyFiles
from .support.servers import LiveServer
from .support.tips import START, tip_fields
from .test_conversation import TEST_SALT, followup, pull, site_salt, tip_pulled
from .test_conversation import env as env  # the staff worker, as a fixture here too

FORGED_TEXT = "Skriv venligst jeres svar til denne nye nøgle (forfalsket-9Z)"
REPLY_ON_FORGED = "Svar skrevet på den forfalskede opfølgning (svar-F1)"
REPLY_ON_TIP = "Svar skrevet på selve tippet (svar-T2)"


def forge(public: nacl.public.PublicKey, lookup: str, attacker: nacl.public.PrivateKey,
          text: str = FORGED_TEXT) -> bytes:
    """A follow-up naming ``lookup`` with the attacker's key, sealed to the centre."""
    document = payload.followup_document(text, "da", payload.utc_now(), {
        "derivation": receipt.DERIVATION, "lookup": lookup,
        "key": base64.b64encode(bytes(attacker.public_key)).decode()})
    return envelope.seal(document, public, payload.KIND_FOLLOWUP)


def replies_on_site(server: LiveServer) -> list[tuple[str, bytes]]:
    """Every reply envelope the site holds, with the lookup folder it is filed under."""
    root = Path(server.env["TIPSITE_INSTANCE"]) / "replies"
    return [(path.parent.name, path.read_bytes()) for path in root.glob("*/*")
            if path.is_file() and path.parent.name != "tmp"]


def opens_with(sealed: bytes, private: nacl.public.PrivateKey) -> bool:
    try:
        envelope.open_envelope(sealed, [keys.KeyPair(private)])
    except EnvelopeError:
        return False
    return True


@pytest.mark.live
def test_a_forged_follow_up_never_receives_a_reply_and_is_flagged(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str],
    key_files: KeyFiles,
) -> None:
    tipster, code, tip_id = tip_pulled(staff_server, env, tmp_path)
    real = receipt.derive(code, site_salt(staff_server))
    attacker = nacl.public.PrivateKey.generate()
    # The compromised server writes the forgery into its own inbox, as the site would.
    inbox = Inbox(Path(staff_server.env["TIPSITE_INBOX"]))
    forged_id = inbox.deliver(forge(keys.load_public_key(key_files.public), real.lookup,
                                    attacker))
    pull(staff_server, env, tmp_path)

    listed = hotline(["list"], env).stdout
    assert "1 SUSPICIOUS opfølgning" in listed and listed.startswith(tip_id[:8])  # Danish
    shown = hotline(["show", tip_id], env).stdout
    assert FORGED_TEXT in shown and "SUSPICIOUS: " + UNBOUND in shown
    assert "Svar går aldrig til dens nøgle" in shown  # the warning, in the default Danish
    [record] = json.loads(hotline(["export"], env).stdout)
    assert [f["suspicious"] for f in record["followups"]] == [UNBOUND]
    for fmt in ("csv", "html"):
        out = tmp_path / f"tips.{fmt}"
        assert hotline(["export", "--format", fmt, "--out", str(out)], env).returncode == 0
        assert f"[SUSPICIOUS: {UNBOUND}] {FORGED_TEXT}" in out.read_text(encoding="utf-8-sig")

    on_forged = hotline(["reply", forged_id[:12], "--yes"], env, stdin=REPLY_ON_FORGED)
    assert on_forged.returncode == 0, on_forged.stderr
    assert "the key in the original tip" in on_forged.stderr
    on_tip = hotline(["reply", tip_id, "--yes"], env, stdin=REPLY_ON_TIP)
    assert on_tip.returncode == 0, on_tip.stderr

    held = replies_on_site(staff_server)
    assert len(held) == 2
    for lookup, sealed in held:
        assert lookup == real.lookup  # filed where only the real code looks
        assert not opens_with(sealed, attacker)  # nothing is sealed to the forged key
        assert opens_with(sealed, real.private)
    assert not (Path(staff_server.env["TIPSITE_INSTANCE"]) / "replies"
                / receipt.lookup_of(bytes(attacker.public_key))).exists()
    page = followup(tipster, code)
    assert "svar-F1" in page and "svar-T2" in page  # the real tipster reads both


@pytest.mark.live
def test_a_self_consistent_forgery_stands_alone_and_cannot_get_a_reply(
    tmp_path: Path, staff_server: LiveServer, env: dict[str, str],
    key_files: KeyFiles,
) -> None:
    tip_pulled(staff_server, env, tmp_path)
    attacker = nacl.public.PrivateKey.generate()
    own_lookup = receipt.lookup_of(bytes(attacker.public_key))  # bound, but to no tip
    inbox = Inbox(Path(staff_server.env["TIPSITE_INBOX"]))
    orphan_id = inbox.deliver(forge(keys.load_public_key(key_files.public), own_lookup,
                                    attacker, "Ingen tip her"))
    pull(staff_server, env, tmp_path)
    refused = hotline(["reply", orphan_id[:12], "--yes"], env, stdin="Svar")
    assert refused.returncode == 1
    assert "replies go only to the key in the original tip" in refused.stderr
    assert replies_on_site(staff_server) == []


def opened(document: bytes, name: str) -> Tip | Followup:
    item = read_tip(name, document, [])
    assert isinstance(item, Tip | Followup)
    return item


def test_a_forged_tip_cannot_claim_a_real_lookup_id_or_its_follow_ups() -> None:
    real = receipt.derive("1111 2222 3333 4444 5555", TEST_SALT)
    attacker = nacl.public.PrivateKey.generate()
    forged_reply_to = {"derivation": receipt.DERIVATION, "lookup": real.lookup,
                       "key": base64.b64encode(bytes(attacker.public_key)).decode()}
    earlier = START.replace(hour=1)  # the forger dates it first, to lead the conversation
    items = [
        opened(payload.tip_document(tip_fields(), "da", START, real.reply_to()), "real-tip"),
        opened(payload.tip_document(tip_fields(), "da", earlier, forged_reply_to), "forged-tip"),
        opened(payload.followup_document("Mere", "da", START.replace(hour=10),
                                         real.reply_to()), "details"),
    ]
    conversations = {c.id: c for c in gather(items)}
    assert [f.id for f in conversations["real-tip"].followups] == ["details"]
    assert conversations["real-tip"].reply_to == opened(
        payload.tip_document(tip_fields(), "da", START, real.reply_to()), "x").reply_to
    assert conversations["forged-tip"].reply_to is None  # no reply goes to its key
    assert conversations["forged-tip"].followups == []
    from tipsite.hotline import exports, screen

    assert "SUSPICIOUS reply key" in screen.news(conversations["forged-tip"])
    assert "SUSPICIOUS" in screen.conversation_text(conversations["forged-tip"], "da")
    assert "suspicious" in exports.conversation_record(conversations["forged-tip"])
    assert "suspicious" not in exports.conversation_record(conversations["real-tip"])


def test_a_follow_up_with_another_codes_key_is_flagged_in_its_tips_conversation() -> None:
    real = receipt.derive("1111 2222 3333 4444 5555", TEST_SALT)
    other = receipt.derive("9999 2222 3333 4444 5555", TEST_SALT)
    mixed = {**other.reply_to(), "lookup": real.lookup}
    conversation, = gather([
        opened(payload.tip_document(tip_fields(), "da", START, real.reply_to()), "tip"),
        opened(payload.followup_document("x", "da", START, mixed), "mixed"),
    ])
    [flagged] = conversation.suspicious
    assert flagged.id == "mixed" and flagged.suspicious in (UNBOUND, OTHER_KEY)
    assert conversation.reply_to is not None and conversation.reply_to.key == real.public_b64


@pytest.mark.parametrize("derivation", ["", "receipt-v1", None])
def test_an_unknown_derivation_binds_nothing(derivation: str | None) -> None:
    real = receipt.derive("1111 2222 3333 4444 5555", TEST_SALT)
    assert receipt.is_bound(real.lookup, real.public_b64, receipt.DERIVATION)
    assert not receipt.is_bound(real.lookup, real.public_b64, derivation)
