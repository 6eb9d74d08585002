"""The follow-up pages: a tipster with a receipt code reads replies and adds details.

Nothing here needs a cookie beyond the CSRF one, or an account. The server
derives the lookup id and reply key from the code inside the request and
forgets them with it; it stores nothing that could open a reply.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import gettext as _

from tipsite.core import envelope, payload
from tipsite.core.errors import EnvelopeError
from tipsite.core.keys import KeyPair
from tipsite.core.receipt import Receipt, derive
from tipsite.core.sanitise import clean_text
from tipsite.site import delivery, limits, replay
from tipsite.site.config import site_config
from tipsite.site.forms import FollowupForm
from tipsite.site.lang import language_blueprint
from tipsite.site.replies import ReplyBox

log = logging.getLogger(__name__)
followup = language_blueprint("followup", __name__)


def show(form: FollowupForm, status: int = 200, **state: Any) -> Any:
    """The follow-up page; ``state`` says what happened (replies, sent, deleted, problem)."""
    return render_template("followup.html", form=form, **state), status


@followup.get("/followup")
def start() -> Any:
    """Ask for the receipt code."""
    return show(FollowupForm())


@followup.post("/followup")
@limits.limit_code_entry  # per client, checked before the body is read
def conversation() -> Any:
    """Show the replies for a code; on request, add a message or delete the replies.

    Reading sends nothing, so it keeps the form token; adding and deleting each use
    it up and the page they answer with carries a fresh one. Every answer gives the
    typed code and message back, so nothing a tipster wrote is lost on any error.
    """
    form = FollowupForm()
    action = request.form.get("action", "read")
    if not form.validate_on_submit():
        return show(form, 400)
    if action == "add" and (form.message.data or "").strip():
        limits.check_everyone()  # only a message that would be stored meets the global limit
    # Argon2id: bounded by concurrency, not by count. A SiteBusy here has spent nothing:
    # the error page gives code and message back, and the same form may be sent again.
    with limits.derivation_slot():
        receipt = derive(form.code.data, current_app.config["RECEIPT_SALT"])
    box = ReplyBox(site_config().replies)
    box.expire(site_config().reply_days)  # no timer process: expiry runs when codes are used
    state: dict[str, Any] = {}
    if action == "add" and not (form.message.data or "").strip():
        # Checked before the token is spent: an empty box uses nothing up.
        form.message.errors.append(_("Please write what you want to add."))
        return show(form, 400, replies=open_replies(box, receipt))
    if action in ("add", "delete"):
        # One token, one action: a reloaded post must not act twice. The page that
        # answers carries a fresh token, in the page and the cookie alike, so the
        # tipster's next press works (the old one may never act again).
        verdict = replay.use()
        replay.renew(form)
        if verdict is not replay.Verdict.FIRST:
            form.csrf_token.errors.append(_("This form was already sent."))
            return show(form, 400, replies=open_replies(box, receipt))
    if action == "add":
        limits.count_stored()
        problem = send_followup(form.message.data, receipt)
        if problem:  # the page carries a fresh token: pressing again sends it
            return show(form, 503, problem=problem, replies=open_replies(box, receipt))
        state["sent"] = True
        form.message.data = ""
    elif action == "delete":
        state["deleted"] = box.delete(receipt.lookup)
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
    public_key = delivery.centre_key("follow-ups")
    if public_key is None:
        return delivery.CLOSED
    document = payload.followup_document(
        clean_text(message), g.lang, payload.utc_now(), receipt.reply_to(),
    )
    return delivery.seal_and_deliver(document, payload.KIND_FOLLOWUP, public_key)
