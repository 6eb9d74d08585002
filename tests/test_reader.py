"""Opening tip documents that came from outside: odd shapes never break the staff tool.

A sealed tip is only as trustworthy as whoever holds the public key, so the reader
turns every document into the shapes the listing and the exports expect, or into an
Unreadable that says why. The fast path for documents as the site writes them must
give exactly what the careful path gives.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tipsite.core import payload
from tipsite.hotline import exports, reader
from tipsite.hotline.conversation import Conversation

NAME = "0" * 32
SITE_FIELDS: dict[str, Any] = {
    "setting": "massage_clinic", "location": "Nørregade 1, 8000 Aarhus C",
    "description": "De sover i klinikken 😟", "indicators": ["A1", "D3"], "when": "om natten",
    "people": "3 kvinder", "vehicles": "", "relation": "neighbour", "contact": "",
}


def document(fields: Any, **top: Any) -> bytes:
    doc = {"schema": 1, "kind": "tip", "received_at": "2026-11-28T10:15:03Z", "lang": "da",
           "fields": fields, **top}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def opened(plaintext: bytes) -> reader.Tip:
    tip = reader.read_tip(NAME, plaintext, [])
    assert isinstance(tip, reader.Tip), tip
    return tip


def test_a_tip_as_the_site_writes_it_opens_unchanged() -> None:
    tip = opened(payload.tip_document(SITE_FIELDS, "da", payload.utc_now()))
    assert tip.fields == SITE_FIELDS
    assert tuple(tip.fields) == payload.FIELD_NAMES


@pytest.mark.parametrize(("fields", "expected"), [
    # a text field holding a list, a number, null; indicators as text or with numbers
    ({**SITE_FIELDS, "location": ["a", "b"]}, {"location": "['a', 'b']"}),
    ({**SITE_FIELDS, "people": 3}, {"people": "3"}),
    ({**SITE_FIELDS, "contact": None}, {"contact": ""}),
    ({**SITE_FIELDS, "indicators": "A1"}, {"indicators": []}),
    ({**SITE_FIELDS, "indicators": ["A1", 7, None]}, {"indicators": ["A1", "7", "None"]}),
])
def test_fields_of_the_wrong_type_are_made_the_right_type(
    fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    tip = opened(document(fields))
    assert tip.fields == {**SITE_FIELDS, **expected}
    assert tuple(tip.fields) == payload.FIELD_NAMES


def test_missing_extra_and_reordered_fields_give_exactly_the_form_fields_in_order() -> None:
    shuffled = dict(reversed(list(SITE_FIELDS.items())))
    assert opened(document(shuffled)).fields == SITE_FIELDS
    assert tuple(opened(document(shuffled)).fields) == payload.FIELD_NAMES
    extra = opened(document({**SITE_FIELDS, "secret": "x"})).fields
    assert "secret" not in extra
    assert tuple(extra) == payload.FIELD_NAMES
    sparse = opened(document({"description": "kun dette"})).fields
    assert sparse["description"] == "kun dette"
    assert sparse["indicators"] == []
    assert tuple(sparse) == payload.FIELD_NAMES


def test_the_json_export_keeps_the_form_field_order_whatever_the_document_said() -> None:
    shuffled = dict(reversed(list(SITE_FIELDS.items())))
    [record] = json.loads(exports.to_json([Conversation(opened(document(shuffled)))]))
    assert list(record)[4:4 + len(payload.FIELD_NAMES)] == list(payload.FIELD_NAMES)


@pytest.mark.parametrize("plaintext", [
    b"\xff\xfe not UTF-8",
    b'{"schema": 1, "kind": "tip", "received_at": "x", "fields": {"location": "\\ud800"}}',
    b'{"schema": 1, "kind": "tip", "received_at": "x", "fields": {"people": NaN}}',
    b"[" * 5000 + b"]" * 5000,  # nesting the standard json module overflows the stack on
    b'{"schema": 2, "kind": "tip", "received_at": "x", "fields": {}}',
    b'{"schema": 1, "kind": "tip", "fields": {}}',
    b'"just a string"',
])
def test_a_document_that_is_not_a_tip_is_unreadable_with_a_reason(plaintext: bytes) -> None:
    result = reader.read_tip(NAME, plaintext, [])
    assert isinstance(result, reader.Unreadable)
    assert result.id == NAME
    assert result.reason
