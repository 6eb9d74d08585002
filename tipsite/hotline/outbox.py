"""Replies to tipsters: sealed twice, kept durably, then uploaded (``hotline reply``).

A reply is sealed to the tipster's reply key, which only their receipt code
opens, for the site; and to the centre's key for the staff's own record, so
``hotline show`` can display the conversation. Its plaintext is never written.
The store keeps both copies in one transaction before anything is sent, and the
upload uses a name chosen here and kept with them: an interrupted reply is sent
again under the same name, and the site stores a name once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import nacl.public

from tipsite.core import payload
from tipsite.core.envelope import seal
from tipsite.core.errors import ReplyError
from tipsite.core.protocol import MAX_REPLY_BYTES
from tipsite.core.receipt import reply_public_key
from tipsite.hotline.pull import StaffClient
from tipsite.hotline.reader import ReplyTo
from tipsite.hotline.store import SealedReply, Store

COMMENT = "#"  # lines of the editor's template that are dropped, as git does


def clean_message(text: str) -> str:
    """The reply as typed, without template comment lines and outer blank lines."""
    lines = [line for line in text.splitlines() if not line.startswith(COMMENT)]
    return "\n".join(lines).strip()


def write_reply(message: str, tip: str, reply_to: ReplyTo, centre: nacl.public.PublicKey,
                now: datetime) -> SealedReply:
    """Seal ``message`` for the tipster and for the staff's record (nothing stored yet)."""
    if not message:
        raise ReplyError("the reply is empty; nothing was sent")
    document = payload.reply_document(message, now)
    outgoing = seal(document, reply_public_key(reply_to.key), payload.KIND_REPLY)
    if len(outgoing) > MAX_REPLY_BYTES:
        raise ReplyError(f"the reply is too long ({len(message)} characters)",
                         "keep it under about 30,000 characters")
    return SealedReply(
        name=secrets.token_hex(16),  # random: a name derived from the text could confirm it
        tip=tip,
        written_at=payload.timestamp(now),
        # The staff's copy: as safe at rest as the tip.
        sealed=seal(document, centre, payload.KIND_REPLY),
        lookup=reply_to.lookup,
        outgoing=outgoing,
    )


@dataclass
class Sent:
    """What sending the waiting replies did."""

    stored: int = 0  # the site stored them now
    already: int = 0  # the site had them (an earlier upload whose answer was lost)


def send_waiting(client: StaffClient, store: Store) -> Sent:
    """Upload every reply the site does not have yet, oldest first (call under the lock)."""
    sent = Sent()
    for reply in store.replies():
        if reply.lookup is None or reply.outgoing is None:
            continue  # the site has it already
        if client.put_reply(reply.lookup, reply.name, reply.outgoing):
            sent.stored += 1
        else:
            sent.already += 1
        store.mark_sent(reply.name)  # only after the site said it holds the reply
    return sent
