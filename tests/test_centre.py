"""The centre that answers the tips is configuration: another hotline runs the site unchanged.

TIPSITE_CENTRE_NAME, _PHONE and _EMAIL reach every page the app renders and the deploy
kit's static error pages; the Danish defaults never leak through.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from tipsite.site import audit, errorpages
from tipsite.site.cli import main as tipsite
from tipsite.site.config import LANGUAGES, SiteConfig, load_config

from .support.errorpages import read_error_page
from .support.tips import a_tip, envelopes_in
from .support.visitor import csrf_token_in

NORWAY = {
    "TIPSITE_CENTRE_NAME": "ROSA-prosjektet",
    "TIPSITE_CENTRE_PHONE": "+47 22 33 11 60",
    "TIPSITE_CENTRE_EMAIL": "rosa@example.no",
}
DANISH = ("Center mod Menneskehandel", "Centre against Human Trafficking", "70 20 25 50",
          "4570202550")


@pytest.fixture
def norway(site_env: dict[str, str]) -> SiteConfig:
    return load_config({**site_env, **NORWAY, "TIPSITE_RATELIMITS": "3 per minute"})


@pytest.fixture
def norway_app(norway: SiteConfig) -> Flask:
    from tipsite.site.app import create_app

    app = create_app(norway, TESTING=True)

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")  # the calm 500 page, as any unexpected error

    return app


def shows_norway(html: str) -> None:
    for words in ("ROSA-prosjektet", "22 33 11 60", 'href="tel:+4722331160"',
                  'href="mailto:rosa@example.no"'):
        assert words in html
    for danish in DANISH:
        assert danish not in html


def norwegian_pages(client: FlaskClient, lang: str) -> Iterator[tuple[int, str]]:
    """(status, html) of every kind of page a tipster can meet, in ``lang``."""
    front = client.get(f"/{lang}/")
    yield front.status_code, front.get_data(as_text=True)
    token = csrf_token_in(front.get_data(as_text=True))
    invalid = client.post(f"/{lang}/tip", data={"csrf_token": token})  # the form, with errors
    yield invalid.status_code, invalid.get_data(as_text=True)
    sent = client.post(f"/{lang}/tip", data={"csrf_token": token, **a_tip()})
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"])
    yield thanks.status_code, thanks.get_data(as_text=True)
    for path in ("followup", "privacy", "signs", "key", "accessibility", "nowhere"):
        page = client.get(f"/{lang}/{path}")
        yield page.status_code, page.get_data(as_text=True)
    too_large = client.post(f"/{lang}/tip", data={"description": "x" * 200_000})
    yield too_large.status_code, too_large.get_data(as_text=True)
    busy = client.post(f"/{lang}/tip", data={"csrf_token": token})  # the fourth post this minute
    yield busy.status_code, busy.get_data(as_text=True)
    broken = client.get("/broken")
    yield broken.status_code, broken.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_another_centre_shows_on_every_page_and_the_danish_one_never(
    norway_app: Flask, norway: SiteConfig, lang: str
) -> None:
    seen = []
    for status, html in norwegian_pages(norway_app.test_client(), lang):
        shows_norway(html)
        seen.append(status)
    assert sorted(set(seen)) == [200, 400, 404, 413, 429, 500]
    assert len(envelopes_in(norway.inbox)) == 1


def test_the_defaults_are_the_danish_centre() -> None:
    config = load_config({})
    assert config.centre_name == "Center mod Menneskehandel"
    assert (config.phone_shown, config.phone_link) == ("70 20 25 50", "tel:+4570202550")
    assert config.centre_email == ""


def test_without_an_email_the_pages_offer_none(client: FlaskClient) -> None:
    html = client.get("/da/").get_data(as_text=True)
    assert "mailto:" not in html
    assert 'href="tel:+4570202550"' in html and "Center mod Menneskehandel" in html


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIPSITE_CENTRE_PHONE", "70 20 25 50"),  # without the country code
        ("TIPSITE_CENTRE_PHONE", "+45 70-20-25-50"),
        ("TIPSITE_CENTRE_NAME", "x" * 101),
        ("TIPSITE_CENTRE_NAME", "Center\nmod"),
        ("TIPSITE_CENTRE_EMAIL", "hotline at example.dk"),
        ("TIPSITE_CENTRE_EMAIL", "<a>@example.dk"),
    ],
)
def test_a_bad_centre_setting_is_named_at_start(name: str, value: str) -> None:
    from tipsite.core.errors import ConfigError

    with pytest.raises(ConfigError, match=name):
        load_config({name: value})


def test_the_shipped_error_pages_are_written_from_the_defaults() -> None:
    """deploy/errors/ is what `tipsite error-pages` writes for the default centre."""
    assert errorpages.stale_pages(load_config({})) == []


def test_error_pages_for_another_centre_give_its_number_in_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in NORWAY.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(tipsite, ["error-pages", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(tmp_path.iterdir())
    assert [p.name for p in written] == sorted(errorpages.PAGES)
    for path in written:
        assert path.stat().st_mode & 0o777 == errorpages.PAGE_MODE
        page = read_error_page(path)
        assert page.unclosed == [] and page.loading_tags == []
        for lang in LANGUAGES:
            assert "22 33 11 60" in page.text[lang], (path.name, lang)
            assert "tel:+4722331160" in page.links[lang], (path.name, lang)
        assert "70 20 25 50" not in path.read_text(encoding="utf-8")


def test_check_fails_when_the_error_pages_give_another_number() -> None:
    findings = list(audit.check_error_pages(load_config(NORWAY), {}))
    assert [f.level for f in findings] == [audit.FAIL]
    assert "tipsite error-pages" in findings[0].text
    assert [f.level for f in audit.check_error_pages(load_config({}), {})] == [audit.OK]
