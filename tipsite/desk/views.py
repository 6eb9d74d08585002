"""The desk's pages: log in, the inbox, a conversation, log out."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tipsite.core.errors import ReplyError, WrongPassphrase
from tipsite.core.vocabulary import SETTINGS
from tipsite.desk import actions
from tipsite.desk.sessions import DeskSession
from tipsite.desk.state import running
from tipsite.hotline import exports, related, trail, triage
from tipsite.hotline.accounts import AccountError
from tipsite.hotline.assignments import assign as set_assignee
from tipsite.hotline.assignments import assignments
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.problem import Problem
from tipsite.hotline.store import STATUSES

blueprint = Blueprint("desk", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")
OPEN_PAGES = {"desk.login", "desk.static"}
PAGE_SIZE = 50  # conversations per inbox page: a page stays quick whatever the store holds


class LoginForm(FlaskForm):  # type: ignore[misc]
    """The login form (field names ``username`` and ``passphrase`` are a contract)."""

    username = StringField("Name", validators=[DataRequired(), Length(max=40)])
    passphrase = PasswordField("Passphrase", validators=[DataRequired(), Length(max=1024)])


class LogoutForm(FlaskForm):  # type: ignore[misc]
    """A button that logs out (a form, so a link on another page cannot log anyone out)."""


class ButtonForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (mark handled): only its CSRF token."""


class NoteForm(FlaskForm):  # type: ignore[misc]
    """A staff note (field ``note``)."""

    note = TextAreaField("Note", validators=[DataRequired(), Length(max=20_000)])


class ReplyForm(FlaskForm):  # type: ignore[misc]
    """A reply to the tipster (field ``message``)."""

    # No length rule here: the sealed size decides (outbox.write_reply), with its own message.
    message = TextAreaField("Reply", validators=[DataRequired()])


class AssignForm(FlaskForm):  # type: ignore[misc]
    """Who looks after a conversation (field ``assignee``; empty for nobody)."""

    assignee = SelectField("Assigned to", choices=[], validate_choice=False)


@blueprint.before_app_request
def require_login() -> BaseResponse | None:
    """Every page but the login form needs a live session; an idle one is locked."""
    if request.routing_exception is not None:
        return None  # a foreign Host or an unknown path: Flask answers 400 or 404 itself
    running().puller.start()  # once per process; after gunicorn's fork
    sid = session.get("sid")
    g.desk_session = running().sessions.get(sid)
    if g.desk_session is not None and not running().accounts.exists(g.desk_session.name):
        # Removed (by an admin, or with hotline user remove): out at once, keys and all.
        running().sessions.end_account(g.desk_session.name)
        g.desk_session = None
    g.logout_form = LogoutForm()
    if g.desk_session is None:
        running().forget_if_nobody()
    if g.desk_session is None and request.endpoint not in OPEN_PAGES:
        locked = sid is not None
        if locked:
            session.pop("sid")  # the CSRF token stays: the login form in another tab still works
        return redirect(url_for("desk.login", locked=1) if locked else url_for("desk.login"))
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | BaseResponse | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form, locked=request.args.get("locked")), status
    name = form.username.data or ""
    keys = (f"account:{name.strip().casefold()}", f"client:{request.remote_addr}")
    wait = running().throttle.wait(*keys)
    if wait > 0:
        return render_template("login.html", form=form, wait=int(wait) + 1), 429
    try:
        opened = running().accounts.login(name, form.passphrase.data or "")
    except (WrongPassphrase, AccountError):
        running().throttle.failed(*keys)
        trail.record(running().config.store, name.strip()[:40] or "?", "login-failed")
        return render_template("login.html", form=form, wrong=True), 401
    running().throttle.succeeded(keys[0])
    session.clear()  # a new session id after login: a planted cookie is worth nothing
    session["sid"] = running().sessions.start(opened)
    trail.record(running().config.store, opened.account.name, "login")
    return redirect(url_for("desk.inbox"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    current: DeskSession = g.desk_session
    running().sessions.end(session.get("sid"))
    session.clear()
    running().forget_if_nobody()
    trail.record(running().config.store, current.name, "logout")
    return redirect(url_for("desk.login", out=1))


@blueprint.route("/")
def inbox() -> str:
    current: DeskSession = g.desk_session
    opened = running().library.opened(current.login.centre_keys)
    query = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    setting = request.args.get("setting", "")
    assignee = request.args.get("assignee", "")
    assigned = assignments(running().config.store)
    found = opened.index.matches(query) if query.strip() else None
    matching = opened.conversations
    if found is not None or status or setting or assignee:  # else no pass over them all
        matching = [c for c in matching if (found is None or c.id in found)
                    and (not status or c.status == status)
                    and (not setting or getattr(c.root, "fields", {}).get("setting") == setting)
                    and (not assignee or assigned.get(c.id, "") == assignee)]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    shown = matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return render_template("inbox.html", conversations=shown, total=len(opened.conversations),
                           matching=len(matching), page=page,
                           pages=max(1, -(-len(matching) // PAGE_SIZE)),
                           assigned=assigned, assignee=assignee,
                           people=[a.name for a in running().accounts.list()],
                           unreadable=opened.unreadable, query=query, status=status,
                           setting=setting, statuses=STATUSES, settings=SETTINGS,
                           pull_form=ButtonForm(), last_pull=running().puller.last,
                           site_known=running().store.site() is not None)


@blueprint.route("/pull", methods=["POST"])
def pull() -> BaseResponse:
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    running().puller.pull(g.desk_session.name)
    return redirect(url_for("desk.inbox", pulled=1))


@blueprint.route("/c/<tip_id>")
def conversation(tip_id: str) -> tuple[str, int]:
    current: DeskSession = g.desk_session
    found = _conversation(tip_id)
    trail.record(running().config.store, current.name, "open", tip_id)
    if found.status == "new":
        actions.mark_read(running().store, found)
        found = _conversation(tip_id)  # as it is now: read (a parse, no decryption)
    return _conversation_page(found)


def _conversation(tip_id: str) -> Conversation:
    current: DeskSession = g.desk_session
    found = running().library.opened(current.login.centre_keys).find(tip_id)
    if found is None:
        abort(404)
    return found


def _conversation_page(found: Conversation, status: int = 200, **forms: object
                       ) -> tuple[str, int]:
    current: DeskSession = g.desk_session
    opened = running().library.opened(current.login.centre_keys)
    links = opened.links.get(found.id, [])
    assign_form = cast(AssignForm, forms.get("assign_form") or AssignForm())
    assign_form.assignee.choices = [("", "–")] + [
        (a.name, a.name) for a in running().accounts.list()]
    assign_form.assignee.data = assignments(running().config.store).get(found.id, "")
    page = render_template(
        "conversation.html", conversation=found, links=links,
        marks=sorted(related.written_forms(links), key=len, reverse=True),
        others={lk.other: opened.find(lk.other) for lk in links},
        note_form=forms.get("note_form") or NoteForm(),
        reply_form=forms.get("reply_form") or ReplyForm(),
        assign_form=assign_form, handled_form=ButtonForm(),
        problem=forms.get("problem"), done=request.args.get("done", ""))
    return page, status


def _back(found: Conversation, done: str) -> BaseResponse:
    return redirect(url_for("desk.conversation", tip_id=found.id, done=done))


MIMETYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}


def _download(conversations: list[Conversation], fmt: str, stem: str) -> Response:
    if fmt not in exports.FORMATS:
        abort(404)
    lang = str(get_locale() or "da")
    data = exports.render(conversations, fmt, lang)
    trail.record(running().config.store, g.desk_session.name, "export",
                 stem if len(conversations) == 1 else "", f"{fmt}, {len(conversations)}")
    response = Response(data, mimetype=MIMETYPES[fmt])
    # A download, never a page: an HTML export is opened from the disk, not in the desk.
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@blueprint.route("/export/<fmt>")
def export_all(fmt: str) -> Response:
    """Every conversation the person's keys open, as a JSON, CSV or HTML file."""
    current: DeskSession = g.desk_session
    opened = running().library.opened(current.login.centre_keys)
    return _download(list(opened.conversations), fmt, "tips")


@blueprint.route("/c/<tip_id>/export/<fmt>")
def export_one(tip_id: str, fmt: str) -> Response:
    """One conversation as a file."""
    return _download([_conversation(tip_id)], fmt, f"tip-{tip_id[:8]}")


@blueprint.route("/c/<tip_id>/print")
def print_view(tip_id: str) -> str:
    """The conversation alone, for paper or a PDF: no navigation, no forms."""
    found = _conversation(tip_id)
    trail.record(running().config.store, g.desk_session.name, "print", tip_id)
    return render_template("print.html", conversation=found, marks=[])


@blueprint.route("/audit")
def audit() -> str:
    """The audit trail, newest first (admins only)."""
    current: DeskSession = g.desk_session
    if not current.login.account.admin:
        abort(403)
    return render_template("audit.html", lines=trail.lines(running().config.store, 1000))


class PurgeForm(FlaskForm):  # type: ignore[misc]
    """The confirmed purge: the box ``confirm`` must be ticked."""

    confirm = BooleanField("I have checked the list", validators=[DataRequired()])


def _past_retention() -> tuple[str, list[Conversation]]:
    current: DeskSession = g.desk_session
    cutoff = actions.retention_cutoff(running().config.retention_months)
    opened = running().library.opened(current.login.centre_keys)
    plan = triage.plan_purge(running().store, opened.conversations, opened.unreadable, cutoff)
    doomed = set(plan.doomed)
    return cutoff, [c for c in opened.conversations if c.id in doomed]


@blueprint.route("/retention", methods=["GET", "POST"])
def retention() -> str | BaseResponse | tuple[str, int]:
    """Handled conversations past the retention period, and their confirmed purge (admins)."""
    current: DeskSession = g.desk_session
    if not current.login.account.admin:
        abort(403)
    form = PurgeForm()
    cutoff, due = _past_retention()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("retention.html", form=form, cutoff=cutoff, due=due,
                                   unconfirmed=True), 400
        opened = running().library.opened(current.login.centre_keys)
        plan = actions.purge(running().store, opened.conversations, opened.unreadable, cutoff,
                             current.name)
        return redirect(url_for("desk.retention", purged=len(plan.doomed)))
    return render_template("retention.html", form=form, cutoff=cutoff, due=due,
                           purged=request.args.get("purged", type=int))


@blueprint.route("/c/<tip_id>/handled", methods=["POST"])
def handled(tip_id: str) -> BaseResponse:
    found = _conversation(tip_id)
    actions.mark_handled(running().store, found, g.desk_session.name)
    return _back(found, "handled")


@blueprint.route("/c/<tip_id>/note", methods=["POST"])
def note(tip_id: str) -> BaseResponse | tuple[str, int]:
    found = _conversation(tip_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _conversation_page(found, 400, note_form=form, problem="note")
    current: DeskSession = g.desk_session
    actions.add_note(running().store, found, form.note.data or "", current.login.centre_keys,
                     current.name)
    return _back(found, "note")


@blueprint.route("/c/<tip_id>/reply", methods=["POST"])
def reply(tip_id: str) -> BaseResponse | tuple[str, int]:
    found = _conversation(tip_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _conversation_page(found, 400, reply_form=form, problem="reply")
    current: DeskSession = g.desk_session
    try:
        actions.keep_reply(running().store, found, form.message.data or "",
                           current.login.centre_keys, current.name)
    except (Problem, ReplyError):
        # No receipt code, a suspicious tip, or too long: the text stays in the box.
        return _conversation_page(found, 400, reply_form=form, problem="reply-refused")
    return _back(found, "reply-" + actions.send_waiting(running().store))


@blueprint.route("/c/<tip_id>/assign", methods=["POST"])
def assign(tip_id: str) -> BaseResponse | tuple[str, int]:
    found = _conversation(tip_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return _conversation_page(found, 400, assign_form=form, problem="assign")
    try:
        set_assignee(running().config.store, found.id, form.assignee.data or "",
                     g.desk_session.name)
    except AccountError:
        return _conversation_page(found, 400, assign_form=form, problem="assign")
    return _back(found, "assigned")
