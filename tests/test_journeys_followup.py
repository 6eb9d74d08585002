"""Follow-up, walked as a person walks it (issue 11, "Must show").

Chromium with JavaScript off, a phone's 360x740 viewport, against a real gunicorn
started from the checkout with the shipped gunicorn.conf.py (several workers, no
Redis). Every step clicks what a person clicks and asserts what they see and what
is stored: the inbox is opened with the centre's private key, the replies folder
is read as the server keeps it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tipsite.core import envelope, payload, receipt
from tipsite.site.replies import ReplyBox

from .support.keyfiles import KeyFiles
from .support.servers import LiveServer, start_gunicorn, stop_gunicorn
from .support.tips import open_all

# Every test here drives Chromium against a real gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 360, "height": 740}
OTHER = {"da": "en", "en": "da"}
# What a person reads, in each language (the Danish is the .po file's).
SEES = {
    "da": {
        "once": "Koden vises kun på denne side",
        "no replies": "Der er ingen svar at læse",
        "sent": "Tak. Dine oplysninger er nået frem til centret.",
        "deleted": "Svarene er slettet.",
        "malformed": "En kvitteringskode har 20 cifre",
        "busy": "For mange forsøg lige nu",
        "not sent": "Din besked blev ikke sendt",
        "show": "Vis svar", "add": "Send flere oplysninger", "delete": "Slet svarene",
        "send tip": "Send tip", "follow up": "Følg op på et tip",
    },
    "en": {
        "once": "The code is shown only on this page",
        "no replies": "There are no replies to read",
        "sent": "Thank you. Your message has reached the centre.",
        "deleted": "The replies are deleted.",
        "malformed": "A receipt code has 20 digits",
        "busy": "Too many attempts right now",
        "not sent": "Your message was not sent",
        "show": "Show replies", "add": "Send more information", "delete": "Delete the replies",
        "send tip": "Send tip", "follow up": "Follow up on a tip",
    },
}
# What a right code must not read, and what a follow-up's 429 must not speak of.
NOT_WRONG = ("mistyped", "forkert", "Nothing found", "Intet fundet")
TIP_ONLY = ("tip was not sent", "tip blev ikke sendt", "Your tip", "Dit tip")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized tab with JavaScript off."""
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def site(tmp_path: Path, key_files: KeyFiles, limits: str) -> LiveServer:
    """gunicorn from the checkout with the shipped gunicorn.conf.py; only the limits set."""
    env = {
        "TIPSITE_PUBLIC_KEY": str(key_files.public),
        "TIPSITE_INBOX": str(tmp_path / "inbox"),
        "TIPSITE_INSTANCE": str(tmp_path / "instance"),
        "TIPSITE_RATELIMITS": limits,
    }
    return start_gunicorn(env, tmp_path / "gunicorn.log")


@pytest.fixture
def server(tmp_path: Path, key_files: KeyFiles) -> Iterator[LiveServer]:
    live = site(tmp_path, key_files, "60 per minute")  # a whole journey stays under it
    yield live
    stop_gunicorn(live)


def click(page: Page, name: str) -> int:
    """Press the button called ``name``; the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name, exact=True).click()
    response = navigation.value
    assert response is not None
    return response.status


def send_tip(page: Page, server: LiveServer, lang: str) -> str:
    """Fill in the three required answers, send, and read the code on the thank-you page."""
    page.goto(f"{server.url}/{lang}/")
    page.locator("#setting-massage_clinic").check()
    page.locator("#location").fill("Hovedgaden 12, 4000 Roskilde")
    page.locator("#description").fill("Kvinderne ser ud til at sove i klinikken.")
    assert click(page, SEES[lang]["send tip"]) == 200
    assert page.url == f"{server.url}/{lang}/thanks"
    code = page.locator(".receipt-code").inner_text().strip()
    assert re.fullmatch(r"\d{4}( \d{4}){4}", code)
    assert SEES[lang]["once"] in page.locator(".receipt").inner_text()
    return code


def stored(server: LiveServer, key_files: KeyFiles, kind: str) -> list[dict[str, object]]:
    """The sealed documents of ``kind`` in the inbox, opened with the centre's key."""
    docs = open_all(Path(server.env["TIPSITE_INBOX"]), key_files.pair)
    return [d for d in docs if d["kind"] == kind]


def staff_reply(server: LiveServer, tip: dict[str, object], text: str) -> Path:
    """What ``hotline reply`` leaves on the site: a reply sealed to the tip's key."""
    reply_to = tip["reply_to"]
    assert isinstance(reply_to, dict)
    sealed = envelope.seal(payload.reply_document(text, payload.utc_now()),
                           receipt.reply_public_key(reply_to["key"]), payload.KIND_REPLY)
    box = ReplyBox(Path(server.env["TIPSITE_INSTANCE"]) / "replies")
    box.store(reply_to["lookup"], secrets.token_hex(16), sealed)
    return Path(server.env["TIPSITE_INSTANCE"]) / "replies" / reply_to["lookup"]


def open_followup(page: Page, lang: str) -> None:
    """Reach the follow-up page from the footer link, as a person does."""
    with page.expect_navigation():
        page.get_by_role("contentinfo").get_by_role("link", name=SEES[lang]["follow up"]).click()
    assert page.url.endswith(f"/{lang}/followup")


def switch_language(page: Page, lang: str) -> None:
    """Open the language menu (a <details>, no script) and press the language's name."""
    page.locator(".lang-menu summary").click()
    with page.expect_navigation():
        page.locator(f'.lang-switch button[lang="{lang}"]').click()


def type_code(page: Page, code: str) -> None:
    page.locator("#code").fill(code)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_tip_code_language_switch_read_add_and_delete_replies(
    phone: Page, server: LiveServer, key_files: KeyFiles, lang: str
) -> None:
    sees, other = SEES[lang], OTHER[lang]
    code = send_tip(phone, server, lang)
    [tip] = stored(server, key_files, "tip")

    # The language switch keeps the code, and never puts it in the address.
    switch_language(phone, other)
    assert phone.locator("html").get_attribute("lang") == other
    assert phone.locator(".receipt-code").inner_text().strip() == code
    assert SEES[other]["once"] in phone.content()
    assert code.replace(" ", "") not in phone.url.replace("%20", "") and code[:4] not in phone.url
    switch_language(phone, lang)  # and back again
    assert phone.locator(".receipt-code").inner_text().strip() == code

    # A right code with no reply yet: a calm "nothing yet", nothing that looks wrong.
    open_followup(phone, lang)
    type_code(phone, code)
    assert click(phone, sees["show"]) == 200
    text = phone.locator("main").inner_text()
    assert sees["no replies"] in text
    assert not any(word in text for word in NOT_WRONG)

    # Add details straight away: the page after "Show replies" must send (issue 11's 400).
    phone.locator("#message").fill("Bilen var en grå VW Caddy, CX 98 765")
    assert click(phone, sees["add"]) == 200
    assert sees["sent"] in phone.locator("main").inner_text()
    assert phone.locator("#message").input_value() == ""
    [first] = stored(server, key_files, "followup")
    assert first["fields"] == {"message": "Bilen var en grå VW Caddy, CX 98 765"}
    assert first["reply_to"] == tip["reply_to"]

    # And once more from the page that answered: its token is fresh too.
    phone.locator("#message").fill("De kommer hver tirsdag ved 22-tiden.")
    assert click(phone, sees["add"]) == 200
    assert sees["sent"] in phone.locator("main").inner_text()
    messages = sorted(str(d["fields"]["message"])  # type: ignore[index]
                      for d in stored(server, key_files, "followup"))
    assert messages == ["Bilen var en grå VW Caddy, CX 98 765",
                        "De kommer hver tirsdag ved 22-tiden."]

    # The centre replies; the tipster reads it, then deletes it.
    folder = staff_reply(server, tip, "Tak. Hvilken indgang brugte de?")
    open_followup(phone, lang)
    type_code(phone, code)
    assert click(phone, sees["show"]) == 200
    assert "Tak. Hvilken indgang brugte de?" in phone.locator(".reply").inner_text()
    assert len(list(folder.iterdir())) == 1
    assert click(phone, sees["delete"]) == 200
    assert sees["deleted"] in phone.locator("main").inner_text()
    assert phone.locator(".reply").count() == 0
    assert list(folder.iterdir()) == [] if folder.exists() else True


@pytest.mark.parametrize("lang", ["da", "en"])
def test_wrong_and_malformed_codes(
    phone: Page, server: LiveServer, key_files: KeyFiles, lang: str
) -> None:
    sees = SEES[lang]
    code = send_tip(phone, server, lang)
    [tip] = stored(server, key_files, "tip")
    staff_reply(server, tip, "Kun til den rigtige kode")

    # A wrong code looks exactly like a right code without replies: nothing leaks.
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    open_followup(phone, lang)
    type_code(phone, wrong)
    assert click(phone, sees["show"]) == 200
    text = phone.locator("main").inner_text()
    assert sees["no replies"] in text and "Kun til den rigtige kode" not in text

    # A malformed code: a clear error at the field, the typed code kept.
    open_followup(phone, lang)
    type_code(phone, "1234 5678")
    assert click(phone, sees["show"]) == 400
    assert sees["malformed"] in phone.locator("#code-error").inner_text()
    assert phone.locator("#code").get_attribute("aria-invalid") == "true"
    assert phone.locator("#code").input_value() == "1234 5678"
    # Corrected on the same page, it works: the page's token still matches the cookie.
    type_code(phone, code)
    assert click(phone, sees["show"]) == 200
    assert "Kun til den rigtige kode" in phone.locator(".reply").inner_text()
    assert stored(server, key_files, "followup") == []  # reading stores nothing


@pytest.mark.parametrize("lang", ["da", "en"])
def test_rate_limited_follow_up_keeps_the_code_and_the_message(
    phone: Page, tmp_path: Path, key_files: KeyFiles, lang: str
) -> None:
    sees = SEES[lang]
    live = site(tmp_path, key_files, "1 per hour")  # per worker: the shipped memory store
    try:
        code = send_tip(phone, live, lang)
        open_followup(phone, lang)
        type_code(phone, code)
        status = click(phone, sees["show"])
        sent: list[str] = []
        for attempt in range(8):  # each worker lets one through; then the limit holds
            if status == 429:
                break
            message = f"Detalje nummer {attempt}"
            phone.locator("#message").fill(message)
            status = click(phone, sees["add"])
            if status == 200:
                sent.append(message)
        assert status == 429
        text = phone.locator("main").inner_text()
        assert sees["busy"] in text
        assert not any(words in text for words in TIP_ONLY)
        if sent or phone.locator("#message").count():
            # What the tipster typed is still there to send later, and was not stored.
            typed = phone.locator("#message").input_value()
            assert typed.startswith("Detalje nummer") and sees["not sent"] in text
            messages = [d["fields"]["message"]  # type: ignore[index]
                        for d in stored(live, key_files, "followup")]
            assert typed not in messages and sorted(messages) == sorted(sent)
        assert phone.locator("#code").input_value() == code
    finally:
        stop_gunicorn(live)


WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_pages_on_the_way_pass_axe_with_code_replies_and_the_switch_form(
    browser: Browser, server: LiveServer, key_files: KeyFiles, lang: str
) -> None:
    """The thank-you page with its code and language-switch form, and the follow-up page
    with a reply and the message box, pass axe at WCAG 2.1 AA at phone width. Scripts run
    for axe alone (as in test_browser.py); the pages carry none."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(java_script_enabled=True, viewport=PHONE)
    page = context.new_page()
    try:
        code = send_tip(page, server, lang)
        for view in ("thanks", "follow-up"):
            if view == "follow-up":
                [tip] = stored(server, key_files, "tip")
                staff_reply(server, tip, "Tak for dit tip.")
                open_followup(page, lang)
                type_code(page, code)
                assert click(page, SEES[lang]["show"]) == 200
            assert page.locator("script").count() == 0
            results = Axe().run(page, options=WCAG_AA)
            assert results.violations_count == 0, (view, results.generate_report())
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_lost_cookie_keeps_the_message_and_the_next_press_sends_it(
    phone: Page, server: LiveServer, key_files: KeyFiles, lang: str
) -> None:
    """The form token's cookie is gone (browser closed and reopened, cookies cleared):
    the page says so, gives back the code and the message, and the next press sends."""
    sees = SEES[lang]
    code = send_tip(phone, server, lang)
    open_followup(phone, lang)
    type_code(phone, code)
    assert click(phone, sees["show"]) == 200
    phone.context.clear_cookies()
    phone.locator("#message").fill("Nummerpladen var CX 98 765")
    assert click(phone, sees["add"]) == 400
    assert phone.locator(".error-summary").count() == 1
    assert phone.locator("#message").input_value() == "Nummerpladen var CX 98 765"
    assert phone.locator("#code").input_value() == code
    assert stored(server, key_files, "followup") == []
    assert click(phone, sees["add"]) == 200
    assert sees["sent"] in phone.locator("main").inner_text()
    [sent] = stored(server, key_files, "followup")
    assert sent["fields"] == {"message": "Nummerpladen var CX 98 765"}
