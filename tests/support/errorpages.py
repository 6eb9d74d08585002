"""Read a static error page of the deploy kit (deploy/errors/*.html) block by language.

The pages cannot know the reader's language, so each carries one block per language,
marked with its own ``lang`` attribute; this parser says what each block says and links
to, and what the page would load.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# Elements without an end tag: they open no block of their own.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


@dataclass
class ErrorPage:
    """What one error page holds, by the language of the block it is written in."""

    html_lang: str = ""
    text: dict[str, str] = field(default_factory=lambda: defaultdict(str))
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Every src and href on the page, and the tags that would run or fetch anything.
    addresses: list[str] = field(default_factory=list)
    loading_tags: list[str] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ErrorPage()
        self.open: list[tuple[str, str]] = []  # (tag, language in force inside it)

    def _lang(self) -> str:
        return self.open[-1][1] if self.open else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang") or self._lang()
        if tag == "html":
            self.page.html_lang = lang
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            if name in values:
                self.page.addresses.append(values[name])
        if tag == "a" and "href" in values:
            self.page.links[lang].append(values["href"])
        if tag in {"script", "link", "img", "iframe", "object", "embed", "video", "audio",
                   "form", "base"}:
            self.page.loading_tags.append(tag)
        if tag not in VOID:
            self.open.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            self.open.pop()
        else:
            self.page.unclosed.append(tag)

    def handle_data(self, data: str) -> None:
        self.page.text[self._lang()] += data


def read_error_page(path: Path) -> ErrorPage:
    """Parse ``path``; tags left open or closed out of order land in ``unclosed``."""
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    reader.page.unclosed += [tag for tag, _lang in reader.open]
    return reader.page
