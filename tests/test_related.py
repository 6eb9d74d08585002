"""Related tips: the same address, plate, phone, CVR or company, however it was written."""

from __future__ import annotations

import pytest

from tipsite.hotline.related import MAX_SHARED, Identifier, identifiers, link, written_forms


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Klinikken på Vestergade 12, 8000 Aarhus", "address", "vestergade 12"),
    ("de bor i Nørre Allé 3B", "address", "nørreallé 3b"),
    ("på vestergade 12", "address", "vestergade 12"),
    ("en hvid varevogn AB 12 345 kommer kl. 5", "plate", "AB12345"),
    ("nummerplade ab12345", "plate", "AB12345"),
    ("ring til 20 30 40 50", "phone", "+4520304050"),
    ("tlf. +45 2030 4050", "phone", "+4520304050"),
    ("manden har et polsk nummer +48 601 234 567", "phone", "+48601234567"),
    ("firmaet har CVR-nr. 12 34 56 78", "cvr", "12345678"),
    ("skiltet siger Golden Lotus Wellness ApS", "company", "golden lotus wellness aps"),
    ("Byg & Montage A/S på pladsen", "company", "byg & montage a/s"),
])
def test_each_kind_is_found_in_one_spelling(text: str, kind: str, value: str) -> None:
    found = [(i.kind, i.value) for i in identifiers(text)]
    assert (kind, value) in found, found


@pytest.mark.parametrize("text", [
    "Der er lys hele natten og vinduerne er dækket til.",  # nothing specific
    "Vestergade",  # a street without a number would link half of Denmark
    "kl. 05:30 den 12.03.2026",  # times and dates are not phone numbers
    "omkring 20 personer",
    "de sidder på Toften 3 gange om ugen",  # "på Toften" is not a street name
])
def test_vague_text_names_nothing(text: str) -> None:
    assert identifiers(text) == []


def test_a_cvr_number_is_not_also_a_phone_number() -> None:
    assert [i.kind for i in identifiers("CVR 12345678")] == ["cvr"]


def test_three_neighbours_reporting_one_clinic_are_linked_with_what_matched() -> None:
    texts = {
        "a": "Massageklinik på Vestergade 12, 8000 Aarhus. Bil: AB 12 345.",
        "b": "vestergade 12 - kvinder sover der. Ring 20 30 40 50",
        "c": "Samme bil ab12345 henter dem om morgenen. tlf +45 20304050",
        "d": "Byggeplads i Odense, Kongensgade 7",
    }
    links = link(texts)
    assert "d" not in links
    assert [lk.other for lk in links["a"]] == ["b", "c"]
    assert [(i.kind, i.value) for i in links["a"][0].shared] == [("address", "vestergade 12")]
    assert [(i.kind, i.value) for i in links["a"][1].shared] == [("plate", "AB12345")]
    assert {lk.other: [i.kind for i in lk.shared] for lk in links["b"]} == {
        "a": ["address"], "c": ["phone"]}
    assert written_forms(links["c"]) == {"ab12345", "+45 20304050"}


def test_an_address_ends_at_the_end_of_its_line() -> None:
    assert identifiers("vestergade 12\nSamme klinik") == [
        Identifier("address", "vestergade 12", "vestergade 12")]


def test_identifiers_remember_how_the_tip_wrote_them() -> None:
    assert identifiers("Bil: AB 12 345") == [Identifier("plate", "AB12345", "AB 12 345")]


def test_a_number_in_every_tip_links_nothing() -> None:
    # The hotline's own number, quoted by many tipsters, is no sign two tips belong together.
    texts = {f"t{n}": f"Jeg ringede til 70 20 25 50 om sted nr. {n}" for n in range(MAX_SHARED + 1)}
    texts["x"] = "Bil AB 12 345"
    texts["y"] = "samme bil ab12345"
    assert set(link(texts)) == {"x", "y"}
