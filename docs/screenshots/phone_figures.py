"""The front page on a phone (360×740, JavaScript off): how tall, and where the first question is.

Run: ``.venv/bin/python docs/screenshots/phone_figures.py [lang …]`` (default: every
language). Prints, per language, the page height in px and in screens of 740 px, the
top and bottom of the first question (the "Where did you see it?" radio group), and the
number of Tab presses from the top of the page to the Send button. The figures for
Danish before and after the phone work are in docs/performance.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_screenshots import CHROMIUM, CHROMIUM_ARGS, start_site  # noqa: E402

sys.path.insert(0, str(HERE.parent.parent))
from tipsite.site.config import LANGUAGES  # noqa: E402

WIDTH, HEIGHT = 360, 740


def main(langs: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="tipsite-figures-") as tmp:
        process, url = start_site(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                for lang in langs:
                    context = browser.new_context(java_script_enabled=False,
                                                  viewport={"width": WIDTH, "height": HEIGHT})
                    page = context.new_page()
                    page.goto(f"{url}/{lang}/")
                    cdp = context.new_cdp_session(page)
                    height = cdp.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
                    box = page.locator("#setting").bounding_box() or {"y": -1, "height": 0}
                    tabs = 0
                    while tabs < 200:
                        page.keyboard.press("Tab")
                        tabs += 1
                        if page.evaluate("document.activeElement.id") == "send":
                            break
                    print(f"{lang}: page {height:.0f} px = {height / HEIGHT:.1f} screens; "
                          f"first question {box['y']:.0f}–{box['y'] + box['height']:.0f} px; "
                          f"{tabs} Tabs to Send")
                    context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main(sys.argv[1:] or list(LANGUAGES))
