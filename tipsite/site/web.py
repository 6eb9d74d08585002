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
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from tipsite.core import payload
from tipsite.core.errors import KeyFileError
from tipsite.core.keys import fingerprint, load_public_key
from tipsite.core.protocol import API_PREFIX
from tipsite.core.receipt import derive, grouped, new_code, normalise
from tipsite.core.sanitise import clean_text
from tipsite.core.vocabulary import INDICATOR_GROUPS, RELATIONS, SETTINGS
from tipsite.site import delivery, followup, limits, replay, staff_api
from tipsite.site.config import LANGUAGES, site_config
from tipsite.site.forms import FollowupForm, TipForm
from tipsite.site.lang import language_blueprint

log = logging.getLogger(__name__)
MAX_FORM_PARTS = 100
LANGUAGE_NAMES = [
    (code, (Locale.parse(code).get_display_name(code) or code).capitalize()) for code in LANGUAGES
]
site = language_blueprint("site", __name__)


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
@limits.limit_submissions  # per client, checked before the body is read
def submit() -> Any:
    """Receive a tip: validate, clean, seal, store durably, then thank (POST/303)."""
    if too_many_parts():
        abort(413)  # no honest form has this many values (24 signs is the most)
    unreadable = undecodable_fields()  # reads the raw body before the form parser does
    form = TipForm()
    valid = form.validate_on_submit()
    for name in unreadable & set(payload.TEXT_FIELDS):
        getattr(form, name).errors.append(_("This text contains characters we could not read."))
        valid = False
    if not valid:
        return show_form(form, 400)
    # Only a tip that would be stored meets the global limit; it is tested before the
    # token is spent, so a tipster refused here can press Send again.
    limits.check_everyone()
    verdict = replay.use()
    if verdict is not replay.Verdict.FIRST:
        return refuse_token(form, verdict)
    if form.is_bot():
        # Bots get the same thank-you as people, so they learn nothing; nothing is stored.
        return redirect(url_for("site.thanks"), 303)
    limits.count_stored()
    public_key = delivery.centre_key("tips")  # before the costly derivation below
    if public_key is None:
        replay.release()
        return show_form(form, 503, problem=delivery.CLOSED)
    code = new_code()
    try:
        with limits.derivation_slot():  # Argon2id: bounded by concurrency, not by count
            # The lookup id and reply key travel only inside the seal.
            receipt = derive(code, current_app.config["RECEIPT_SALT"])
    except limits.SiteBusy:
        replay.release()  # not stored: the same form may be sent again
        raise
    document = payload.tip_document(tip_fields(form), g.lang, payload.utc_now(),
                                    reply_to=receipt.reply_to())
    problem = delivery.seal_and_deliver(document, payload.KIND_TIP, public_key)
    if problem:
        replay.release()
        return show_form(form, 503, problem=problem)
    # One token, one tip: a replayed form post must not send the tip twice.
    session.pop("csrf_token", None)
    # The code rides in the session cookie for one redirect only: the thank-you
    # page takes it out again, and the server never stores it.
    session["receipt"] = code
    return redirect(url_for("site.thanks"), 303)


def refuse_token(form: Any, verdict: replay.Verdict) -> Any:
    """A used or stale form token: the form again with its text (a stale one: a new token).

    A used token stays refused however often it comes back; a stale one (too old,
    or from before the memory of used tokens was lost) cannot be checked, so the
    tipster gets a fresh token and sends again.
    """
    form.csrf_token.errors.append(_("This form was already sent."))
    if verdict is replay.Verdict.STALE:
        replay.renew(form)  # too old or from a lost memory: a new token, the same text
    return show_form(form, 400)


def too_many_parts() -> bool:
    """True if a url-encoded body holds more fields than any honest form (counted, not parsed)."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return False  # multipart: Werkzeug stops at MAX_FORM_PARTS while parsing
    return request.get_data(cache=True).count(b"&") >= MAX_FORM_PARTS


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
    code = session.pop("receipt", None)
    # The switch form (and its cookie) only when there is a code to carry.
    return render_template("thanks.html", receipt_code=code, form=FollowupForm() if code else None)


@site.post("/thanks")
def thanks_again() -> Any:
    """The thank-you page in another language, with the code its switch posted.

    The code comes in the body, never the URL (history), and is shown as typed
    digits only; nothing is looked up or stored.
    """
    form = FollowupForm()
    if not form.validate_on_submit():
        return render_template("thanks.html", receipt_code=None, form=form), 400
    code = grouped(normalise(form.code.data) or "")
    return render_template("thanks.html", receipt_code=code, form=form)


@site.get("/privacy")
def privacy() -> str:
    """What we store and what we never store."""
    return render_template("privacy.html")


@site.get("/signs")
def signs() -> str:
    """The signs to look for, grouped, with the one-sign-proves-nothing rule."""
    return render_template("signs.html", groups=INDICATOR_GROUPS)


@site.get("/key")
def key() -> Any:
    """The fingerprint of the key tips are sealed to, for staff to check."""
    try:
        # Read per request, as each tip reads it: after a key swap the page must show
        # the key tips are sealed to now, not the one the site started with.
        shown = fingerprint(load_public_key(site_config().public_key))
    except KeyFileError:
        return render_template("key.html", fingerprint=None), 503
    return render_template("key.html", fingerprint=shown)


def favicon() -> Response:
    """``/favicon.ico``: nothing, answered at once (browsers ask; a redirect to a 404 is noise)."""
    return Response(status=204, headers={"Cache-Control": "public, max-age=604800"})


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
    if request.path.startswith(API_PREFIX + "/") and staff_api.enabled():
        return staff_api.json_error(exc)  # the staff tool reads JSON, whatever went wrong
    if "lang" not in g:
        first = request.path.strip("/").split("/", 1)[0]
        g.lang = first if first in LANGUAGES else LANGUAGES[0]
    code = exc.code or 500
    if code == 429:
        return busy_page(exc)
    return render_template("error.html", code=code, title=error_title(code)), code


def busy_page(exc: HTTPException) -> Response:
    """A 429 with Retry-After; the tipster's text comes back when that is cheap and bounded.

    A global refusal (:class:`limits.SiteBusy`) comes after the form was parsed:
    its text is shown. A client over its own limit was refused before its body was
    read; its text is read and shown only if the body has the shape of an honest
    form and the client still has some of its small echo budget, so a flood of
    over-limit posts never makes the server parse and render big pages.
    """
    echo = isinstance(exc, limits.SiteBusy) or (
        isinstance(exc, limits.ClientOverLimit) and honest_body() and limits.may_echo()
    )
    if echo and request.endpoint == "site.submit":
        response = make_response(show_form(TipForm(), 429, problem="busy"))
    elif echo and request.endpoint == "followup.conversation":
        response = make_response(followup.show(FollowupForm(), 429, problem="busy"))
    else:
        response = make_response(
            render_template("error.html", code=429, title=error_title(429)), 429
        )
    retry_after = getattr(exc, "retry_after", None)
    response.headers["Retry-After"] = str(retry_after if isinstance(retry_after, int) else 60)
    return response


def honest_body() -> bool:
    """True if the body could be our form: url-encoded, small, few fields."""
    length = request.content_length
    return (
        request.mimetype == "application/x-www-form-urlencoded"
        and length is not None
        and length <= current_app.config["MAX_CONTENT_LENGTH"]
        and not too_many_parts()
    )


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
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.register_error_handler(HTTPException, error_page)
    app.context_processor(language_names)
    app.context_processor(centre)
    app.jinja_env.globals["site_config"] = site_config  # templates read it as code does
    app.register_error_handler(Exception, internal_error)


def language_names() -> dict[str, Any]:
    """Every language with its own name, for the switch: adding one needs no template edit."""
    return {"languages": LANGUAGE_NAMES}


def centre() -> dict[str, Any]:
    """Who answers the tips (TIPSITE_CENTRE_*), for every page: templates never spell it out."""
    config = site_config()
    return {"centre": {"name": config.centre_name, "phone": config.phone_shown,
                       "tel": config.phone_link, "email": config.centre_email}}


def internal_error(exc: Exception) -> Any:
    """An unexpected error: log its type only (never the request), show a calm page."""
    log.error("unexpected %s while serving a request", type(exc).__name__)
    return error_page(InternalServerError())
