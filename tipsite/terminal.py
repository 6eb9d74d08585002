"""Showing tip text on a staff terminal without letting it act on the terminal.

A tip is written by a stranger. Escape sequences (ESC, CSI), carriage returns,
backspaces and bidirectional overrides could rewrite what the staff see, hide a
line or fake a prompt. Every such character is shown as a visible escape
(``\\x1b``, ``\\u202e``) instead; ordinary letters, Danish letters and emoji pass.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible joiners that emoji sequences need; they cannot move the cursor or reorder text.
_HARMLESS_FORMAT = frozenset("\u200c\u200d")
# Categories a terminal or a text renderer may act on: controls, format characters
# (bidi overrides, zero-width), line/paragraph separators, lone surrogates.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
# Characters worth a closer look: everything but printable ASCII and the printable
# Latin, Greek, Cyrillic... blocks, so Danish text costs one C-level regex scan.
_CANDIDATES = re.compile("[^\x20-\x7e\xa0-\xac\xae-\u05ff]")
# The same for JSON text, where a line break is layout (encoders escape those in strings).
_JSON_CANDIDATES = re.compile("[^\n\x20-\x7e\xa0-\xac\xae-\u05ff]")


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


def safe(text: str, multiline: bool = True) -> str:
    """``text`` with every unsafe character shown as a harmless escape.

    With ``multiline`` false, line breaks and tabs are escaped too, so one tip
    stays on one line of a listing.
    """

    def fix(match: re.Match[str]) -> str:
        char = match.group()
        return _visible(char) if is_unsafe(char, multiline) else char

    return _CANDIDATES.sub(fix, text)


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

    return _JSON_CANDIDATES.sub(fix, text)
