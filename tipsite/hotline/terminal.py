"""Showing tip text on a staff terminal without letting it act on the terminal.

A tip is written by a stranger. Escape sequences (ESC, CSI), carriage returns,
backspaces and bidirectional overrides could rewrite what the staff see, hide a
line or fake a prompt. Every such character is shown as a visible escape
(``\\x1b``, ``\\u202e``) instead; ordinary letters, Danish letters and emoji pass.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Invisible joiners that emoji sequences need; they cannot move the cursor or reorder text.
_HARMLESS_FORMAT = frozenset("\u200c\u200d")
# Categories a terminal or a text renderer may act on: controls, format characters
# (bidi overrides, zero-width), line/paragraph separators, lone surrogates.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
# Below this code point the regexes skip every character that is always safe (ASCII,
# the Latin, Greek, Cyrillic... letters), so Danish text costs one C-level scan.
SCANNED_BELOW = 0x600


def _visible(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_unsafe(char: str, multiline: bool = True) -> bool:
    """True if ``char`` must not reach a terminal as itself."""
    if char == "\n":
        return not multiline
    if char == "\t":
        return not multiline
    if char in _HARMLESS_FORMAT:
        return False
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def always_safe(char: str) -> bool:
    """True if ``char`` is safe whether line breaks and tabs are allowed or not."""
    return not is_unsafe(char, multiline=False)


def _always_safe_class() -> str:
    # A regex class body of the always-safe characters below SCANNED_BELOW, as ranges,
    # derived from is_unsafe so the fast path can never disagree with it.
    ranges: list[tuple[int, int]] = []
    for code in range(SCANNED_BELOW):
        if always_safe(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges)


@cache
def _candidates(json_text: bool) -> re.Pattern[str]:
    # Characters worth a closer look: all but the always-safe ones below SCANNED_BELOW;
    # in JSON text a line break is layout too (encoders escape those inside strings).
    # Made on first use: a JSON export that needs no escaping never compiles it.
    return re.compile(f"[^{chr(10) if json_text else ''}{_always_safe_class()}]")


def safe(text: str, multiline: bool = True) -> str:
    """``text`` with every unsafe character shown as a harmless escape.

    With ``multiline`` false, line breaks and tabs are escaped too, so one tip
    stays on one line of a listing.
    """

    def fix(match: re.Match[str]) -> str:
        char = match.group()
        return _visible(char) if is_unsafe(char, multiline) else char

    return _candidates(json_text=False).sub(fix, text)


def escape_json_text(text: str) -> str:
    """JSON text with unsafe characters written as ``\\uXXXX`` escapes (same data).

    JSON encoders escape C0 controls themselves but let DEL, C1 controls (CSI) and
    bidi overrides through; escaping them keeps exported JSON safe to ``cat``.
    """

    def fix(match: re.Match[str]) -> str:
        char = match.group()
        if not is_unsafe(char):
            return char
        code = ord(char)
        if code <= 0xFFFF:
            return f"\\u{code:04x}"
        code -= 0x10000  # outside the BMP, JSON needs a surrogate pair
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

    return _candidates(json_text=True).sub(fix, text)


def _safe_two_byte_leads() -> list[int]:
    # UTF-8 lead bytes 0xC2-0xDF each start 64 characters (U+0080-U+07FF); a lead byte
    # is safe when all of them are (0xC3: U+00C0-U+00FF, æ, ø, å; not 0xC2: C1 controls).
    return [lead for lead in range(0xC2, 0xE0)
            if all(always_safe(chr(((lead & 0x1F) << 6) | low)) for low in range(64))]


# UTF-8 bytes that only ever belong to characters escape_json_text leaves alone: line
# feed, printable ASCII, continuation bytes and the safe lead bytes above.
SAFE_UTF8 = bytes([0x0A, *range(0x20, 0x7F), *range(0x80, 0xC0), *_safe_two_byte_leads()])


def escape_json_bytes(data: bytes) -> bytes:
    """:func:`escape_json_text` for UTF-8 JSON; ``data`` itself when nothing needs escaping.

    Most exports need none, and one C-level translate over the bytes shows it, where
    the regex would look at every character of a large document.
    """
    if not data.translate(None, SAFE_UTF8):
        return data
    return escape_json_text(data.decode("utf-8")).encode("utf-8")
