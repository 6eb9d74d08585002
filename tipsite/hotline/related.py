"""Tips that name the same place, vehicle, phone or company, so the centre sees a pattern.

Three neighbours who report one clinic write its address three ways; a van's plate
is "AB 12 345" in one tip and "ab12345" in the next. Each tip's text is searched for
a few kinds of identifier, each brought to one spelling, and tips that share one are
linked, with what matched, so the desk can show and highlight it.

Kept deliberately narrow: an identifier must be specific enough that two tips naming
it are worth a look together (a street without a number, a first name or a town
alone would link everything). Danish formats first, as the tips are.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# A street name ending in a Danish street word, a house number, an optional postcode.
STREET_WORDS = (
    "gade", "vej", "allé", "alle", "stræde", "plads", "torv", "vænge", "have", "boulevard",
    "park", "stien", "sti", "toften", "bakken", "parken", "haven", "engen", "vangen", "kær",
    "høj", "holm")
# House numbers are found first (digits are rare in a text; a regex that tries a
# street at every letter cost most of the time of reading a tip), then the word before
# each is checked for a street word.
_NUMBER = re.compile(
    r"(?<=[ \t])(?P<number>\d{1,4}(?: ?[A-Za-z](?!\w))?)(?!\d)(?:,?[ \t]*\d{4}(?!\d))?")
_WORD_BEFORE = re.compile(r"(?P<word>[^\W\d_]+)\.?[ \t]+$")
# Danish plates: two letters and five digits, however spaced ("AB 12 345", "ab12345").
_PLATE = re.compile(r"\b(?P<letters>[A-Za-zÆØÅæøå]{2})[ -]?(?P<digits>\d{2}[ -]?\d{3})\b")
# Phone numbers: Danish eight digits (with or without +45), or a +country number.
_DANISH_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)45[ -]?)?(?P<digits>\d{2}(?:[ -]?\d{2}){3})(?!\d)")
_FOREIGN_PHONE = re.compile(
    r"(?<![\d+])(?:\+|00)(?!45)(?P<digits>[1-9]\d{0,2}(?:[ -]?\d){6,12})(?!\d)")
# Company registration (CVR) numbers, and names ending in a Danish company form.
_CVR = re.compile(r"\bCVR(?:-?nr\.?|-nummer)?[:\s]*(?P<digits>\d{2} ?\d{2} ?\d{2} ?\d{2})\b",
                  re.IGNORECASE)
_COMPANY = re.compile(
    r"\b(?P<name>[A-ZÆØÅ0-9][\w&.'-]*(?: [A-ZÆØÅ0-9&][\w&.'-]*){0,3})"
    r" (?P<form>ApS|A/S|I/S|IVS|K/S)(?![\w/])")


# An identifier named by more conversations than this says nothing about any one of
# them (the centre's own phone number, a chain's name) and would link every tip to
# every other, n² links: it is left out.
MAX_SHARED = 25


@dataclass(frozen=True, order=True)
class Identifier:
    """A thing a tip names: its kind, its one spelling, and how this tip wrote it."""

    kind: str  # "address", "plate", "phone", "cvr", "company"
    value: str  # normalised: the key tips are linked by
    written: str  # as it appears in the text, for highlighting


@dataclass(frozen=True)
class Link:
    """Another conversation naming some of the same things."""

    other: str  # its id
    shared: tuple[Identifier, ...]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _addresses(text: str) -> list[tuple[int, Identifier]]:
    """Street and house number: "Vestergade 12", "nørre allé 3b" (a capitalised first word)."""
    found: list[tuple[int, Identifier]] = []
    for m in _NUMBER.finditer(text):
        word = _WORD_BEFORE.search(text[max(0, m.start() - 40):m.start()])
        if word is None:
            continue
        folded, start = word["word"].casefold(), m.start() - len(word.group(0))
        if any(folded.endswith(w) and len(folded) > len(w) for w in STREET_WORDS):
            street = folded  # one word: "Vestergade", "nørrebrogade"
        elif folded in STREET_WORDS:
            # Two words, the first capitalised ("Nørre Allé"): "på Toften" is no street.
            before = _WORD_BEFORE.search(text[max(0, start - 40):start])
            if before is None or not before["word"][:1].isupper():
                continue
            street = before["word"].casefold() + folded
            start -= len(before.group(0))
        else:
            continue
        number = m["number"].replace(" ", "").casefold()
        found.append((start, Identifier("address", f"{street} {number}",
                                        text[start:m.end()].strip())))
    return found


def identifiers(text: str) -> list[Identifier]:
    """The identifiers found in ``text``, in the order they appear."""
    found: list[tuple[int, Identifier]] = []
    found += _addresses(text)
    for m in _PLATE.finditer(text):
        value = m["letters"].upper() + _digits(m["digits"])
        found.append((m.start(), Identifier("plate", value, m.group(0))))
    taken: list[tuple[int, int]] = []  # CVR and foreign numbers are not Danish phones
    for m in _CVR.finditer(text):
        found.append((m.start(), Identifier("cvr", _digits(m["digits"]), m.group(0))))
        taken.append(m.span())
    for m in _FOREIGN_PHONE.finditer(text):
        found.append((m.start(), Identifier("phone", "+" + _digits(m["digits"]), m.group(0))))
        taken.append(m.span())
    for m in _DANISH_PHONE.finditer(text):
        if not any(start <= m.start() < end for start, end in taken):
            value = "+45" + _digits(m["digits"])
            found.append((m.start(), Identifier("phone", value, m.group(0))))
    for m in _COMPANY.finditer(text):
        value = f"{m['name'].casefold()} {m['form'].casefold()}"
        found.append((m.start(), Identifier("company", value, m.group(0))))
    return [identifier for _, identifier in sorted(found, key=lambda pair: pair[0])]


def link(texts: Mapping[str, str]) -> dict[str, list[Link]]:
    """For each conversation id in ``texts`` (id → its text), the others sharing identifiers.

    Links come most-shared first; a conversation with none is left out.
    """
    found = {cid: identifiers(text) for cid, text in texts.items()}
    by_value: dict[tuple[str, str], set[str]] = defaultdict(set)
    for cid, items in found.items():
        for item in items:
            by_value[(item.kind, item.value)].add(cid)
    links: dict[str, list[Link]] = {}
    for cid, items in found.items():
        shared: dict[str, dict[tuple[str, str], Identifier]] = defaultdict(dict)
        for item in items:
            sharing = by_value[(item.kind, item.value)]
            if len(sharing) > MAX_SHARED:
                continue
            for other in sharing - {cid}:
                shared[other].setdefault((item.kind, item.value), item)
        if shared:
            links[cid] = sorted(
                (Link(other, tuple(sorted(values.values()))) for other, values in shared.items()),
                key=lambda lk: (-len(lk.shared), lk.other))
    return links


def written_forms(links: Iterable[Link]) -> set[str]:
    """Every spelling this conversation used for what it shares (to highlight)."""
    return {item.written for lk in links for item in lk.shared}
