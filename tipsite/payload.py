"""The tip document sealed inside an envelope.

A UTF-8 JSON object, schema version 1::

    {
      "schema": 1,
      "kind": "tip",
      "received_at": "2026-11-28T10:15:03Z",   # UTC, to the second
      "lang": "da",                             # the language the tipster used
      "fields": {
        "setting": "massage_clinic",            # an id from vocabulary.SETTINGS
        "location": "...", "description": "...",
        "indicators": ["A4", "D3"],              # ids from vocabulary.INDICATORS
        "when": "...", "people": "...", "vehicles": "...",
        "relation": "neighbour",                # an id from vocabulary.RELATIONS, or ""
        "contact": "..."
      }
    }

Unknown keys are kept when reading, so a newer site and an older staff tool can
still talk; an unknown ``schema`` is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tipsite.errors import PayloadError

SCHEMA = 1
KIND_TIP = "tip"
TEXT_FIELDS = ("location", "description", "when", "people", "vehicles", "contact")
FIELD_NAMES = (
    "setting",
    "location",
    "description",
    "indicators",
    "when",
    "people",
    "vehicles",
    "relation",
    "contact",
)


def utc_now() -> datetime:
    """The current time in UTC, to the second (finer time says nothing useful)."""
    return datetime.now(UTC).replace(microsecond=0)


def tip_document(fields: Mapping[str, Any], lang: str, received_at: datetime) -> bytes:
    """Serialise a tip's ``fields`` into the payload JSON (unsealed: seal it at once)."""
    doc = {
        "schema": SCHEMA,
        "kind": KIND_TIP,
        "received_at": received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lang": lang,
        "fields": {name: fields.get(name, [] if name == "indicators" else "")
                   for name in FIELD_NAMES},
    }
    # ensure_ascii=False keeps Danish letters and emoji as themselves (and smaller).
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_document(plaintext: bytes) -> dict[str, Any]:
    """Parse and check a payload; raise :class:`PayloadError` if it is not one we know."""
    try:
        doc = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PayloadError("the sealed content is not a readable tip document") from None
    if not isinstance(doc, dict):
        raise PayloadError("the sealed content is not a tip document")
    if doc.get("schema") != SCHEMA:
        raise PayloadError(f"unknown tip schema {doc.get('schema')!r} (this tool reads {SCHEMA})")
    fields = doc.get("fields")
    if not isinstance(fields, dict) or not isinstance(doc.get("received_at"), str):
        raise PayloadError("the tip document lacks its fields or time")
    return doc
