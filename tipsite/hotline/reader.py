"""Opening sealed tips in memory, for showing and exporting.

Every envelope becomes a :class:`Tip`, a :class:`Followup` (more details a
tipster sent later with their receipt code), or an :class:`Unreadable` that names
the envelope and the reason, so one broken envelope never hides the others. Nothing
opened here is written anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from tipsite.core import payload
from tipsite.core.envelope import open_envelope
from tipsite.core.errors import EnvelopeError
from tipsite.core.keys import KeyPair
from tipsite.core.receipt import DERIVATION, is_lookup, lookup_of
from tipsite.hotline.store import SealedNote, SealedReply, TipState

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

REPLY_KEY_BYTES = 32  # an X25519 public key
# Fewer envelopes than this are read and opened in the calling thread: for a
# handful, starting threads costs more than it saves.
PARALLEL_FROM = 64
# Envelopes per task: few enough tasks that futures cost nothing next to the work,
# small enough that the first chunk (whose keys are unlocked first) is read at once.
CHUNK_SIZE = 250
MAX_WORKERS = 4
# The fields of a tip that hold text (all but the indicator list).
_TEXTS_OF = itemgetter(*(name for name in payload.FIELD_NAMES if name != "indicators"))

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Note:
    """A staff note, opened."""

    written_at: str
    text: str


@dataclass(frozen=True)
class ReplyTo:
    """Where replies to a conversation go: the receipt's lookup id and reply key.

    ``bound`` is True only if the lookup id is the hash of the key under the named
    derivation (receipt.is_bound): only such a pair came from a receipt code. A pair
    that is not bound was made by someone else (a forger who can write the inbox)
    and never receives a reply.
    """

    lookup: str
    key: str
    derivation: str = ""
    bound: bool = False


# Tip and Followup are not frozen: a frozen dataclass sets each field through
# object.__setattr__, far slower to build, and an export builds one per tip
# (docs/performance.md).
@dataclass(slots=True)
class Tip:
    """One opened tip with the staff's triage state."""

    id: str
    received_at: str
    lang: str
    fields: dict[str, Any]  # exactly payload.FIELD_NAMES, in that order (see _clean_fields)
    status: str = ""  # empty when read straight from an inbox folder (no store)
    handled_on: str = ""
    notes: list[Note] = field(default_factory=list)
    reply_to: ReplyTo | None = None  # None for tips sent before receipt codes

    @property
    def indicators(self) -> list[str]:
        value = self.fields["indicators"]
        return list(value)


@dataclass(slots=True)
class Followup:
    """More details a tipster sent later with their receipt code."""

    id: str
    received_at: str
    lang: str
    message: str
    reply_to: ReplyTo | None
    status: str = ""
    handled_on: str = ""
    notes: list[Note] = field(default_factory=list)
    suspicious: str = ""  # why this follow-up may be forged (conversation.gather); "" if not


#: Why a follow-up is flagged (shown by list, show and the exports).
UNBOUND = "its lookup id does not belong to its reply key: not made from a receipt code"
OTHER_KEY = "its reply key is not the key of the tip it names"
UNBOUND_TIP = "its lookup id does not belong to its reply key: no reply can be sent"


@dataclass(frozen=True)
class Reply:
    """A reply the staff wrote, opened from their own sealed copy."""

    id: str
    tip: str  # the tip or follow-up it answers
    written_at: str
    message: str
    waiting: bool  # not yet on the site


@dataclass(frozen=True)
class Unreadable:
    """An envelope that cannot be opened, and why."""

    id: str
    reason: str


Opened = Tip | Followup


def worker_count() -> int:
    """Threads for reading and opening envelopes: one per core, at most four.

    Threads help because file reads and libsodium (through cffi) run without the
    GIL, so envelopes are read and decrypted on every core at once.
    """
    return min(MAX_WORKERS, os.cpu_count() or 1)


@contextmanager
def envelope_pool(count: int, workers: int = 0) -> Iterator[ThreadPoolExecutor | None]:
    """A pool of ``workers`` threads (default :func:`worker_count`), or None.

    None when ``count`` envelopes are too few to be worth threads, or there is one core.
    """
    if count < PARALLEL_FROM or worker_count() < 2:
        yield None
        return
    # Imported here: commands that open a few envelopes start without it.
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(workers or worker_count(), thread_name_prefix="hotline-open")
    try:
        yield pool
    finally:
        # After a wrong passphrase or ^C, do not read the rest of the store first.
        pool.shutdown(wait=True, cancel_futures=True)


def chunked_map(
    pool: ThreadPoolExecutor | None, func: Callable[[Sequence[T]], list[R]], items: Sequence[T]
) -> Iterator[list[R]]:
    """``func`` over ``items`` a chunk at a time, in ``pool`` if given.

    Results come back chunk by chunk in the order of ``items`` whatever thread
    finished first, so output stays deterministic; an exception in a chunk is
    raised here, as a serial loop would raise it.
    """
    chunks = [items[i : i + CHUNK_SIZE] for i in range(0, len(items), CHUNK_SIZE)]
    return pool.map(func, chunks) if pool is not None else map(func, chunks)


def _clean_fields(raw: dict[str, Any]) -> dict[str, Any]:
    # The document came from outside: every field is made the type we expect,
    # so a hostile payload cannot break a listing or an export.
    if (tuple(raw) == payload.FIELD_NAMES and set(map(type, _TEXTS_OF(raw))) == {str}
            and type(raw["indicators"]) is list and set(map(type, raw["indicators"])) <= {str}):
        # Exactly as the site writes them (checked with C-level calls: an export checks
        # 10,000 tips): the parsed dict is used as it is, no copy.
        return raw
    fields: dict[str, Any] = {}
    for name in payload.FIELD_NAMES:
        value = raw.get(name)
        if name == "indicators":
            items = value if isinstance(value, list) else []
            fields[name] = [str(item) for item in items]
        else:
            fields[name] = value if isinstance(value, str) else ("" if value is None else
                                                                   str(value))
    return fields


def _reply_to(value: Any) -> ReplyTo | None:
    # From outside too: a link that is not a lookup id and a 32-byte key is no link.
    if not isinstance(value, dict):
        return None
    lookup, key = value.get("lookup"), value.get("key")
    if not isinstance(lookup, str) or not is_lookup(lookup) or not isinstance(key, str):
        return None
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != REPLY_KEY_BYTES:
        return None
    derivation = value.get("derivation")
    derivation = derivation if isinstance(derivation, str) else ""
    # Recomputed here, never trusted from the document: the key must hash to the id
    # (receipt.is_bound, on the bytes already decoded: an export reads 10,000 tips).
    bound = derivation == DERIVATION and hmac.compare_digest(lookup_of(raw), lookup)
    return ReplyTo(lookup, key, derivation, bound)


def unseal(name: str, data: bytes, key_pairs: Sequence[KeyPair]) -> bytes | Unreadable:
    """The plaintext of envelope ``data`` (named ``name``), or why it does not open."""
    try:
        return open_envelope(data, key_pairs)
    except EnvelopeError as exc:
        return Unreadable(name, str(exc))


def unseal_chunk(names: Sequence[str], sealed: Sequence[bytes], key_pairs: Sequence[KeyPair]
                 ) -> list[bytes | Unreadable]:
    """The plaintext of each envelope in ``sealed`` (named ``names``), or why it does not open.

    Meant for a pool's threads: libsodium runs without the GIL, so several chunks are
    decrypted on several cores at once.
    """
    return [unseal(name, data, key_pairs) for name, data in zip(names, sealed, strict=True)]


def read_tips(
    names: Sequence[str], plaintexts: Sequence[bytes | Unreadable], key_pairs: Sequence[KeyPair],
    states: Mapping[str, TipState], untouched: TipState | None,
) -> list[Opened | Unreadable]:
    """The tips and follow-ups ``names`` from their opened envelopes, in the same order.

    ``states`` holds each tip's triage state, ``untouched`` stands for the missing
    ones. Call it once every envelope is decrypted: parsing while threads decrypt was
    slower, because the parser holds the GIL and each decrypting thread waited up to
    a switch interval to take it back after every envelope (docs/performance.md).
    """
    return [
        plaintext if isinstance(plaintext, Unreadable)
        else read_tip(name, plaintext, key_pairs, states.get(name, untouched))
        for name, plaintext in zip(names, plaintexts, strict=True)
    ]


def read_tips_parted(
    names: Sequence[str], plaintexts: Sequence[bytes | Unreadable], key_pairs: Sequence[KeyPair],
    states: Mapping[str, TipState], untouched: TipState | None,
) -> tuple[list[Opened], list[Unreadable]]:
    """:func:`read_tips`, the opened ones and the unreadable ones apart, each in order."""
    opened: list[Opened] = []
    unreadable: list[Unreadable] = []
    for item in read_tips(names, plaintexts, key_pairs, states, untouched):
        if isinstance(item, Unreadable):
            unreadable.append(item)
        else:
            opened.append(item)
    return opened, unreadable


def read_tip(
    name: str, plaintext: bytes, key_pairs: Sequence[KeyPair], state: TipState | None = None
) -> Opened | Unreadable:
    """The tip or follow-up ``name`` from its opened envelope's ``plaintext``.

    ``key_pairs`` open the staff's sealed notes in ``state``.
    """
    try:
        doc = payload.read_document(plaintext)
    except EnvelopeError as exc:  # PayloadError is one
        return Unreadable(name, str(exc))
    if state:
        notes = [open_note(note, key_pairs) for note in state.notes] if state.notes else []
        status, handled_on = state.status, state.handled_on
    else:
        notes, status, handled_on = [], "", ""
    reply_to = _reply_to(doc["reply_to"]) if "reply_to" in doc else None
    received_at, lang = doc["received_at"], str(doc.get("lang", ""))  # received_at: checked
    if doc.get("kind") == payload.KIND_FOLLOWUP:
        message = doc["fields"].get("message")
        return Followup(name, received_at, lang, message if isinstance(message, str) else "",
                        reply_to, status, handled_on, notes,
                        "" if reply_to is not None and reply_to.bound else UNBOUND)
    # Positional: an export makes one per tip, and keywords cost more (docs/performance.md).
    return Tip(name, received_at, lang, _clean_fields(doc["fields"]), status, handled_on, notes,
               reply_to)


def open_note(note: SealedNote, key_pairs: Sequence[KeyPair]) -> Note:
    """Open a sealed staff note; a note that does not open says so instead of failing."""
    try:
        text = open_envelope(note.sealed, key_pairs).decode("utf-8", errors="replace")
    except EnvelopeError as exc:
        text = f"[this note cannot be opened: {exc}]"
    return Note(note.written_at, text)


def open_reply(sealed: SealedReply, key_pairs: Sequence[KeyPair]) -> Reply:
    """Open the staff's copy of a reply; one that does not open says so instead."""
    try:
        message = str(payload.read_reply(open_envelope(sealed.sealed, key_pairs))["message"])
    except EnvelopeError as exc:  # PayloadError is one too
        message = f"[this reply cannot be opened: {exc}]"
    return Reply(sealed.name, sealed.tip, sealed.written_at, message, sealed.waiting)
