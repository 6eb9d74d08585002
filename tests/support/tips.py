"""Tips for tests: form fields, envelopes sealed into a real inbox, and reading them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.public

from tipsite.core import envelope, keys, payload
from tipsite.core.inbox import Inbox

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def a_tip(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """A valid tip as a tipster fills in the form, with ``changes`` applied."""
    tip: dict[str, str | list[str]] = {
        "setting": "massage_clinic",
        "location": "Hovedgaden 12, 4000 Roskilde",
        "description": "Kvinderne ser ud til at sove i klinikken.",
    }
    tip.update(changes)
    return tip


def tip_fields(**fields: Any) -> dict[str, Any]:
    """A complete set of form fields; ``fields`` override the defaults."""
    base: dict[str, Any] = {
        "setting": "massage_clinic",
        "location": "Nørregade 12, 2. th., Århus",
        "description": "Vinduerne er altid dækket til, og kvinderne bor i klinikken.",
        "indicators": ["A1", "A4"],
        "when": "Hver aften",
        "people": "3 kvinder, ca. 20 år",
        "vehicles": "AB 12 345",
        "relation": "neighbour",
        "contact": "",
    }
    base.update(fields)
    return base


def seal_tip(public: nacl.public.PublicKey, minutes: int = 0, **fields: Any) -> bytes:
    """A sealed envelope holding a tip document, received ``minutes`` after START."""
    document = payload.tip_document(tip_fields(**fields), "da", START + timedelta(minutes=minutes))
    return envelope.seal(document, public)


def deliver(inbox_path: Path, public: nacl.public.PublicKey, count: int = 1,
            **fields: Any) -> list[str]:
    """Seal ``count`` tips and deliver them to the inbox at ``inbox_path``; their names."""
    inbox = Inbox(inbox_path)
    inbox.prepare()
    return [inbox.deliver(seal_tip(public, minutes=i, **fields)) for i in range(count)]


def deliver_raw(inbox_path: Path, data: bytes) -> str:
    """Put arbitrary bytes into the inbox as if they were an envelope."""
    inbox = Inbox(inbox_path)
    inbox.prepare()
    return inbox.deliver(data)


def envelopes_in(inbox: Path) -> list[Path]:
    """The complete envelopes in an inbox's new/ folder."""
    return sorted((inbox / "new").iterdir()) if (inbox / "new").exists() else []


def open_all(inbox: Path, pair: keys.KeyPair) -> list[dict[str, object]]:
    """Decrypt every envelope in ``inbox`` and return the payload documents."""
    return [
        payload.read_document(envelope.open_envelope(p.read_bytes(), [pair]))
        for p in envelopes_in(inbox)
    ]
