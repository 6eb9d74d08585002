"""The pages a tipster sees, and the one route that receives a tip."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_to_bytes

from babel import Locale
from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from tipsite import envelope, followup, limits, payload, replay
from tipsite.config import LANGUAGES, Settings
from tipsite.errors import InboxError, KeyFileError
from tipsite.forms import FollowupForm, TipForm
from tipsite.inbox import Inbox
from tipsite.keys import load_public_key
from tipsite.lang import language_blueprint
from tipsite.receipt import derive, new_code
from tipsite.sanitise import clean_text
from tipsite.vocabulary import INDICATOR_GROUPS, RELATIONS, SETTINGS

log = logging.getLogger(__name__)
MAX_FORM_PARTS = 100
LANGUAGE_NAMES = [
    (code, (Locale.parse(code).get_display_name(code) or code).capitalize()) for code in LANGUAGES
]
site = language_blueprint("site", __name__)


def settings() -> Settings:
    settings: Settings = current_app.config["TIPSITE"]
    return settings


def show_form(form: TipForm, status: int = 200, problem: str | None = None) -> Any:
    """The front page with ``form``; after a failure ``problem`` says what went wrong."""
    return (
        render_template(
            "index.html",
            form=form,
            problem=problem,
            settings_choices=SETTINGS,
            relations=RELATIONS,
            groups=INDICATOR_GROUPS,
        ),
        status,
    )


@site.get("/")
def index() -> Any:
    """The front page: who it is for, why it is safe, and the form."""
    return show_form(TipForm())


@site.post("/tip")
@limits.limit_submissions
def submit() -> Any:
    """Receive a tip: validate, clean, seal, store durably, then thank (POST/303)."""
    unreadable = undecodable_fields()  # reads the raw body before the form parser does
    if sum(len(values) for values in request.form.listvalues()) > MAX_FORM_PARTS:
        abort(413)  # no honest form has this many values (24 signs is the most)
    form = TipForm()
    valid = form.validate_on_submit()
    for name in unreadable & set(payload.TEXT_FIELDS):
        getattr(form, name).errors.append(_("This text contains characters we could not read."))
        valid = False
    if not valid:
        return show_form(form, 400)
    if not replay.first_use(session.get("csrf_token")):
        form.csrf_token.errors.append(_("This form was already sent."))
        return show_form(form, 400)
    if form.is_bot():
        # Bots get the same thank-you as people, so they learn nothing; nothing is stored.
        return redirect(url_for("site.thanks"), 303)
    try:
        # Read on every tip (a small file): a key removed or replaced at run time must
        # close the form or take effect at once, never leave a stale key in memory.
        public_key = load_public_key(settings().public_key)
    except KeyFileError:
        log.error("the public key cannot be read; tips are refused until it is fixed")
        return show_form(form, 503, problem="closed")
    code = new_code()
    receipt = derive(code)  # the lookup id and reply key travel only inside the seal
    document = payload.tip_document(
        tip_fields(form), g.lang, payload.utc_now(),
        reply_to={"lookup": receipt.lookup, "key": receipt.public_b64},
    )
    try:
        Inbox(settings().inbox).deliver(envelope.seal(document, public_key))
    except InboxError as exc:
        log.error("a tip could not be stored: %s", exc)  # no content, no client details
        return show_form(form, 503, problem="storage")
    # One token, one tip: a replayed form post must not send the tip twice.
    session.pop("csrf_token", None)
    # The code rides in the session cookie for one redirect only: the thank-you
    # page takes it out again, and the server never stores it.
    session["receipt"] = code
    return redirect(url_for("site.thanks"), 303)


def undecodable_fields() -> set[str]:
    """Names of url-encoded fields whose bytes are not UTF-8.

    Werkzeug keeps such bytes as literal ``%FF`` text; we refuse them instead, so a
    tip never holds text the tipster did not type.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return set()  # multipart decoding turns bad bytes into U+FFFD; forms.plain_text
    bad = set()
    for pair in request.get_data(cache=True).split(b"&"):
        name, _sep, value = pair.partition(b"=")
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            bad.add(unquote_to_bytes(name).decode("utf-8", "replace"))
    return bad


def tip_fields(form: TipForm) -> dict[str, Any]:
    """The form's values as the payload stores them: plain text, ids for choices."""
    fields: dict[str, Any] = {name: clean_text(getattr(form, name).data or "")
                              for name in payload.TEXT_FIELDS}
    fields["setting"] = form.setting.data
    fields["relation"] = form.relation.data or ""
    fields["indicators"] = sorted(set(form.indicators.data or []))
    return fields


@site.get("/thanks")
def thanks() -> str:
    """After a tip: the receipt code (shown once) and what happens next."""
    return render_template("thanks.html", receipt_code=session.pop("receipt", None))


@site.get("/privacy")
def privacy() -> str:
    """What we store and what we never store."""
    return render_template("privacy.html")


@site.get("/signs")
def signs() -> str:
    """The signs to look for, grouped, with the one-sign-proves-nothing rule."""
    return render_template("signs.html", groups=INDICATOR_GROUPS)


@site.get("/key")
def key() -> str:
    """The fingerprint of the key tips are sealed to, for staff to check."""
    return render_template("key.html", fingerprint=current_app.config["KEY_FINGERPRINT"])


@site.get("/accessibility")
def accessibility() -> str:
    """A short accessibility statement, until the centre links its WAS statement."""
    return render_template("accessibility.html")


def choose_language() -> Response:
    """``/``: the best language the browser accepts among the site's, once; then the URL decides.

    A browser that accepts none of them gets English, which more visitors read than
    Danish (a German or Russian browser is more likely a migrant worker's than a Dane's).
    """
    lang = request.accept_languages.best_match(LANGUAGES, default="en")
    response = redirect(url_for("site.index", lang=lang), 302)
    response.headers["Vary"] = "Accept-Language"
    return response


def error_page(exc: HTTPException) -> Any:
    """Every HTTP error as a page in the reader's language, never a traceback."""
    if "lang" not in g:
        first = request.path.strip("/").split("/", 1)[0]
        g.lang = first if first in LANGUAGES else LANGUAGES[0]
    code = exc.code or 500
    if code == 429 and request.endpoint == "site.submit":
        # Limited before the view ran: show the tipster's text back so nothing is lost.
        return show_form(TipForm(), 429, problem="busy")
    if code == 429 and request.endpoint == "followup.conversation":
        return followup.show(FollowupForm(), 429, problem="busy")
    return render_template("error.html", code=code, title=error_title(code)), code


def error_title(code: int) -> str:
    titles = {
        400: _("Something in the request was wrong"),
        404: _("We could not find that page"),
        405: _("That is not possible here"),
        413: _("What you sent is too large"),
        429: _("Too many tips right now"),
        500: _("Something went wrong on our side"),
        503: _("The tip form is closed for a moment"),
    }
    return str(titles.get(code, _("Something went wrong")))


def init_app(app: Flask) -> None:
    """Register the pages and error handlers on ``app``."""
    app.register_blueprint(site)
    app.register_blueprint(followup.followup)
    app.add_url_rule("/", "choose_language", choose_language)
    app.register_error_handler(HTTPException, error_page)
    app.context_processor(language_names)
    app.register_error_handler(Exception, internal_error)


def language_names() -> dict[str, Any]:
    """Every language with its own name, for the switch: adding one needs no template edit."""
    return {"languages": LANGUAGE_NAMES}


def internal_error(exc: Exception) -> Any:
    """An unexpected error: log its type only (never the request), show a calm page."""
    log.error("unexpected %s while serving a request", type(exc).__name__)
    return error_page(InternalServerError())
