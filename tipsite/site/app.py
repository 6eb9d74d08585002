"""The Flask application factory: configuration, start-up checks, extensions."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from werkzeug.middleware.proxy_fix import ProxyFix

from tipsite.core import receipt
from tipsite.core.errors import ConfigError, InboxError, KeyFileError
from tipsite.core.inbox import Inbox
from tipsite.core.keys import fingerprint, load_public_key
from tipsite.site import headers, limits, replay, staff_api, web
from tipsite.site.config import (
    CONFIG_KEY,
    LANGUAGES,
    ROOT,
    SiteConfig,
    instance_secret_key,
    load_config,
)
from tipsite.site.replies import ReplyBox

MAX_BODY = 128 * 1024  # the largest honest form (5,000 emoji and friends) is well below


class CsrfOnlySession(SecureCookieSessionInterface):
    """Flask's signed session cookie, used for the CSRF token and nothing else."""

    def get_cookie_secure(self, app: Flask) -> bool:
        # Secure whenever the request came over HTTPS (directly or via a trusted proxy).
        return request.is_secure


def check_startup(config: SiteConfig) -> str:
    """Refuse to start unless the key is a public key and the inbox is writable.

    Returns the public key's fingerprint for the log line that confirms start-up.
    """
    try:
        public_key = load_public_key(config.public_key)
    except KeyFileError as exc:
        hint = ""
        if not config.public_key.exists():
            hint = (
                f" Make a key pair on the hotline staff's machine with "
                f"'hotline keygen --out DIR' and copy DIR/centre.pub to {config.public_key}"
                " (or set TIPSITE_PUBLIC_KEY)."
            )
        raise ConfigError(f"{exc}.{hint}") from None
    try:
        Inbox(config.inbox).prepare()
    except InboxError as exc:
        raise ConfigError(f"{exc}. Set TIPSITE_INBOX to a folder the site may write.") from None
    try:
        box = ReplyBox(config.replies)
        box.prepare()
        box.expire(config.reply_days)
    except InboxError as exc:
        raise ConfigError(f"{exc}. Set TIPSITE_REPLIES to a folder the site may write.") from None
    return fingerprint(public_key)


def create_app(config: SiteConfig | None = None, **overrides: Any) -> Flask:
    """Build the site. ``config`` defaults to the environment; ``overrides`` go to app.config."""
    config = config or load_config()
    key_fingerprint = check_startup(config)
    app = Flask(
        "tipsite",
        root_path=str(ROOT / "tipsite"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(config.instance),
    )
    app.config.update(
        SECRET_KEY=config.secret_key or instance_secret_key(config.instance),
        **{CONFIG_KEY: config},
        KEY_FINGERPRINT=key_fingerprint,
        # One salt per site (every node the same): see receipt.instance_salt.
        RECEIPT_SALT=(receipt.parse_salt(config.receipt_salt) if config.receipt_salt
                      else receipt.instance_salt(config.instance)),
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        MAX_FORM_PARTS=web.MAX_FORM_PARTS,
        SESSION_COOKIE_NAME="csrf",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Tokens never expire by time: a slow tipster must not lose their text.
        # A token is dropped after each accepted tip instead (web.submit).
        WTF_CSRF_TIME_LIMIT=None,
        # The Referer check breaks with Referrer-Policy: no-referrer and with Tor
        # Browser; the SameSite=Strict cookie plus the token already stop
        # cross-site posts.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=LANGUAGES[0],
    )
    app.config.update(overrides)
    app.session_interface = CsrfOnlySession()
    Babel(app, locale_selector=lambda: g.get("lang", LANGUAGES[0]))
    if config.proxies:
        # Trust X-Forwarded-For/-Proto only from the configured number of proxies;
        # without this a client could choose its own rate-limit key.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.proxies, x_proto=config.proxies
        )
    headers.init_app(app)
    # The token note comes first, so no other hook can refuse a request before it.
    replay.init_app(app)
    limits.init_app(app)
    web.init_app(app)
    staff_api.init_app(app)
    return app
