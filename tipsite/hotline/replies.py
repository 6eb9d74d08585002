"""Replying to a tipster: whose key a reply goes to, keeping it once, and sending it.

A reply always goes to the key inside the original tip, never to a key in a
follow-up: a forger who can write the server's inbox could have chosen that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import nacl.public

from tipsite.core import payload
from tipsite.core.envelope import envelope_key_id
from tipsite.core.errors import PullError
from tipsite.core.keys import KeyPair
from tipsite.hotline import reader, shortid
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.keyring import KeyEntry
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import Store
from tipsite.hotline.unlock import Tell, tell_nobody

if TYPE_CHECKING:
    # outbox and pull (urllib, http.client, email) load only when a reply is sent.
    from tipsite.hotline.outbox import Sent
    from tipsite.hotline.pull import StaffClient


def no_reply_reason(conversation: Conversation) -> tuple[str, str]:
    """Why a conversation cannot get a reply: an error line and a hint."""
    root = conversation.root
    short = root.id[:shortid.SHOWN]
    if isinstance(root, reader.Followup):
        return (f"follow-up {short} has no tip here, and replies go only to the key in the "
                "original tip", "its tip was purged, or the code was mistyped; it cannot "
                "get a reply")
    if root.reply_to is None:
        return (f"tip {short} has no receipt code, so its tipster cannot be reached",
                "tips sent before receipt codes cannot get a reply")
    return (f"tip {short} is SUSPICIOUS: its lookup id does not belong to its reply key",
            "it was not made from a receipt code; no reply is sent to its key")


def reply_key(conversation: Conversation) -> reader.ReplyTo:
    """The tipster's reply key from the original tip; a Problem saying why if there is none."""
    # Always the original tip's key, whichever member was named: a follow-up's key
    # is never used, so a forged follow-up cannot capture a reply (SECURITY.md).
    reply_to = conversation.reply_to
    if reply_to is None:
        raise Problem(*no_reply_reason(conversation))
    return reply_to


def centre_key(entries: Sequence[KeyEntry], sealed_tip: bytes) -> nacl.public.PublicKey:
    """The centre's public key the tip was sealed to: the staff's copy of a reply uses it."""
    wanted = envelope_key_id(sealed_tip)
    return next(e.public for e in entries if e.key_id == wanted)


def keep_and_send(local: Store, client: StaffClient, name: str, reply_to: reader.ReplyTo,
                  message: str, pairs: Sequence[KeyPair], centre: nacl.public.PublicKey,
                  tell: Tell = tell_nobody) -> Sent:
    """Store the reply to tip ``name`` (once, however often it is written), then upload
    every reply the site does not have yet.

    The reply is stored sealed before anything is sent: a cut-off upload is sent
    again by the same command or by the next pull.
    """
    from tipsite.hotline import outbox

    with local.locked():
        earlier = [r for r in local.replies() if r.tip == name]
        if not any(reader.open_reply(r, pairs).message == message for r in earlier):
            local.add_reply(outbox.write_reply(message, name, reply_to, centre,
                                               payload.utc_now()))
        else:
            tell("This reply was written before; it is not added again.")
        try:
            return outbox.send_waiting(client, local)
        except PullError as exc:
            raise Problem(f"the reply is kept but not sent: {exc}",
                          "run the same command again, or 'hotline pull', when the site "
                          "can be reached") from None
