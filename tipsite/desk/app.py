"""The staff desk's Flask application: login, sessions, and the safety of every page."""

from __future__ import annotations

import secrets

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from tipsite.desk import views
from tipsite.desk.config import DeskConfig
from tipsite.desk.state import Desk
from tipsite.desk.words import init_words

# No script at all, nothing from elsewhere, no framing: a tip's text can only be text.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def create_desk(config: DeskConfig) -> Flask:
    """Build the desk for the store and listening address in ``config``."""
    app = Flask("tipsite.desk", static_folder=None)  # the blueprint serves desk.css
    app.config.update(
        # A fresh key per start: sessions live in this process's memory and die with it.
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME="desk",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.tls,
        # Only the name the desk was started on: a page on another site that points
        # its own name at 127.0.0.1 (DNS rebinding) gets 400 Bad Request.
        TRUSTED_HOSTS=trusted_hosts(config),
        MAX_CONTENT_LENGTH=256 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, idle lock aside
    )
    app.extensions["desk"] = Desk(config)
    CSRFProtect(app)
    init_words(app)
    app.context_processor(lambda: {"idle_minutes": config.idle_minutes,
                                   "config_months": config.retention_months,
                                   "pull_alarm": pull_alarm(app)})
    app.register_blueprint(views.blueprint)
    app.after_request(add_headers)
    return app


def trusted_hosts(config: DeskConfig) -> list[str]:
    """The Host names a request may carry: the bound one (and ``localhost`` on loopback)."""
    hosts = [config.host]
    if config.loopback:
        hosts += ["localhost", "127.0.0.1", "::1"]
    return sorted(set(hosts))


def add_headers(response: Response) -> Response:
    """Safety headers on every response: no script, no cache of tip text, no referrer."""
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    if not request.path.startswith("/static/"):
        h["Cache-Control"] = "no-store"  # pages hold opened tips: never on disk in a cache
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=31536000"  # never back to plain http
    return response


def pull_alarm(app: Flask) -> str:
    """The STOP of the last pull (a swapped key), shown on every page until a pull succeeds."""
    last = app.extensions["desk"].puller.last
    return str(last.alarm) if last is not None and last.alarm else ""
