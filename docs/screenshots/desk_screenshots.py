"""Screenshots of the staff desk for docs/desk.md: login, inbox, a conversation with
related tips (1280 px), and the conversation on a tablet (800 px).

Run by ``make screenshots``. Makes a throwaway store with a few invented tips and one
account, starts ``hotline desk`` on loopback, drives Debian's Chromium (JavaScript off)
and writes PNGs next to this file. Nothing is fetched from the network.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
HOTLINE = Path(sys.executable).with_name("hotline")

from tipsite.core import envelope, keys, payload  # noqa: E402
from tipsite.hotline.accounts import Accounts  # noqa: E402
from tipsite.hotline.store import Store  # noqa: E402

PASSPHRASE = "kalkun vindue snegl paraply fyrtårn"  # noqa: S105 - a throwaway account
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
TIPS = [
    dict(setting="massage_clinic", location="Vestergade 12, 8000 Aarhus C",
         description="Lyset er tændt hele natten. Kvinderne ser ud til at bo i klinikken.",
         indicators=["A1", "B2", "D1"], vehicles="Hvid varevogn AB 12 345 kl. 5 om morgenen",
         relation="neighbour"),
    dict(setting="building_site", location="Havnegade 4, 5000 Odense C",
         description="Arbejderne sover i containere på pladsen og får ingen fridage.",
         indicators=["C1"], relation="colleague"),
    dict(setting="massage_clinic", location="vestergade 12, Aarhus",
         description="Samme klinik: en mand henter kvinderne i en varevogn, ab12345.",
         indicators=["D2"], relation="customer"),
]


def make_store(folder: Path) -> Path:
    store = Store(folder / "store")
    store.create()
    pair = keys.generate()
    start = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    for n, fields in enumerate(TIPS):
        document = payload.tip_document(fields, "da", start + timedelta(hours=5 * n))
        store.add(secrets.token_hex(16), envelope.seal(document, pair.public))
    Accounts(store.path, "interactive").add("mette", PASSPHRASE, True, [pair])
    return store.path


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(HERE / f"desk-{name}.png"), full_page=True)
    print(f"wrote docs/screenshots/desk-{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        desk = subprocess.Popen(  # noqa: S603 - our own hotline, fixed arguments
            [str(HOTLINE), "desk", "--store", str(store), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            started = desk.stdout.readline() if desk.stdout else ""
            if "staff desk is at" not in started:
                raise SystemExit(f"hotline desk did not start: {started}")
            url = f"http://127.0.0.1:{port}"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
                page = browser.new_context(java_script_enabled=False, locale="da-DK",
                                           viewport={"width": 1280, "height": 800}).new_page()
                page.goto(url + "/login")
                shoot(page, "login")
                page.get_by_label("Navn").fill("mette")
                page.get_by_label("Adgangssætning").fill(PASSPHRASE)
                page.get_by_role("button", name="Log ind").click()
                shoot(page, "inbox")
                page.get_by_role("row").filter(has_text="Vestergade 12, 8000").get_by_role(
                    "link").click()
                shoot(page, "conversation")
                page.set_viewport_size({"width": 800, "height": 1000})
                shoot(page, "conversation-tablet")
                browser.close()
        finally:
            desk.terminate()
            desk.wait(timeout=30)


if __name__ == "__main__":
    main()
