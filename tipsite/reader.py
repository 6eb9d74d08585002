"""Opening sealed tips in memory, for showing and exporting.

Every envelope becomes a :class:`Tip`, a :class:`Followup` (more details a
tipster sent later with their receipt code), or an :class:`Unreadable` that names
the envelope and the reason, so one broken envelope never hides the others. Nothing
opened here is written anywhere.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from tipsite import payload
from tipsite.envelope import envelope_key_id, open_envelope
from tipsite.errors import EnvelopeError
from tipsite.keys import KeyPair
from tipsite.receipt import is_lookup
from tipsite.store import SealedNote, SealedReply, TipState

REPLY_KEY_BYTES = 32  # an X25519 public key


@dataclass(frozen=True)
class Note:
    """A staff note, opened."""

    written_at: str
    text: str


@dataclass(frozen=True)
class ReplyTo:
    """Where replies to a conversation go: the receipt's lookup id and reply key."""

    lookup: str
    key: str


@dataclass(frozen=True)
class Tip:
    """One opened tip with the staff's triage state."""

    id: str
    received_at: str
    lang: str
    fields: dict[str, Any]
    status: str = ""  # empty when read straight from an inbox folder (no store)
    handled_on: str = ""
    notes: list[Note] = field(default_factory=list)
    reply_to: ReplyTo | None = None  # None for tips sent before receipt codes

    @property
    def indicators(self) -> list[str]:
        value = self.fields["indicators"]
        return list(value)


@dataclass(frozen=True)
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


def needed_key_ids(envelopes: Iterable[bytes]) -> set[bytes]:
    """The key ids the given envelopes were sealed to (damaged ones are skipped)."""
    wanted: set[bytes] = set()
    for data in envelopes:
        with suppress(EnvelopeError):  # a damaged one is reported when it is opened
            wanted.add(envelope_key_id(data))
    return wanted


def _clean_fields(raw: dict[str, Any]) -> dict[str, Any]:
    # The document came from outside: every field is made the type we expect,
    # so a hostile payload cannot break a listing or an export.
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
        if len(base64.b64decode(key, validate=True)) != REPLY_KEY_BYTES:
            return None
    except (binascii.Error, ValueError):
        return None
    return ReplyTo(lookup, key)


def open_tip(
    name: str, data: bytes, key_pairs: Sequence[KeyPair], state: TipState | None = None
) -> Opened | Unreadable:
    """Open envelope ``data`` (tip or follow-up ``name``) with the key it was sealed to."""
    try:
        doc = payload.read_document(open_envelope(data, key_pairs))
    except EnvelopeError as exc:  # PayloadError is one too
        return Unreadable(name, str(exc))
    notes = [open_note(note, key_pairs) for note in state.notes] if state else []
    status, handled_on = (state.status, state.handled_on) if state else ("", "")
    if doc.get("kind") == payload.KIND_FOLLOWUP:
        message = doc["fields"].get("message")
        return Followup(
            id=name, received_at=str(doc["received_at"]), lang=str(doc.get("lang", "")),
            message=message if isinstance(message, str) else "",
            reply_to=_reply_to(doc.get("reply_to")),
            status=status, handled_on=handled_on, notes=notes,
        )
    return Tip(
        id=name,
        received_at=str(doc["received_at"]),
        lang=str(doc.get("lang", "")),
        fields=_clean_fields(doc["fields"]),
        status=status,
        handled_on=handled_on,
        notes=notes,
        reply_to=_reply_to(doc.get("reply_to")),
    )


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
