"""Profile of one submission, step by step, in this process (no HTTP, no gunicorn).

Each step of web.submit is timed on its own with the same 2 KB tip the load test
posts, so the table shows where a submission's time goes before anyone tunes it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from client import MARKUP_TEXT, PLAIN_TEXT

from tipsite import envelope, keys, payload
from tipsite.inbox import Inbox
from tipsite.sanitise import clean_text

ROUNDS = 300


def per_call_ms(step: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Mean cost of one call of ``step`` in milliseconds, after a short warm-up."""
    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(rounds):
        step()
    return round((time.perf_counter() - start) / rounds * 1000, 3)


def control_character_check(text: str) -> bool:
    """The check tipsite.forms.plain_text runs on every character of every field."""
    return any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text)


def profile() -> dict[str, float]:
    """Milliseconds per call of each step a submission takes."""
    pair = keys.generate()
    fields = {name: "" for name in payload.TEXT_FIELDS}
    fields.update(description=PLAIN_TEXT, location="Hovedgaden 12, 4000 Roskilde",
                  setting="massage_clinic", relation="", indicators=["A1", "A3"])
    document = payload.tip_document(fields, "da", payload.utc_now())
    sealed = envelope.seal(document, pair.public)
    inbox = Inbox(Path(tempfile.mkdtemp(prefix="tipsite-steps-")))
    inbox.prepare()
    return {
        "control-character check (forms.plain_text), 2 KB": per_call_ms(
            lambda: control_character_check(PLAIN_TEXT)),
        "clean_text, 2 KB plain (fast path, no bleach)": per_call_ms(
            lambda: clean_text(PLAIN_TEXT)),
        "clean_text, 2 KB with < and & (bleach)": per_call_ms(
            lambda: clean_text(MARKUP_TEXT)),
        "payload JSON": per_call_ms(
            lambda: payload.tip_document(fields, "da", payload.utc_now())),
        "pad + seal (SealedBox)": per_call_ms(lambda: envelope.seal(document, pair.public)),
        "durable write (write, fsync, rename, fsync dir)": per_call_ms(
            lambda: inbox.deliver(sealed), rounds=100),
    }
