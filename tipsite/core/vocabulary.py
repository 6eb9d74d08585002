"""The fixed choices a tip is made of, each with a stable id.

Ids (``massage_clinic``, ``C1``, ``landlord``) go into the sealed payload; labels
are looked up at display time, so the staff tool can show a tip in Danish or
English whatever language the tipster used. Labels are English gettext msgids,
marked with ``N_`` for extraction; the Danish text lives in the catalogs under
``tipsite/translations``. Nationality, ethnicity or sex work are never offered as
a sign (domain notes, design rule).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it now."""
    return text


@dataclass(frozen=True)
class Choice:
    """One option: a stable id and its English label (the gettext msgid)."""

    id: str
    label: str


@dataclass(frozen=True)
class IndicatorGroup:
    """Signs that belong together, shown under one heading."""

    id: str
    title: str
    indicators: tuple[Choice, ...]


SETTINGS: tuple[Choice, ...] = (
    Choice("massage_clinic", N_("Massage clinic")),
    Choice("building_site", N_("Building site")),
    Choice("other_workplace", N_("Other workplace (farm, cleaning, restaurant …)")),
    Choice("flat", N_("Flat")),
    Choice("summer_house", N_("Summer house")),
    Choice("other", N_("Other")),
)

RELATIONS: tuple[Choice, ...] = (
    Choice("neighbour", N_("Neighbour")),
    Choice("landlord", N_("Landlord")),
    Choice("colleague", N_("Colleague")),
    Choice("customer", N_("Customer")),
    Choice("other", N_("Other")),
    Choice("rather_not_say", N_("I would rather not say")),
)

INDICATOR_GROUPS: tuple[IndicatorGroup, ...] = (
    IndicatorGroup(
        "A",
        N_("At a massage clinic"),
        (
            Choice("A1", N_("Windows are always covered")),
            Choice("A2", N_("Customers are buzzed in through a locked door")),
            Choice("A3", N_("Almost only male customers, also late at night")),
            Choice("A4", N_("The women seem to live and sleep at the clinic")),
            Choice("A5", N_("Women are often replaced by new ones")),
            Choice("A6", N_("The women are always escorted when they go out")),
        ),
    ),
    IndicatorGroup(
        "B",
        N_("At a building site or other workplace"),
        (
            Choice("B1", N_("Workers live at the workplace (site hut, container, outbuilding)")),
            Choice("B2", N_("Workers are picked up and dropped off as a group at odd hours")),
            Choice("B3", N_("Very long working days, including evenings and weekends")),
            Choice("B4", N_("No safety gear or clothing suited to the work or weather")),
            Choice("B5", N_("Workers never go anywhere without the boss or a minder")),
            Choice("B6", N_("They say they are not paid or owe the employer money")),
        ),
    ),
    IndicatorGroup(
        "C",
        N_("Where people live: flats and summer houses"),
        (
            Choice("C1", N_("Many people in a small space, e.g. mattresses on the floor")),
            Choice("C2", N_("Occupants change often")),
            Choice(
                "C3",
                N_("Rent is paid in cash, far in advance or by someone other than the occupants"),
            ),
            Choice("C4", N_("The person who signed the lease does not live there")),
            Choice("C5", N_("Many different visitors (mostly men) day and night")),
            Choice("C6", N_("Curtains always drawn; rubbish with condoms or massage oil")),
        ),
    ),
    IndicatorGroup(
        "D",
        N_("The people"),
        (
            Choice("D1", N_("Seem afraid or nervous, avoid eye contact")),
            Choice("D2", N_("Someone else speaks for them or watches them")),
            Choice("D3", N_("Do not hold their own passport or ID")),
            Choice("D4", N_("Have injuries or bruises, or look malnourished")),
            Choice("D5", N_("Have few belongings and wear the same clothes every day")),
            Choice("D6", N_("Do not know the address or area, speak no Danish or English")),
        ),
    ),
)

INDICATORS: dict[str, Choice] = {
    choice.id: choice for group in INDICATOR_GROUPS for choice in group.indicators
}
SETTING_IDS = frozenset(choice.id for choice in SETTINGS)
RELATION_IDS = frozenset(choice.id for choice in RELATIONS)


def label_of(choices: tuple[Choice, ...] | dict[str, Choice], choice_id: str) -> str:
    """The English label (msgid) for ``choice_id``, or the id itself if unknown."""
    items = choices.values() if isinstance(choices, dict) else choices
    return next((c.label for c in items if c.id == choice_id), choice_id)


def translate(label: str, lang: str) -> str:
    """``label`` (an English msgid) in ``lang``, from the site's own gettext catalogs.

    Uses the standard library, so the staff tool can show labels in any of the site's
    languages without Flask.
    """
    if lang == "en":
        return label
    return _catalog(lang).gettext(label)


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    """One catalog per language, read once: an export asks for every label of every tip."""
    return gettext.translation("messages", localedir=TRANSLATIONS, languages=[lang], fallback=True)
