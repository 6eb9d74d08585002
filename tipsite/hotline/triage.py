"""Triage: which conversations to show and in what order, statuses, notes and purging.

Every function here works on the local store or on opened conversations; none
prints or asks, so the command line and the staff desk share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from tipsite.core.envelope import envelope_key_id, seal
from tipsite.core.errors import EnvelopeError
from tipsite.hotline import reader, shortid
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import STATUSES, Store
from tipsite.hotline.unlock import key_entries


def triage_order(conversation: Conversation) -> tuple[int, str]:
    """New first (a new follow-up counts), then read, then handled; oldest first in each."""
    status = conversation.status
    rank = STATUSES.index(status) if status in STATUSES else 0
    return rank, conversation.root.received_at


def setting_of(conversation: Conversation) -> str | None:
    """The setting of the conversation's tip (None for a follow-up whose tip is not here)."""
    root = conversation.root
    return root.fields["setting"] if isinstance(root, reader.Tip) else None


def matches(conversation: Conversation, statuses: Sequence[str], setting: str | None) -> bool:
    """True if ``conversation`` has one of ``statuses`` (any if empty) and ``setting``."""
    return ((not statuses or conversation.status in statuses)
            and (setting is None or setting_of(conversation) == setting))


def select(conversations: Iterable[Conversation], statuses: Sequence[str], setting: str | None
           ) -> list[Conversation]:
    """Conversations with one of ``statuses`` (all if empty) and ``setting`` (any if None)."""
    return sorted((c for c in conversations if matches(c, statuses, setting)),
                  key=triage_order)


def mark_handled(local: Store, tip_id: str, day: date, names: Sequence[str] | None = None
                 ) -> str:
    """Mark the tip ``tip_id`` (a unique start of a name) handled on ``day``; its name.

    ``names`` are the store's names, when the caller marks several tips.
    """
    name = shortid.resolve(tip_id, local.names() if names is None else names)
    local.set_status(name, "handled", day.isoformat())
    return name


def add_note(local: Store, name: str, text: str, key_files: Sequence[Path] = ()) -> None:
    """Seal ``text`` as a staff note on the tip ``name``, to the key the tip was sealed to."""
    if not text.strip():
        raise Problem("the note is empty")
    try:
        wanted = envelope_key_id(local.read(name))
    except EnvelopeError as exc:
        raise Problem(f"tip {name} cannot be opened: {exc}") from None
    entry = next((e for e in key_entries(local, key_files) if e.key_id == wanted), None)
    if entry is None:
        raise Problem(f"tip {name} is sealed to a key you do not hold")
    # Sealed to the tip's own key: a note says as much as the tip and is kept as safely.
    local.add_note(name, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   seal(text.strip().encode("utf-8"), entry.public))


@dataclass(frozen=True)
class Purge:
    """What a purge removes, and the handled tips it keeps for an unread follow-up."""

    doomed: list[str]
    kept: list[str]


def plan_purge(local: Store, conversations: Sequence[Conversation],
               unreadable: Sequence[reader.Unreadable], cutoff: str) -> Purge:
    """The tips handled on or before ``cutoff`` (YYYY-MM-DD), with everything of theirs.

    A handled tip that has an unread follow-up is kept: new details are never
    deleted unseen.
    """
    states = local.states()
    doomed: list[str] = []
    kept: list[str] = []
    for conversation in conversations:
        root = conversation.root
        if root.status != "handled" or root.handled_on > cutoff:
            continue
        if conversation.new_followups:
            kept.append(root.id)
            continue
        doomed += conversation.members()
    for item in unreadable:  # its follow-ups cannot be known; its own status still counts
        state = states.get(item.id)
        if state and state.status == "handled" and state.handled_on <= cutoff:
            doomed.append(item.id)
    return Purge(doomed, kept)


def remove(local: Store, names: Sequence[str]) -> None:
    """Remove the tips and follow-ups ``names`` for good, with their notes and replies."""
    with local.locked():
        for name in names:
            local.remove(name)
