"""Every language: complete catalogs, fresh .mo files, and the language in the URL only."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tipsite.site.config import LANGUAGES, ROOT

TRANSLATIONS = ROOT / "tipsite" / "translations"
PAGES = ("", "thanks", "privacy", "signs", "key", "accessibility", "followup")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]  # English is the msgids


def catalog(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def msgids(cat: Catalog) -> set[str]:
    return {str(m.id) for m in cat if m.id}


def test_every_language_has_a_catalog() -> None:
    for lang in LANGUAGES:
        assert (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").is_file(), lang


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_translation_is_empty_or_fuzzy(lang: str) -> None:
    """Danish, and any language added later: shipped complete or not at all."""
    cat = catalog(lang)
    assert len(msgids(cat)) > 100
    untranslated = [m.id for m in cat if m.id and not m.string]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_every_placeholder(lang: str) -> None:
    for message in catalog(lang):
        if message.id:
            wanted = sorted(PLACEHOLDER.findall(str(message.id)))
            assert sorted(PLACEHOLDER.findall(str(message.string))) == wanted, message.id


def test_every_string_in_the_code_is_in_the_catalogs(tmp_path: Path) -> None:
    """Extract afresh (as `make translations` does): nothing new may be missing."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-o", str(fresh), "--no-location",
         "--ignore-dirs", ".* ._ desk", "."],  # the desk has its own catalogs (Makefile)
        cwd=ROOT, check=True,
    )
    with fresh.open("rb") as pot:
        extracted = msgids(read_po(pot))
    assert len(extracted) > 100
    for lang in LANGUAGES:
        assert extracted - msgids(catalog(lang)) == set(), lang
        # Stale: a msgid the code no longer has (left by a changed text) or kept obsolete.
        assert msgids(catalog(lang)) - extracted == set(), lang
        assert not catalog(lang).obsolete, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_committed_mo_matches_its_po(tmp_path: Path, lang: str) -> None:
    """The staff tool reads the .mo from a wheel: it must say what the .po says."""
    fresh = tmp_path / "messages.mo"
    with fresh.open("wb") as out:
        write_mo(out, catalog(lang))
    committed = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    with fresh.open("rb") as a, committed.open("rb") as b:
        expected = gettext.GNUTranslations(a)._catalog  # type: ignore[attr-defined]
        actual = gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]
    assert actual == expected


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_translated_page_shows_no_english_text(client: FlaskClient, lang: str, page: str) -> None:
    html = client.get(f"/{lang}/{page}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    english = [m.id for m in catalog(lang)
               if m.id and len(str(m.id)) > 12 and m.string != m.id and str(m.id) in html]
    assert english == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_hotline_the_emergency_number_and_the_centres_name(
    lang: str,
) -> None:
    """The numbers a person dials, and the name they will hear on the phone, never change.

    The hotline's number, name and e-mail are settings (TIPSITE_CENTRE_*): every
    translation keeps their placeholders, so the configured values always show.
    """
    for message in catalog(lang):
        if not message.id:
            continue
        for fixed in ("%(phone)s", "%(centre)s", "%(email)s", "112", "WCAG 2.1",
                      "1234 5678 9012 3456"):
            if fixed in str(message.id):
                assert fixed in str(message.string), (lang, message.id)


def test_the_danish_form_speaks_danish(client: FlaskClient) -> None:
    html = client.get("/da/").get_data(as_text=True)
    for words in ("I akut fare? Ring 112.", "Center mod Menneskehandel", "Send tip",
                  "Vinduerne er altid tildækkede", "(skal udfyldes)"):
        assert words in html


def test_an_english_page_is_english(client: FlaskClient) -> None:
    html = client.get("/en/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "In immediate danger? Call 112." in html
    assert "Windows are always covered" in html


def test_danish_validation_errors_are_danish(client: FlaskClient) -> None:
    from .support.visitor import csrf_token_in

    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    html = client.post("/da/tip", data={"csrf_token": token}).get_data(as_text=True)
    assert "Dit tip er ikke sendt endnu" in html
    assert "Vælg, hvilken slags sted det er." in html
    assert "Fortæl os, hvad du har set." in html


@pytest.mark.parametrize(("code", "path"), [(404, "/en/nowhere"), (404, "/da/nowhere")])
def test_error_pages_speak_the_language_of_the_url(
    client: FlaskClient, code: int, path: str
) -> None:
    reply = client.get(path)
    html = reply.get_data(as_text=True)
    assert reply.status_code == code
    lang = path.split("/")[1]
    assert f'<html lang="{lang}">' in html
    title = "We could not find that page" if lang == "en" else "Vi kunne ikke finde siden"
    assert f"<h1>{title}</h1>" in html


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("lang", "other"), [("da", "en"), ("en", "da")])
def test_the_language_link_keeps_the_reader_on_the_same_page(
    client: FlaskClient, page: str, lang: str, other: str
) -> None:
    html = client.get(f"/{lang}/{page}").get_data(as_text=True)
    link = re.search(r'<ul class="lang-switch">\s*<li><a href="([^"]+)" lang="(\w+)"', html)
    assert link is not None
    assert link.groups() == (f"/{other}/{page}", other)
    followed = client.get(link.group(1))
    assert followed.status_code == 200
    assert f'<html lang="{other}">' in followed.get_data(as_text=True)


def test_the_language_is_never_kept_in_a_cookie_or_the_session(client: FlaskClient) -> None:
    client.get("/en/")  # the form page sets the CSRF cookie
    with client.session_transaction() as session:
        assert set(session) <= {"csrf_token", "csrf_born"}  # the token and its day (replay.py)
    # The next page is in whatever language its URL says, whatever came before.
    assert '<html lang="da">' in client.get("/da/privacy").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/en/privacy").get_data(as_text=True)
    root = client.get("/", headers={"Accept-Language": "da"})
    assert root.location == "/da/"
    assert "Set-Cookie" not in root.headers
    assert "Accept-Language" in root.headers["Vary"]


def test_an_unknown_language_is_not_found(client: FlaskClient) -> None:
    assert client.get("/xx/").status_code == 404
    assert client.get("/xx/privacy").status_code == 404
