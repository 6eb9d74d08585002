"""What staff change from the desk: read, handled, notes, replies. Each one is durable
in the store before the page says it is done, and recorded in the audit trail."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

import nacl.public

from tipsite.core import payload
from tipsite.core.envelope import envelope_key_id, seal
from tipsite.core.errors import PullError, StoreError
from tipsite.core.keys import KeyPair
from tipsite.hotline import outbox, reader, replies, trail, triage
from tipsite.hotline.connection import site_client
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import Store

LOCK_WAIT = 10.0  # seconds: a pull in another process holds the store's lock briefly


@contextmanager
def store_lock(store: Store) -> Iterator[None]:
    """The store's lock, waited for: two people acting at once take turns, nobody fails."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            with store.locked():
                yield
                return
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def mark_read(store: Store, conversation: Conversation) -> None:
    """Mark the conversation's new tip and follow-ups read (opening it, as hotline show)."""
    for item in (conversation.root, *conversation.followups):
        if item.status == "new":
            store.set_status(item.id, "read")


def mark_handled(store: Store, conversation: Conversation, who: str) -> None:
    """Mark the conversation handled today."""
    today = datetime.now(UTC).date()
    for item in (conversation.root, *conversation.followups):
        store.set_status(item.id, "handled", today.isoformat())
    trail.record(store.path, who, "status", conversation.id, "handled")


def tip_key(store: Store, conversation: Conversation, pairs: Sequence[KeyPair]
            ) -> nacl.public.PublicKey:
    """The centre key the conversation's tip was sealed to: notes and our copy of replies
    are sealed to it, so they are as safe at rest as the tip."""
    wanted = envelope_key_id(store.read(conversation.id))
    for pair in pairs:
        if pair.key_id == wanted:
            return pair.public
    raise Problem(f"tip {conversation.id} is sealed to a key your account does not hold")


def add_note(store: Store, conversation: Conversation, text: str, pairs: Sequence[KeyPair],
             who: str) -> None:
    """Seal a staff note to the conversation's tip."""
    note = text.strip().encode("utf-8")
    store.add_note(conversation.id, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   seal(note, tip_key(store, conversation, pairs)))
    trail.record(store.path, who, "note", conversation.id)


def keep_reply(store: Store, conversation: Conversation, message: str,
               pairs: Sequence[KeyPair], who: str) -> bool:
    """Store a reply to the tipster (sealed, once); True if it was new.

    It goes only to the key in the conversation's original tip (never a follow-up's),
    exactly as ``hotline reply``.
    """
    text = outbox.clean_message(message)
    reply_to = replies.reply_key(conversation)
    centre = tip_key(store, conversation, pairs)
    with store_lock(store):
        earlier = [r for r in store.replies() if r.tip == conversation.id]
        if any(reader.open_reply(r, pairs).message == text for r in earlier):
            return False
        store.add_reply(outbox.write_reply(text, conversation.id, reply_to, centre,
                                           payload.utc_now()))
    trail.record(store.path, who, "reply", conversation.id)
    return True


def send_waiting(store: Store) -> str:
    """Upload waiting replies to the site the last pull used: "sent", "later" or "no-site"."""
    try:
        client = site_client(store, None, False, None)
    except Problem:
        return "no-site"
    try:
        with store_lock(store):
            outbox.send_waiting(client, store)
    except (PullError, Problem, StoreError):
        return "later"  # kept; the next pull or reply sends it
    return "sent"


def retention_cutoff(months: int, today: date | None = None) -> str:
    """The last handled day (YYYY-MM-DD) a conversation may have to be past retention."""
    today = today or datetime.now(UTC).date()
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(today.day, 28)  # every month has a 28th: no invalid date
    return date(year, month, day).isoformat()


def purge(store: Store, opened: Sequence[Conversation], unreadable: Sequence[reader.Unreadable],
          cutoff: str, who: str) -> triage.Purge:
    """Remove the conversations handled on or before ``cutoff``, for good; a line each stays.

    The audit trail keeps one line per purged tip (its id, never its content): that it
    was purged, when and by whom.
    """
    plan = triage.plan_purge(store, opened, unreadable, cutoff)
    with store_lock(store):
        for name in plan.doomed:
            store.remove(name)
    for name in plan.doomed:
        trail.record(store.path, who, "purge", name, f"handled on or before {cutoff}")
    return plan
