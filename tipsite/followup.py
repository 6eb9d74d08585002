"""The follow-up pages: a tipster with a receipt code reads replies and adds details.

Nothing here needs a cookie beyond the CSRF one, or an account. The server
derives the lookup id and reply key from the code inside the request and
forgets them with it; it stores nothing that could open a reply.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, g, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from tipsite import envelope, limits, payload, replay
from tipsite.config import Settings
from tipsite.errors import EnvelopeError, InboxError, KeyFileError
from tipsite.forms import FollowupForm
from tipsite.inbox import Inbox
from tipsite.keys import KeyPair, load_public_key
from tipsite.lang import language_blueprint
from tipsite.receipt import Receipt, derive
from tipsite.replies import ReplyBox
from tipsite.sanitise import clean_text

log = logging.getLogger(__name__)
followup = language_blueprint("followup", __name__)


def _settings() -> Settings:
    settings: Settings = current_app.config["TIPSITE"]
    return settings


def show(form: FollowupForm, status: int = 200, **state: Any) -> Any:
    """The follow-up page; ``state`` says what happened (replies, sent, deleted, problem)."""
    return render_template("followup.html", form=form, **state), status


@followup.get("/followup")
def start() -> Any:
    """Ask for the receipt code."""
    return show(FollowupForm())


@followup.post("/followup")
@limits.limit_code_entry
def conversation() -> Any:
    """Show the replies for a code; on request, add a message or delete the replies."""
    form = FollowupForm()
    action = request.form.get("action", "read")
    if not form.validate_on_submit():
        return show(form, 400)
    if action in ("add", "delete") and not replay.first_use(session.get("csrf_token")):
        form.csrf_token.errors.append(_("This form was already sent."))
        return show(form, 400)
    receipt = derive(form.code.data)
    box = ReplyBox(_settings().replies)
    box.expire(_settings().reply_days)  # no timer process: expiry runs when codes are used
    state: dict[str, Any] = {}
    if action == "add":
        if not (form.message.data or "").strip():
            form.message.errors.append(_("Please write what you want to add."))
            return show(form, 400, replies=open_replies(box, receipt))
        problem = send_followup(form.message.data, receipt)
        if problem:
            return show(form, 503, problem=problem, replies=open_replies(box, receipt))
        state["sent"] = True
        form.message.data = ""
    elif action == "delete":
        state["deleted"] = box.delete(receipt.lookup)
    # One token, one action: a reloaded post must not send a message twice.
    session.pop("csrf_token", None)
    # The page below must carry a fresh token, or the tipster's next "Send more" after
    # reading the replies is refused as a replay: Flask-WTF caches the spent one in g
    # and in the form's field.
    g.pop("csrf_token", None)
    form.csrf_token.current_token = generate_csrf()
    return show(form, replies=open_replies(box, receipt), **state)


def open_replies(box: ReplyBox, receipt: Receipt) -> list[dict[str, Any]]:
    """The replies this code opens, oldest first; one it cannot open is skipped."""
    key = KeyPair(receipt.private)
    opened = []
    for sealed in box.replies(receipt.lookup):
        try:
            opened.append(payload.read_reply(envelope.open_envelope(sealed, [key])))
        except EnvelopeError:
            log.warning("a reply could not be opened with its code")  # no id, no code
    return opened


def send_followup(message: str, receipt: Receipt) -> str | None:
    """Seal the tipster's message with the link to their tip; return a problem or None."""
    try:
        public_key = load_public_key(_settings().public_key)
    except KeyFileError:
        log.error("the public key cannot be read; follow-ups are refused until it is fixed")
        return "closed"
    document = payload.followup_document(
        clean_text(message), g.lang, payload.utc_now(),
        {"lookup": receipt.lookup, "key": receipt.public_b64},
    )
    try:
        Inbox(_settings().inbox).deliver(envelope.seal(document, public_key))
    except InboxError as exc:
        log.error("a follow-up could not be stored: %s", exc)
        return "storage"
    return None
