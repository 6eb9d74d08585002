"""Profile of one submission, step by step, in this process (no HTTP, no gunicorn).

Each step of web.submit is timed on its own with the same 2 KB tip the load test
posts, so the table shows where a submission's time goes before anyone tunes it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from client import CSRF_FIELD, MARKUP_TEXT, PLAIN_TEXT, Pair, tip_body
from flask.testing import FlaskClient

from tipsite.core import envelope, keys, payload, receipt
from tipsite.core.inbox import Inbox
from tipsite.core.sanitise import clean_text
from tipsite.site.forms import CONTROL_CHARACTERS

ROUNDS = 300
POST_ROUNDS = 100
WARM_UP = 10


def per_call_ms(step: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Mean cost of one call of ``step`` in milliseconds, after a short warm-up."""
    for _ in range(WARM_UP):
        step()
    start = time.perf_counter()
    for _ in range(rounds):
        step()
    return round((time.perf_counter() - start) / rounds * 1000, 3)


def control_character_check(text: str) -> bool:
    """The check tipsite.site.forms.plain_text runs on every field."""
    return CONTROL_CHARACTERS.search(text) is not None


def fresh_form(client: FlaskClient) -> tuple[str, str]:
    """A new session cookie and a tip body carrying its form's token."""
    client.delete_cookie("csrf")
    token = CSRF_FIELD.search(client.get("/da/").get_data(as_text=True))
    cookie = client.get_cookie("csrf")
    assert token and cookie
    return cookie.value, tip_body(Pair("", token.group(1)))


def whole_requests(pair: keys.KeyPair, folder: Path) -> dict[str, float]:
    """A page and a tip through the whole Flask app (test client: no HTTP, no gunicorn)."""
    from tipsite.site.app import create_app
    from tipsite.site.config import load_config

    public = folder / "centre.pub"
    keys.write_new_file(public, keys.public_key_text(pair.public), 0o644)
    (folder / "instance").mkdir()
    app = create_app(load_config({
        "TIPSITE_PUBLIC_KEY": str(public), "TIPSITE_INBOX": str(folder / "inbox"),
        "TIPSITE_INSTANCE": str(folder / "instance"), "TIPSITE_RATELIMIT_ENABLED": "0",
    }))
    client = app.test_client()
    # A form token sends one tip only (tipsite/site/replay.py): fetch a fresh one per post
    # beforehand, so the timed posts are posts and nothing else.
    forms = [fresh_form(client) for _ in range(2 * (POST_ROUNDS + WARM_UP))]

    def post() -> None:
        cookie, body = forms.pop()
        client.set_cookie("csrf", cookie)
        response = client.post("/da/tip", data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 303, response.status_code

    costs = {
        "whole GET /da/privacy (Flask test client)": per_call_ms(
            lambda: client.get("/da/privacy"), rounds=100),
        "whole POST /da/tip, 2 KB plain (Flask test client)": per_call_ms(post, rounds=POST_ROUNDS),
    }
    # What the same post costs without the receipt code's key derivation: one receipt
    # is derived once and handed out again (a measurement only; never done for real).
    import tipsite.site.web

    real_derive = tipsite.site.web.derive
    fixed = real_derive(receipt.new_code(), bytes(receipt.SALT_BYTES))
    tipsite.site.web.derive = lambda code, salt: fixed
    try:
        costs["whole POST /da/tip, receipt derivation left out"] = per_call_ms(
            post, rounds=POST_ROUNDS)
    finally:
        tipsite.site.web.derive = real_derive
    return costs


def profile() -> dict[str, float]:
    """Milliseconds per call of each step a submission takes."""
    pair = keys.generate()
    fields = {name: "" for name in payload.TEXT_FIELDS}
    fields.update(description=PLAIN_TEXT, location="Hovedgaden 12, 4000 Roskilde",
                  setting="massage_clinic", relation="", indicators=["A1", "A3"])
    document = payload.tip_document(fields, "da", payload.utc_now())
    sealed = envelope.seal(document, pair.public)
    folder = Path(tempfile.mkdtemp(prefix="tipsite-steps-"))
    inbox = Inbox(folder / "steps-inbox")
    inbox.prepare()
    try:
        return {**steps(pair, fields, document, sealed, inbox),
                **whole_requests(pair, folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def steps(pair: keys.KeyPair, fields: dict[str, object], document: bytes, sealed: bytes,
          inbox: Inbox) -> dict[str, float]:
    """Each step of web.submit on its own."""
    return {
        "control-character check (forms.plain_text), 2 KB": per_call_ms(
            lambda: control_character_check(PLAIN_TEXT)),
        "clean_text, 2 KB plain (fast path, no bleach)": per_call_ms(
            lambda: clean_text(PLAIN_TEXT)),
        "clean_text, 2 KB with < and & (bleach)": per_call_ms(
            lambda: clean_text(MARKUP_TEXT)),
        "receipt code (receipt.derive: Argon2id)": per_call_ms(
            lambda: receipt.derive(receipt.new_code(), bytes(receipt.SALT_BYTES)), rounds=50),
        "payload JSON": per_call_ms(
            lambda: payload.tip_document(fields, "da", payload.utc_now())),
        "pad + seal (SealedBox)": per_call_ms(
            lambda: envelope.seal(document, pair.public, payload.KIND_TIP)),
        "durable write (write, fsync, rename, fsync dir)": per_call_ms(
            lambda: inbox.deliver(sealed), rounds=100),
    }
