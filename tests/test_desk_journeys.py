"""The staff desk in Chromium, as the hotline team uses it: a real desk server, a real store.

Journeys run with JavaScript off (the desk has none); the hostile-tip test turns it
on, so that a tip that managed to carry a script would run, and fails if anything does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tipsite.core import keys, vocabulary
from tipsite.hotline import trail
from tipsite.hotline.accounts import Accounts
from tipsite.hotline.store import Store

from .support.servers import free_port
from .test_desk import HOSTILE, JONAS, METTE, SALT, add_tip

# Every test here serves the desk for real (hotline desk: gunicorn); most drive Chromium.
pytestmark = pytest.mark.live

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
HOTLINE = Path(sys.executable).with_name("hotline")  # the installed entry point


@dataclass
class LiveDesk:
    url: str
    store: Path
    centre: keys.KeyPair
    process: subprocess.Popen[str]


@pytest.fixture
def live_desk(tmp_path: Path) -> Iterator[LiveDesk]:
    store = tmp_path / "store"
    Store(store).create()
    centre = keys.generate()
    accounts = Accounts(store, kdf_cost="interactive")
    accounts.add("mette", METTE, admin=True, centre_keys=[centre])
    accounts.add("jonas", JONAS, admin=False, centre_keys=[centre])
    port = free_port()
    process = subprocess.Popen(
        [str(HOTLINE), "desk", "--store", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("The staff desk is at http://127.0.0.1:"), line
    try:
        yield LiveDesk(f"http://127.0.0.1:{port}", store, centre, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def tab(browser: Browser, scripts: bool = False, width: int = 1280) -> Page:
    context = browser.new_context(java_script_enabled=scripts, locale="da-DK",
                                  viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, desk: LiveDesk, name: str, passphrase: str) -> None:
    page.goto(desk.url + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Navn").fill(name)
    page.get_by_label("Adgangssætning").fill(passphrase)
    page.get_by_role("button", name="Log ind").click()


@pytest.mark.browser
def test_two_people_log_in_read_a_tip_and_log_out(browser: Browser, live_desk: LiveDesk) -> None:
    tip = add_tip(Store(live_desk.store), live_desk.centre)
    mette, jonas = tab(browser), tab(browser, width=800)  # a desktop and a tablet
    try:
        log_in(mette, live_desk, "mette", METTE)
        log_in(jonas, live_desk, "Jonas", JONAS)
        for page in (mette, jonas):
            assert page.get_by_role("heading", level=1).inner_text() == "Indbakke"
            row = page.get_by_role("row").filter(has_text="Vestergade 12, Aarhus")
            assert "Massageklinik" in row.inner_text() and "ny" in row.inner_text()
        mette.get_by_role("link", name=tip[:8]).click()
        assert "Kvinderne sover i klinikken." in mette.locator("main").inner_text()
        # The sign in the staff's language, as the tipster saw it in Danish.
        sign = vocabulary.INDICATORS["A1"].label
        assert mette.locator(".signs").inner_text() == vocabulary.translate(sign, "da") != sign
        mette.get_by_role("button", name="Log ud").click()
        assert "Du er logget ud" in mette.locator("main").inner_text()
        mette.goto(f"{live_desk.url}/c/{tip}")
        assert mette.url.endswith("/login")
        assert jonas.get_by_role("link", name=tip[:8]).count() == 1  # jonas is still in
        jonas.reload()
        assert jonas.get_by_role("heading", level=1).inner_text() == "Indbakke"
    finally:
        mette.context.close()
        jonas.context.close()
    actions = [(line.actor, line.action) for line in trail.lines(live_desk.store)]
    assert ("mette", "open") in actions and ("mette", "logout") in actions
    assert ("jonas", "login") in actions


@pytest.mark.browser
def test_a_wrong_passphrase_shows_an_error_and_keeps_the_name(browser: Browser,
                                                              live_desk: LiveDesk) -> None:
    page = tab(browser)
    try:
        log_in(page, live_desk, "mette", "forkert forkert forkert")
        assert page.get_by_role("alert").inner_text() == "Forkert navn eller adgangssætning."
        assert page.get_by_label("Navn").input_value() == "mette"
        assert page.get_by_label("Adgangssætning").input_value() == ""
    finally:
        page.context.close()


@pytest.mark.browser
def test_the_keyboard_alone_logs_in(browser: Browser, live_desk: LiveDesk) -> None:
    page = tab(browser)
    try:
        page.goto(live_desk.url + "/login")
        page.keyboard.press("Tab")
        page.keyboard.type("mette")
        page.keyboard.press("Tab")
        page.keyboard.type(METTE)
        page.keyboard.press("Enter")
        page.wait_for_url(live_desk.url + "/")
        assert page.get_by_role("heading", level=1).inner_text() == "Indbakke"
    finally:
        page.context.close()


@pytest.mark.browser
def test_a_hostile_tip_runs_nothing_even_with_javascript_on(browser: Browser,
                                                            live_desk: LiveDesk) -> None:
    tip = add_tip(Store(live_desk.store), live_desk.centre, location=HOSTILE,
                  description=HOSTILE, people="<style>body{display:none}</style>")
    page = tab(browser, scripts=True)
    dialogs: list[str] = []
    elsewhere: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: None if request.url.startswith(live_desk.url)
            else elsewhere.append(request.url))
    try:
        log_in(page, live_desk, "mette", METTE)
        page.get_by_role("link", name=tip[:8]).click()
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert dialogs == [] and elsewhere == []
        assert page.locator("main script, main img, main style").count() == 0
        assert "<script>window.pwned=1</script>" in page.locator("main").inner_text()
        assert page.locator("body").is_visible()
    finally:
        page.context.close()


@pytest.mark.browser
def test_every_desk_page_passes_axe_at_wcag_21_aa(browser: Browser,
                                                  live_desk: LiveDesk) -> None:
    tip = add_tip(Store(live_desk.store), live_desk.centre)
    page = tab(browser, scripts=True)  # for axe alone: the desk's pages carry no script
    try:
        page.goto(live_desk.url + "/login")
        audited = [Axe().run(page, options=WCAG_AA)]
        log_in(page, live_desk, "mette", METTE)
        audited.append(Axe().run(page, options=WCAG_AA))
        page.goto(f"{live_desk.url}/c/{tip}")
        audited.append(Axe().run(page, options=WCAG_AA))
        page.goto(f"{live_desk.url}/c/{tip}/print")
        audited.append(Axe().run(page, options=WCAG_AA))
        page.goto(f"{live_desk.url}/audit")
        audited.append(Axe().run(page, options=WCAG_AA))
        page.goto(f"{live_desk.url}/retention")
        audited.append(Axe().run(page, options=WCAG_AA))
        page.goto(f"{live_desk.url}/?q=vestergade")
        audited.append(Axe().run(page, options=WCAG_AA))
        for results in audited:
            assert results.violations_count == 0, results.generate_report()
    finally:
        page.context.close()


def test_the_desk_stops_cleanly(live_desk: LiveDesk) -> None:
    live_desk.process.terminate()
    assert live_desk.process.wait(timeout=30) == 0


def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until ``element_id`` has the focus, as a keyboard user does."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


@pytest.mark.browser
def test_assign_reply_and_mark_handled_with_the_keyboard_alone(
        browser: Browser, live_desk: LiveDesk) -> None:
    from tipsite.core import receipt

    code = receipt.derive("1111 2222 3333 4444 5555", SALT)
    tip = add_tip(Store(live_desk.store), live_desk.centre, code.reply_to())
    page = tab(browser, scripts=True)  # scripts only for the test's own focus checks
    try:
        log_in(page, live_desk, "mette", METTE)
        page.goto(f"{live_desk.url}/c/{tip}")
        tab_to(page, "assignee")
        page.keyboard.press("ArrowDown")  # jonas, the first name after "nobody"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/c/{tip}?done=assigned")
        assert page.get_by_role("status").inner_text() == "Fordelingen er gemt."
        tab_to(page, "message")
        page.keyboard.type("Tak for dit tip. Vi ser på det i dag.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/c/{tip}?done=reply-no-site")
        assert "Svaret er gemt" in page.get_by_role("status").inner_text()
        assert "Tak for dit tip. Vi ser på det i dag." in page.locator("main").inner_text()
        page.get_by_role("button", name="Markér som færdigbehandlet").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/c/{tip}?done=handled")
        assert "færdigbehandlet" in page.locator("main").inner_text()
    finally:
        page.context.close()
    store = Store(live_desk.store)
    assert store.states()[tip].status == "handled"
    assert [r.tip for r in store.replies()] == [tip]


def test_the_desk_serves_tls_with_a_secure_cookie(tmp_path: Path) -> None:
    import http.cookies
    import ssl
    import urllib.request

    store = tmp_path / "store"
    Store(store).create()
    Accounts(store, kdf_cost="interactive").add("mette", METTE, admin=True,
                                                 centre_keys=[keys.generate()])
    cert, key = tmp_path / "desk.crt", tmp_path / "desk.key"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)], capture_output=True, text=True)
    assert made.returncode == 0, "openssl is needed (make system-packages): " + made.stderr
    port = free_port()
    process = subprocess.Popen(
        [str(HOTLINE), "desk", "--store", str(store), "--bind", f"localhost:{port}",
         "--cert", str(cert), "--key", str(key)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"The staff desk is at https://localhost:{port}/"), line
        context = ssl.create_default_context(cafile=str(cert))
        with urllib.request.urlopen(f"https://localhost:{port}/login", context=context,
                                    timeout=30) as response:
            assert response.status == 200
            cookie = http.cookies.SimpleCookie(response.headers["Set-Cookie"])["desk"]
            assert cookie["secure"] and cookie["httponly"]
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
