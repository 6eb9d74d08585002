"""A Polish and a Ukrainian tipster, in Chromium with JavaScript off, from `/` to a reply.

Each journey is what a person does: the browser asks for its own language, the site
answers in it, the tipster opens a group of signs, sends the tip, keeps the receipt code,
follows the printed address, reads the centre's reply and sends more. The test checks
what the person sees and what the centre receives (opened with the centre's key).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tipsite.core import keys
from tipsite.site.config import load_config

from .support.servers import LiveServer
from .support.tips import envelopes_in, open_all
from .test_followup import staff_reply

# Every test here drives Chromium against a real gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.live]

# What each tipster sees and does, in their own words (from the catalogs).
JOURNEYS = {
    "pl": {
        "locale": "pl-PL",
        "place": "Budowa",
        "group": "Na budowie lub w innym miejscu pracy",
        "sign": "Pracownicy mieszkają w miejscu pracy (barakowóz, kontener, budynek gospodarczy)",
        "location": "Hovedgaden 12, 4000 Roskilde",
        "description": "Robotnicy śpią w kontenerze na budowie, szef zabrał im paszporty.",
        "send": "Wyślij zgłoszenie",
        "thanks": "Dziękujemy. Zgłoszenie dotarło do centrum.",
        "keep": "Prosimy teraz zapisać kod",
        "followup": "Dalszy kontakt w sprawie zgłoszenia",
        "code": "Kod potwierdzenia",
        "show": "Pokaż odpowiedzi",
        "replies": "Odpowiedzi centrum",
        "more": "Dodatkowe informacje dla centrum",
        "add": "Wyślij dodatkowe informacje",
        "added": "Dziękujemy. Informacje dotarły do centrum.",
    },
    "uk": {
        "locale": "uk-UA",
        "place": "Будівельний майданчик",
        "group": "На будівельному майданчику чи іншому місці роботи",
        "sign": "Робітники живуть на місці роботи (будівельний вагончик, контейнер, "
                "господарська будівля)",
        "location": "Vestergade 3, 4000 Roskilde",
        "description": "Робітники сплять у контейнері, начальник забрав у них паспорти.",
        "send": "Надіслати повідомлення",
        "thanks": "Дякуємо. Ваше повідомлення надійшло до центру.",
        "keep": "Запишіть код",
        "followup": "Подальший зв'язок щодо повідомлення",
        "code": "Ваш код підтвердження",
        "show": "Показати відповіді",
        "replies": "Відповіді центру",
        "more": "Додаткова інформація для центру",
        "add": "Надіслати додаткову інформацію",
        "added": "Дякуємо. Ваша інформація надійшла до центру.",
    },
}
CODE = re.compile(r"^\d{4}( \d{4}){4}$")  # 20 digits in groups of four


def tipster(browser: Browser, locale: str) -> Page:
    """A phone-sized tab, JavaScript off, whose browser asks for ``locale`` first."""
    context = browser.new_context(java_script_enabled=False, locale=locale,
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("lang", list(JOURNEYS))
def test_the_whole_tip_and_follow_up_journey_in_the_tipsters_language(
    browser: Browser, shared_server: LiveServer, keypair: keys.KeyPair, lang: str
) -> None:
    words = JOURNEYS[lang]
    inbox = Path(shared_server.env["TIPSITE_INBOX"])
    before = len(envelopes_in(inbox))
    page = tipster(browser, words["locale"])

    # `/` sends the browser to its own language; the first question is on the first screen.
    page.goto(shared_server.url + "/")
    assert page.url == f"{shared_server.url}/{lang}/"
    assert page.locator("html").get_attribute("lang") == lang
    question = page.locator("#setting legend").bounding_box()
    assert question is not None and question["y"] + question["height"] < 740

    # The tip: a kind of place, where, what; one group of signs opened, one sign ticked.
    page.get_by_label(words["place"], exact=True).check()
    page.locator("#location").fill(words["location"])
    page.locator("#description").fill(words["description"])
    sign = page.get_by_label(words["sign"])
    assert not sign.is_visible()  # the group is closed until the tipster opens it
    page.get_by_text(words["group"], exact=True).click()
    sign.check()
    with page.expect_navigation():
        page.get_by_role("button", name=words["send"]).click()

    # Thanks: the code, how to keep it, and the follow-up address printed with it.
    assert page.url == f"{shared_server.url}/{lang}/thanks"
    assert page.locator("h1").inner_text() == words["thanks"]
    code = page.locator(".receipt-code").inner_text().strip()
    assert CODE.match(code)
    assert words["keep"] in page.locator(".keep-code").inner_text()
    address = page.locator(".followup-address").inner_text()
    assert address == f"{shared_server.url}/{lang}/followup"

    # The centre receives the tip, sealed, with the language of the page and the sign.
    assert len(envelopes_in(inbox)) == before + 1
    tip = next(d for d in open_all(inbox, keypair)
               if d["kind"] == "tip" and words["location"] in str(d["fields"]))
    assert tip["lang"] == lang
    assert tip["fields"]["indicators"] == ["B1"]  # type: ignore[index]
    assert tip["fields"]["description"] == words["description"]  # type: ignore[index]
    staff_reply(load_config(shared_server.env), tip, f"Reply for {lang}: dziękujemy / дякуємо")

    # The follow-up: the tipster goes to the printed address and types the code.
    page.goto(address)
    assert page.locator("h1").inner_text() == words["followup"]
    page.get_by_label(words["code"]).fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name=words["show"]).click()
    assert page.locator("#replies-title").inner_text() == words["replies"]
    assert f"Reply for {lang}" in page.locator(".reply .message").inner_text()
    page.get_by_label(words["more"]).fill("Samochód / Автомобіль: CX 98 765")
    with page.expect_navigation():
        page.get_by_role("button", name=words["add"]).click()
    assert words["added"] in page.locator(".notice.done").inner_text()
    assert page.locator("html").get_attribute("lang") == lang

    followup = next(d for d in open_all(inbox, keypair)
                    if d["kind"] == "followup" and d["reply_to"] == tip["reply_to"])
    assert followup["lang"] == lang
    assert followup["fields"] == {"message": "Samochód / Автомобіль: CX 98 765"}
    page.context.close()


@pytest.mark.parametrize(("locale", "lang"), [
    ("pl-PL", "pl"), ("ro-RO", "ro"), ("uk-UA", "uk"), ("lt-LT", "lt"), ("bg-BG", "bg"),
    ("de-DE", "en"), ("da-DK", "da"),
])
def test_a_browser_in_each_language_lands_on_it_and_german_on_english(
    browser: Browser, shared_server: LiveServer, locale: str, lang: str
) -> None:
    page = tipster(browser, locale)
    page.goto(shared_server.url + "/")
    assert page.url == f"{shared_server.url}/{lang}/"
    assert page.locator("html").get_attribute("lang") == lang
    page.context.close()


@pytest.mark.parametrize("lang", list(JOURNEYS))
def test_the_switch_keeps_the_page_without_javascript(
    browser: Browser, shared_server: LiveServer, lang: str
) -> None:
    page = tipster(browser, "en-GB")
    page.goto(f"{shared_server.url}/en/privacy")
    page.locator(".lang-menu summary").click()  # the <details> opens without script
    name = {"pl": "Polski", "uk": "Українська"}[lang]
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()
    assert page.url == f"{shared_server.url}/{lang}/privacy"
    assert page.locator("html").get_attribute("lang") == lang
    page.context.close()
