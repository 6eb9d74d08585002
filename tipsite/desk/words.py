"""The desk in the staff's language: Danish first, English second.

The desk's own words come from its gettext catalogs (``tipsite/desk/translations``);
the tip form's vocabulary (kinds of place, signs, relations) from the site's, read
with the standard library (``tipsite.core.vocabulary``), so a sign reads the same
on the desk as the tipster saw it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup, escape

from tipsite.core import vocabulary
from tipsite.hotline.shortid import SHOWN

LANGUAGES = ("da", "en")  # the first is the default
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def desk_lang() -> str:
    """The page's language: the browser's choice among da and en, else Danish."""
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def init_words(app: Flask) -> None:
    """Set up Flask-Babel and the template filters that put tip values into words."""
    Babel(app, locale_selector=desk_lang,
          default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters.update(
        setting=lambda value: _choice(vocabulary.SETTINGS, value),
        relation=lambda value: _choice(vocabulary.RELATIONS, value),
        sign=lambda value: _choice(vocabulary.INDICATORS, value),
        status=status_word,
        shortid=lambda value: str(value)[:SHOWN],
        when=when,
        marked=marked,
        kind=kind_word,
    )
    app.context_processor(lambda: {"desk_lang": str(get_locale() or LANGUAGES[0])})


def _choice(choices: tuple[vocabulary.Choice, ...] | dict[str, vocabulary.Choice],
            value: object) -> str:
    if not value:
        return "–"
    label = vocabulary.label_of(choices, str(value))
    return vocabulary.translate(label, str(get_locale() or LANGUAGES[0]))


def status_word(status: str) -> str:
    """A tip's status in the page's language."""
    words: dict[str, str] = {
        "new": gettext("new"), "read": gettext("read"), "handled": gettext("handled")}
    return words.get(status, status)


def kind_word(kind: str) -> str:
    """What kind of identifier links two tips, in the page's language."""
    words: dict[str, str] = {
        "address": gettext("address"), "plate": gettext("number plate"),
        "phone": gettext("phone number"), "cvr": gettext("CVR number"),
        "company": gettext("company"),
    }
    return words.get(kind, kind)


def when(stamp: str) -> str:
    """An ISO time from a tip as ``2026-12-08 09:14 UTC`` (tips keep UTC)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def marked(text: object, marks: Sequence[str]) -> Markup:
    """``text`` escaped, with each of ``marks`` (exact spellings) wrapped in <mark>."""
    plain = str(text or "")
    if not marks:
        return escape(plain)
    # Longest first, so "Vestergade 12, 8000" wins over "Vestergade 12".
    pattern = re.compile("|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True)))
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(plain):
        pieces += [escape(plain[start:match.start()]), Markup("<mark>%s</mark>") % match.group(0)]
        start = match.end()
    pieces.append(escape(plain[start:]))
    return Markup("").join(pieces)
