"""The store's conversations, opened in memory with a session's keys, kept while unchanged.

Opening 10,000 envelopes takes seconds, so the desk opens them once and keeps the
result (with its search index and related-tip links) until the store changes: a
pull, an import or another person's status change. The result holds tip text, so
it lives in memory only and is dropped when nobody is logged in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from tipsite.core.keys import KeyPair
from tipsite.hotline import reader, related
from tipsite.hotline.conversation import Conversation, gather
from tipsite.hotline.decrypt import unseal_all
from tipsite.hotline.search import Index, text_of
from tipsite.hotline.store import STATE_FILE, Store, TipState

Signature = tuple[int, ...]


class Opened:
    """The store as one set of keys sees it, newest conversation first.

    The related-tip links are made on first use, or by a thread started when the
    store is opened: they cost more than opening itself (a dozen patterns over every
    tip), and the inbox does not need them.
    """

    def __init__(self, conversations: list[Conversation], unreadable: list[reader.Unreadable],
                 texts: dict[str, str]) -> None:
        self.conversations = conversations
        self.unreadable = unreadable
        self.index = Index(texts)
        self._texts = texts
        self._links: dict[str, list[related.Link]] | None = None
        self._linking = threading.Lock()
        self._by_id = {c.id: c for c in conversations}

    @property
    def links(self) -> dict[str, list[related.Link]]:
        """Each conversation's related conversations (made once)."""
        with self._linking:
            if self._links is None:
                self._links = related.link(self._texts)
            return self._links

    def link_in_background(self) -> None:
        """Start making the links now, so the first conversation opened need not wait."""
        threading.Thread(target=lambda: self.links, name="desk-links", daemon=True).start()

    def find(self, conversation_id: str) -> Conversation | None:
        """The conversation with this id, or None."""
        return self._by_id.get(conversation_id)


Plaintexts = dict[str, "bytes | reader.Unreadable"]


def open_conversations(store: Store, pairs: Sequence[KeyPair],
                       known: Plaintexts | None = None) -> tuple[Opened, Plaintexts]:
    """Every conversation in ``store`` opened with ``pairs``, with its search index.

    ``known`` holds envelopes opened before (an envelope never changes once stored):
    only new ones are decrypted, so a status change or a note costs a parse, not a
    decryption of the whole store. Returns the opened store and the plaintexts now known.
    """
    names = store.names()
    known = known if known is not None else {}
    new = [name for name in names if name not in known]
    if new:
        known = {**known, **dict(zip(new, unseal_all(new, store.read_many,
                                                     lambda sealed: list(pairs)), strict=True))}
    known = {name: known[name] for name in names}  # purged envelopes are forgotten
    plaintexts = [known[name] for name in names]
    items, unreadable = reader.read_tips_parted(names, plaintexts, pairs, store.states(),
                                                TipState())
    replies = [reader.open_reply(r, pairs) for r in store.replies()]
    conversations = gather(items, replies)
    conversations.reverse()
    opened = Opened(conversations, unreadable, {c.id: text_of(c) for c in conversations})
    return opened, known


class Library:
    """The opened store of one desk, per set of keys, reopened when the store changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._kept: dict[frozenset[bytes], tuple[Signature, Opened, Plaintexts]] = {}

    def opened(self, pairs: Sequence[KeyPair]) -> Opened:
        """The store opened with ``pairs``: kept from before if nothing changed."""
        wanted = frozenset(pair.key_id for pair in pairs)
        with self._lock:  # one opening at a time: two people logging in share the work
            signature = self._signature()
            kept = self._kept.get(wanted)
            if kept is not None and kept[0] == signature:
                return kept[1]
            known = kept[2] if kept is not None else None
            fresh, known = open_conversations(self.store, pairs, known)
            if self._signature() != signature:
                # Changed while opening (a pull, or the state file made on first use):
                # open again, so what is kept never misses what the signature says.
                signature = self._signature()
                fresh, known = open_conversations(self.store, pairs, known)
            self._kept[wanted] = (signature, fresh, known)
            fresh.link_in_background()
            return fresh

    def forget(self) -> None:
        """Drop every opened tip (nobody is logged in any more)."""
        with self._lock:
            self._kept.clear()

    def _signature(self) -> Signature:
        """What changes when a tip arrives or goes, or staff state is written."""
        parts: list[int] = []
        for path in (self.store.tips, self.store.path / STATE_FILE):
            try:
                info = os.stat(path)
            except FileNotFoundError:
                parts += [0, 0, 0]
                continue
            parts += [info.st_mtime_ns, info.st_size, info.st_ino]
        return tuple(parts)
