"""Debian's Chromium, driven by Playwright: one browser for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from .programs import need_file

CHROMIUM = "/usr/bin/chromium"  # Debian's package; nothing is downloaded at run time
# Headless, and none of Chromium's own calls home: this machine's network is closed.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextmanager
def launched() -> Iterator[Browser]:
    """A running Chromium; each test opens its own context (cookies, JavaScript setting)."""
    need_file(Path(CHROMIUM), "chromium")  # fails naming make system-packages, never skips
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
