"""The store's conversations, opened in memory with the keys of a logged-in person."""

from __future__ import annotations

from collections.abc import Sequence

from tipsite.core.keys import KeyPair
from tipsite.hotline import reader
from tipsite.hotline.conversation import Conversation, gather
from tipsite.hotline.decrypt import unseal_all
from tipsite.hotline.store import Store, TipState


def open_conversations(store: Store, pairs: Sequence[KeyPair]
                       ) -> tuple[list[Conversation], list[reader.Unreadable]]:
    """Every conversation in ``store``, newest first, and the envelopes that did not open."""
    names = store.names()
    plaintexts = unseal_all(names, store.read_many, lambda sealed: list(pairs))
    opened: list[reader.Opened] = []
    unreadable: list[reader.Unreadable] = []
    for item in reader.read_tips(names, plaintexts, pairs, store.states(), TipState()):
        if isinstance(item, reader.Unreadable):
            unreadable.append(item)
        else:
            opened.append(item)
    replies = [reader.open_reply(r, pairs) for r in store.replies()]
    conversations = gather(opened, replies)
    conversations.reverse()
    return conversations, unreadable
