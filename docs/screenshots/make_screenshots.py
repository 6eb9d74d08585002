"""Screenshots: the front page at 360 px in every language; the form with errors and the
desktop view in Danish and English.

Run by ``make screenshots`` (``.venv/bin/python docs/screenshots/make_screenshots.py``).
Starts the site under gunicorn with a throwaway key, inbox and instance folder in a
temporary directory, drives Debian's Chromium (JavaScript off, as the site needs none)
and writes PNGs next to this file. Nothing is fetched from the network.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tipsite.core import keys  # noqa: E402  (the checkout, not an installed copy)
from tipsite.site.config import LANGUAGES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SIZES = {"phone": (360, 740), "desktop": (1280, 900)}
LANGS = ("da", "en")  # errors and desktop
PHONE_LANGS = LANGUAGES  # the first phone screen: every language (Cyrillic checked for tofu)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_site(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn on loopback with a throwaway public key; returns the process and its URL."""
    pair = keys.generate()
    public = folder / "centre.pub"
    keys.write_new_file(public, keys.public_key_text(pair.public), 0o644)
    port = free_port()
    env = {
        **os.environ,
        "TIPSITE_PUBLIC_KEY": str(public),
        "TIPSITE_INBOX": str(folder / "inbox"),
        "TIPSITE_INSTANCE": str(folder / "instance"),
        "TIPSITE_RATELIMIT_ENABLED": "0",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = (folder / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/da/privacy", timeout=2):  # noqa: S310
                return process, url
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    sys.exit(f"error: the site did not start; see {folder / 'gunicorn.log'}")


def shoot_front(page: Page, path: Path) -> None:
    """The first screen a visitor sees."""
    page.screenshot(path=path)


def shoot_errors(page: Page, path: Path) -> None:
    """From the top of the page down to the first fields with their errors."""
    with page.expect_navigation():
        page.locator("#send").click()
    box = page.locator("#description").bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    if box is None or not width:
        sys.exit("error: the form with errors did not show its description field")
    page.screenshot(path=path, full_page=True, clip={
        "x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 24,
    })


def main() -> None:
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="tipsite-screens-") as tmp:
        process, url = start_site(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                for lang in PHONE_LANGS:
                    if lang in LANGS:
                        continue  # below, with the errors and the desktop view
                    width, height = SIZES["phone"]
                    context = browser.new_context(java_script_enabled=False,
                                                  viewport={"width": width, "height": height},
                                                  locale=lang)
                    page = context.new_page()
                    page.goto(f"{url}/{lang}/")
                    front = HERE / f"front-{lang}-phone.png"
                    shoot_front(page, front)
                    made.append(front)
                    context.close()
                for lang in LANGS:
                    for size, (width, height) in SIZES.items():
                        context = browser.new_context(
                            java_script_enabled=False,
                            viewport={"width": width, "height": height},
                            locale=lang,
                        )
                        page = context.new_page()
                        page.goto(f"{url}/{lang}/")
                        front = HERE / f"front-{lang}-{size}.png"
                        shoot_front(page, front)
                        errors = HERE / f"errors-{lang}-{size}.png"
                        shoot_errors(page, errors)
                        made += [front, errors]
                        context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)
    for path in made:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
