"""Seven languages (issue 16): the right one from `/`, a switch that names each in its own
words and keeps the page, the staff side showing which one a tip came from, and no
untranslated text. Catalog completeness itself is in test_i18n.py."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask.testing import FlaskClient

from tipsite.core import vocabulary
from tipsite.hotline import exports
from tipsite.site.config import LANGUAGES

OWN_NAMES = {"da": "Dansk", "en": "English", "pl": "Polski", "ro": "Română",
             "uk": "Українська", "lt": "Lietuvių", "bg": "Български"}
NEW = ("pl", "ro", "uk", "lt", "bg")
SWITCH = re.compile(r'<ul class="lang-switch">(.*?)</ul>', re.S)
LINK = re.compile(r'<a href="([^"]+)" lang="([\w-]+)" hreflang="[\w-]+">([^<]+)</a>')


def test_the_site_has_the_seven_languages() -> None:
    assert set(LANGUAGES) == set(OWN_NAMES)
    assert LANGUAGES[0] == "da"  # pages without a language in the URL stay Danish


@pytest.mark.parametrize("lang", NEW)
def test_a_browser_asking_for_a_language_the_site_has_lands_on_it(
    client: FlaskClient, lang: str
) -> None:
    reply = client.get("/", headers={"Accept-Language": f"{lang}-XX,{lang};q=0.9,en;q=0.5"})
    assert reply.status_code == 302
    assert reply.location == f"/{lang}/"
    assert f'<html lang="{lang}">' in client.get(reply.location).get_data(as_text=True)


@pytest.mark.parametrize(("accept", "lang"), [
    ("de", "en"),                   # a language the site lacks: English, not Danish
    ("de-DE,de;q=0.9", "en"),
    ("ru,uk;q=0.8", "uk"),          # the best one it has, even if not the first asked
    ("de,ro;q=0.5,en;q=0.3", "ro"),
    ("da,en;q=0.5", "da"),
    ("", "en"),                     # no preference at all
])
def test_the_best_accepted_language_wins_and_english_is_the_fallback(
    client: FlaskClient, accept: str, lang: str
) -> None:
    reply = client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert reply.location == f"/{lang}/"
    assert "Accept-Language" in reply.headers["Vary"]


@pytest.mark.parametrize("page", ["", "privacy", "signs", "key", "accessibility", "followup"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_switch_names_every_other_language_in_its_own_words_and_keeps_the_page(
    client: FlaskClient, lang: str, page: str
) -> None:
    html = client.get(f"/{lang}/{page}").get_data(as_text=True)
    switch = SWITCH.search(html)
    assert switch is not None
    links = LINK.findall(switch.group(1))
    assert {code: name for _href, code, name in links} == {
        code: name for code, name in OWN_NAMES.items() if code != lang
    }
    for href, code, _name in links:
        assert href == f"/{code}/{page}"
        assert f'<html lang="{code}">' in client.get(href).get_data(as_text=True)


@pytest.mark.parametrize("lang", NEW)
def test_a_new_language_speaks_in_its_own_words(client: FlaskClient, lang: str) -> None:
    html = client.get(f"/{lang}/").get_data(as_text=True)
    sent = {  # the send button: a word a reader of that language sees first
        "pl": "Wyślij zgłoszenie", "ro": "Trimiteți sesizarea", "uk": "Надіслати повідомлення",
        "lt": "Siųsti pranešimą", "bg": "Изпращане на сигнала",
    }[lang]
    assert sent in html
    assert "70 20 25 50" in html and "112" in html
    assert "Center mod Menneskehandel" in html
    not_found = client.get(f"/{lang}/nowhere")
    assert not_found.status_code == 404
    assert f'<html lang="{lang}">' in not_found.get_data(as_text=True)


@pytest.mark.parametrize("lang", NEW)
def test_validation_errors_speak_the_language_of_the_page(client: FlaskClient, lang: str) -> None:
    from .support.visitor import csrf_token_in

    token = csrf_token_in(client.get(f"/{lang}/").get_data(as_text=True))
    html = client.post(f"/{lang}/tip", data={"csrf_token": token}).get_data(as_text=True)
    assert 'class="notice error-summary"' in html
    for english in ("Please choose the kind of place.", "Please tell us what you saw.",
                    "Your tip was not sent yet."):
        assert english not in html


def test_the_labels_for_staff_come_in_every_language_from_one_read_catalog() -> None:
    vocabulary._catalog.cache_clear()
    assert vocabulary.translate("Windows are always covered", "pl") == "Okna są zawsze zasłonięte"
    assert vocabulary.translate("Windows are always covered", "uk") == "Вікна завжди закриті"
    danish = vocabulary.translate("Windows are always covered", "da")
    assert danish == "Vinduerne er altid tildækkede"
    for _ in range(50):
        vocabulary.translate("Massage clinic", "da")
    assert vocabulary._catalog.cache_info().currsize == 3  # pl, uk, da: each read once


def test_every_export_says_which_language_the_tip_came_from() -> None:
    from tipsite.hotline.conversation import Conversation
    from tipsite.hotline.reader import Tip

    from .support.tips import tip_fields

    tip = Conversation(Tip(id="1" * 32, received_at="2026-12-01T06:00:00Z", lang="uk",
                           fields=tip_fields(indicators=["A1"]), status="new"))
    assert "<dt>Form language</dt><dd>uk</dd>" in exports.to_html([tip], "da")
    assert json.loads(exports.to_json([tip]))[0]["lang"] == "uk"
    rows = list(csv.DictReader(io.StringIO(exports.to_csv([tip], "da").lstrip("\ufeff"))))
    assert rows[0]["lang"] == "uk"


def test_an_error_in_the_signs_renders_every_group_open(client: FlaskClient) -> None:
    """A crafted sign id: the error summary links to the first sign, which must be shown."""
    from .support.tips import a_tip
    from .support.visitor import csrf_token_in

    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    html = client.post("/da/tip", data={**a_tip(indicators=["ZZ"]), "csrf_token": token}
                       ).get_data(as_text=True)
    assert 'href="#indicator-A1"' in html
    assert html.count('<details class="group" open>') == html.count('<details class="group"')
