"""Opening sealed tips in memory, for showing and exporting.

Every envelope becomes either a :class:`Tip` or an :class:`Unreadable` that names
the tip and the reason, so one broken envelope never hides the others. Nothing
opened here is written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tipsite import payload
from tipsite.envelope import envelope_key_id, open_envelope
from tipsite.errors import EnvelopeError
from tipsite.keys import KeyPair
from tipsite.store import SealedNote, TipState


@dataclass(frozen=True)
class Note:
    """A staff note, opened."""

    written_at: str
    text: str


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

    @property
    def indicators(self) -> list[str]:
        value = self.fields["indicators"]
        return list(value)


@dataclass(frozen=True)
class Unreadable:
    """An envelope that cannot be opened, and why."""

    id: str
    reason: str


class _Pair(KeyPair):
    """A key pair whose key id is worked out once, not once per envelope."""

    @cached_property
    def key_id(self) -> bytes:
        return super().key_id


def with_cached_ids(pairs: Iterable[KeyPair]) -> list[KeyPair]:
    """``pairs`` made cheap to match against thousands of envelopes."""
    return [_Pair(pair.private) for pair in pairs]


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


def open_tip(
    name: str, data: bytes, key_pairs: Sequence[KeyPair], state: TipState | None = None
) -> Tip | Unreadable:
    """Open envelope ``data`` (tip ``name``) with whichever key it was sealed to."""
    try:
        doc = payload.read_document(open_envelope(data, key_pairs))
    except EnvelopeError as exc:  # PayloadError is one too
        return Unreadable(name, str(exc))
    notes = [open_note(note, key_pairs) for note in (state.notes if state else [])]
    return Tip(
        id=name,
        received_at=str(doc["received_at"]),
        lang=str(doc.get("lang", "")),
        fields=_clean_fields(doc["fields"]),
        status=state.status if state else "",
        handled_on=state.handled_on if state else "",
        notes=notes,
    )


def open_note(note: SealedNote, key_pairs: Sequence[KeyPair]) -> Note:
    """Open a sealed staff note; a note that does not open says so instead of failing."""
    try:
        text = open_envelope(note.sealed, key_pairs).decode("utf-8", errors="replace")
    except EnvelopeError as exc:
        text = f"[this note cannot be opened: {exc}]"
    return Note(note.written_at, text)
