"""Where a command's tips come from: the local store, or a copied inbox folder.

A :class:`Source` holds the store, the inbox and the key files, and turns them into
conversations opened in memory. Callers never reach past it into the store for tips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tipsite.core import keys
from tipsite.core.inbox import Inbox
from tipsite.hotline import reader, shortid
from tipsite.hotline.config import default_store
from tipsite.hotline.conversation import Conversation, find, gather
from tipsite.hotline.decrypt import unseal_all
from tipsite.hotline.keyring import KeyEntry
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import Store, TipState
from tipsite.hotline.unlock import (
    AskPassphrase,
    KeyUnlocker,
    Tell,
    cannot_ask,
    key_entries,
    tell_nobody,
)


def open_store(path: Path | None) -> Store:
    """The store at ``path`` (or the default), refused if other users can read it."""
    store = Store(path or default_store())
    store.check_private()
    return store


@dataclass
class Source:
    """The tips a command works on: the local store, or a copied inbox folder."""

    store: Store | None
    inbox: Inbox | None
    key_files: Sequence[Path] = field(default_factory=tuple)
    ask: AskPassphrase = field(default=cannot_ask, repr=False)  # how to ask a passphrase
    tell: Tell = field(default=tell_nobody, repr=False)  # where notices go
    # One per source, so a key is unlocked (and its passphrase asked for) once.
    _unlocker: KeyUnlocker | None = field(default=None, init=False, repr=False)

    @property
    def local(self) -> Store:
        """The local store; a Problem when the tips come from a copied inbox alone."""
        if self.store is None:
            raise Problem("this needs the local store")
        return self.store

    def names(self) -> list[str]:
        """The names of every tip and follow-up here."""
        return self.inbox.names() if self.inbox else self.local.names()

    def states(self) -> dict[str, TipState]:
        """Each tip's triage state (none for a copied inbox)."""
        return {} if self.inbox else self.local.states()

    def entries(self) -> list[KeyEntry]:
        """The private keys that may open these tips: --key files, then the keyring."""
        return key_entries(self.store, self.key_files)

    def resolve(self, prefix: str) -> str:
        """The one name starting with ``prefix`` (IdError if none or several)."""
        return shortid.resolve(prefix, self.names())

    @property
    def unlocker(self) -> KeyUnlocker:
        """The keys unlocked so far for this source."""
        if self._unlocker is None:
            self._unlocker = KeyUnlocker(self.entries, self.ask, self.tell)
        return self._unlocker

    def pairs(self, sealed: Iterable[bytes]) -> list[keys.KeyPair]:
        """The unlocked keys these envelopes need (asked for once each)."""
        return self.unlocker.need(sealed)

    def _read_chunk(self, names: Sequence[str]) -> list[bytes]:
        if self.inbox:
            return [self.inbox.read(name) for name in names]
        return self.local.read_many(names)

    def _read_tips(self, names: Sequence[str], plaintexts: Sequence[bytes | reader.Unreadable]
                   ) -> tuple[list[reader.Opened], list[reader.Unreadable]]:
        # In the store a tip nobody has touched yet is new; an inbox copy has no status.
        untouched = TipState() if self.inbox is None else None  # one for all: only read
        return reader.read_tips_parted(names, plaintexts, self.unlocker.pairs, self.states(),
                                       untouched)

    def conversations(self) -> tuple[list[Conversation], list[reader.Unreadable]]:
        """Every tip with its follow-ups and the staff's replies, opened in memory."""
        names = self.names()
        stored = [] if self.inbox else self.local.replies()
        plaintexts = unseal_all(names, self._read_chunk, self.pairs, [r.sealed for r in stored])
        opened, unreadable = self._read_tips(names, plaintexts)
        replies = [reader.open_reply(r, self.unlocker.pairs) for r in stored]
        return gather(opened, replies), unreadable

    def conversation(self, tip_id: str) -> tuple[str, Conversation]:
        """The full name ``tip_id`` starts with, and the conversation holding it, opened."""
        name = self.resolve(tip_id)
        conversations, unreadable = self.conversations()
        broken = next((u for u in unreadable if u.id == name), None)
        if broken is not None:
            raise Problem(f"tip {name} cannot be opened: {broken.reason}")
        return name, find(conversations, name)

    def mark_read(self, conversation: Conversation) -> None:
        """Mark the new members of ``conversation`` read (a copied inbox has no status)."""
        if self.inbox is not None:
            return
        for item in (conversation.root, *conversation.followups):
            if item.status == "new":
                self.local.set_status(item.id, "read")


def source_for(store: Path | None, inbox: Path | None, key_files: Sequence[Path],
               ask: AskPassphrase = cannot_ask, tell: Tell = tell_nobody) -> Source:
    """The copied ``inbox`` if given, else the store at ``store`` (or the default one)."""
    if inbox is not None:
        # A copied folder: read only, and the store's keyring still helps open it.
        return Source(open_store(store) if store else None, Inbox(inbox), key_files, ask, tell)
    return Source(open_store(store), None, key_files, ask, tell)
