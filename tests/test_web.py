"""The tip form through the Flask test client: what a tipster sees and what is stored."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tipsite.site.config import SiteConfig

from .support.keyfiles import KeyFiles
from .support.tips import a_tip, envelopes_in, open_all
from .support.visitor import csrf_token_in


def send(client: FlaskClient, fields: dict[str, Any], lang: str = "da") -> Any:
    token = csrf_token_in(client.get(f"/{lang}/").get_data(as_text=True))
    return client.post(f"/{lang}/tip", data={"csrf_token": token, **fields})


def test_root_picks_the_language_once_and_redirects(client: FlaskClient) -> None:
    assert client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).location == "/en/"
    # Issue 16: a language the site lacks, or none at all, gets English, not Danish.
    assert client.get("/", headers={"Accept-Language": "de"}).location == "/en/"
    assert client.get("/").location == "/en/"
    assert client.get("/", headers={"Accept-Language": "da-DK,da"}).location == "/da/"


@pytest.mark.parametrize(
    "text",
    ["112", "70 20 25 50", "anonym", "IP-adresse", 'name="setting"', 'name="location"',
     'name="description"', 'name="indicators"', 'name="when"', 'name="people"',
     'name="vehicles"', 'name="relation"', 'name="contact"'],
)
def test_front_page_has_the_essentials(client: FlaskClient, text: str) -> None:
    page = client.get("/da/").get_data(as_text=True)
    assert text in page


def test_front_page_offers_between_15_and_25_signs(client: FlaskClient) -> None:
    page = client.get("/da/").get_data(as_text=True)
    assert 15 <= page.count('name="indicators"') <= 25


def test_a_tip_is_sealed_stored_and_thanked(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    reply = send(client, a_tip(indicators=["A4", "D3"], relation="neighbour",
                               when="Hver aften", contact=""))
    assert reply.status_code == 303
    assert reply.location == "/da/thanks"
    [doc] = open_all(settings.inbox, key_files.pair)
    fields = doc["fields"]
    assert isinstance(fields, dict)
    assert fields["setting"] == "massage_clinic"
    assert fields["indicators"] == ["A4", "D3"]
    assert fields["relation"] == "neighbour"
    assert fields["when"] == "Hver aften"
    assert doc["lang"] == "da"
    assert str(doc["received_at"]).endswith("Z")
    thanks = client.get("/da/thanks").get_data(as_text=True)
    assert "70 20 25 50" in thanks


def test_markup_is_removed_but_the_text_is_kept_exactly(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    description = "Æble <script>alert(1)</script>på\r\nlinje 2 😟 & 5 < 6 <b>fed</b>"
    send(client, a_tip(description=description))
    [doc] = open_all(settings.inbox, key_files.pair)
    assert doc["fields"]["description"] == "Æble alert(1)på\nlinje 2 😟 & 5 < 6 fed"  # type: ignore[index]


def test_reloading_the_thank_you_page_sends_nothing(
    client: FlaskClient, settings: SiteConfig
) -> None:
    send(client, a_tip())
    for _ in range(3):
        assert client.get("/da/thanks").status_code == 200
    assert len(envelopes_in(settings.inbox)) == 1


def test_a_replayed_post_is_refused_and_stores_nothing_twice(
    client: FlaskClient, settings: SiteConfig
) -> None:
    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    data = {"csrf_token": token, **a_tip()}
    assert client.post("/da/tip", data=data).status_code == 303
    again = client.post("/da/tip", data=data)
    assert again.status_code == 400
    assert html.escape("Hovedgaden 12, 4000 Roskilde") in again.get_data(as_text=True)
    assert len(envelopes_in(settings.inbox)) == 1


ALL_VALUES = {
    "location": "Vestergade 3 – bagindgangen",
    "description": "Mænd hentes kl. 05 i en hvid varevogn",
    "when": "Hver morgen i oktober",
    "people": "5–6 mænd, 20–40 år",
    "vehicles": "AB 12 345, hvid Ford Transit",
    "contact": "ring 12 34 56 78",
}


@pytest.mark.parametrize("missing", ["setting", "location", "description"])
def test_a_validation_error_keeps_every_value(
    client: FlaskClient, settings: SiteConfig, missing: str
) -> None:
    fields: dict[str, Any] = {"setting": "building_site", **ALL_VALUES,
                              "indicators": ["B1", "B5"], "relation": "landlord"}
    fields.pop(missing)
    reply = send(client, fields)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert 'class="notice error-summary"' in page
    assert f'id="{missing}-error"' in page
    for name, value in ALL_VALUES.items():
        if name != missing:
            assert html.escape(value) in page, name
    assert page.count(" checked") == (2 + (missing != "setting") + 1)
    assert envelopes_in(settings.inbox) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "x" * 5001),
        ("location", "y" * 501),
        ("contact", "z" * 501),
        ("description", "null\x00byte"),
        ("description", "bell\x07and escape\x1b[2J"),
        ("setting", "palace"),
        ("relation", "spy"),
    ],
)
def test_bad_values_get_a_clear_error_and_lose_nothing(
    client: FlaskClient, settings: SiteConfig, field: str, value: str
) -> None:
    fields = a_tip(**{field: value})
    reply = send(client, fields)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert f'id="{field}-error"' in page
    assert html.escape(str(fields["location"] if field != "location" else "")) in page
    assert envelopes_in(settings.inbox) == []


def test_an_unknown_indicator_is_refused(client: FlaskClient, settings: SiteConfig) -> None:
    reply = send(client, a_tip(indicators=["A1", "Z9"]))
    assert reply.status_code == 400
    assert 'id="indicators-error"' in reply.get_data(as_text=True)
    assert envelopes_in(settings.inbox) == []


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_stored(
    client: FlaskClient, settings: SiteConfig
) -> None:
    reply = send(client, a_tip(website="http://spam.example"))
    assert reply.status_code == 303
    assert reply.location == "/da/thanks"
    assert envelopes_in(settings.inbox) == []


def test_missing_public_key_at_run_time_closes_the_form(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    key_files.public.rename(key_files.public.with_suffix(".moved"))
    reply = client.post("/da/tip", data={"csrf_token": token, **a_tip()})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 503
    assert "70 20 25 50" in page
    assert "Kvinderne ser ud til at sove i klinikken." in page
    assert envelopes_in(settings.inbox) == []


def test_an_io_error_while_storing_shows_the_text_and_stores_nothing(
    client: FlaskClient, settings: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # EIO cannot be produced on demand by a healthy disk; ENOSPC is tested for real
    # on a full file system in test_security.py.
    import os

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    monkeypatch.setattr(os, "fsync", failing_fsync)
    reply = client.post("/da/tip", data={"csrf_token": token, **a_tip()})
    monkeypatch.undo()
    assert reply.status_code == 503
    assert "Kvinderne ser ud til at sove i klinikken." in reply.get_data(as_text=True)
    assert envelopes_in(settings.inbox) == []
    assert list((settings.inbox / "tmp").iterdir()) == []


@pytest.mark.parametrize("path", ["/da/", "/en/", "/da/thanks", "/en/privacy", "/da/signs",
                                  "/en/key", "/da/accessibility"])
def test_every_page_answers_in_both_languages(client: FlaskClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code == 200
    assert f'<html lang="{path[1:3]}">' in reply.get_data(as_text=True)


def test_unknown_language_is_a_404(client: FlaskClient) -> None:
    assert client.get("/xx/").status_code == 404


def test_key_page_shows_the_fingerprint(client: FlaskClient, key_files: KeyFiles) -> None:
    assert key_files.pair.fingerprint in client.get("/da/key").get_data(as_text=True)


def test_inbox_files_and_folders_are_private(
    client: FlaskClient, settings: SiteConfig, app: Flask
) -> None:
    send(client, a_tip())
    [path] = envelopes_in(settings.inbox)
    assert path.stat().st_mode & 0o777 == 0o600
    for folder in (settings.inbox, settings.inbox / "new", settings.inbox / "tmp"):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_inbox_never_holds_plaintext(client: FlaskClient, settings: SiteConfig) -> None:
    send(client, a_tip(description="UNIKT-ORD-ÆØÅ-42"))
    for path in Path(settings.inbox).rglob("*"):
        if path.is_file():
            assert b"UNIKT" not in path.read_bytes()


@pytest.mark.parametrize("body", [b"0", b"null", b"[1]", b'"x"', b'{"setting": 1}'])
@pytest.mark.parametrize("path", ["/da/tip", "/da/followup"])
def test_a_json_body_is_refused_as_an_empty_form_never_a_500(
        client: FlaskClient, path: str, body: bytes) -> None:
    # Flask-WTF reads JSON bodies as form data; a scalar made it raise (test_property).
    client.get("/da/")
    reply = client.post(path, data=body, content_type="application/json")
    assert 400 <= reply.status_code < 500
