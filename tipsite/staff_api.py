"""The staff API: how ``hotline pull`` takes sealed envelopes off the server.

Off unless ``TIPSITE_STAFF_TOKEN_SHA256`` is set. The server keeps only the
SHA-256 of the staff token, so someone who reads its files or environment still
cannot call the API. Routes, all under ``/staff/v1``:

=======  =====================  =====================================================
GET      ``/key``               ``{"fingerprint": "3F2A …", "key_id": "…"}`` (no token)
GET      ``/envelopes``         ``{"envelopes": [name, …]}`` waiting in the inbox
GET      ``/envelopes/NAME``    the envelope's bytes (``application/octet-stream``)
DELETE   ``/envelopes/NAME``    204 once it is durably gone, 404 if it was not there
=======  =====================  =====================================================

Every route but ``/key`` needs ``Authorization: Bearer TOKEN``. A missing or wrong
token gets a bare 401 that does not say why; each client may fail 10 times a
minute, then gets 429. Nothing here logs an address, a token or an envelope name.
(Issue 7 adds ``POST /staff/v1/replies`` for sealed replies beside these routes.)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from tipsite.config import Settings
from tipsite.errors import InboxError, KeyFileError
from tipsite.inbox import Inbox, is_envelope_name
from tipsite.keys import fingerprint, load_public_key
from tipsite.limits import client_key, limiter

API_PREFIX = "/staff/v1"
FAILED_AUTH_LIMIT = "10 per minute"  # per client; a 128-bit token cannot be guessed anyway

staff = Blueprint("staff_api", __name__, url_prefix=API_PREFIX)


def _settings() -> Settings:
    settings: Settings = current_app.config["TIPSITE"]
    return settings


def token_matches(header: str, expected_sha256: str) -> bool:
    """True if ``header`` is ``Bearer TOKEN`` and TOKEN hashes to ``expected_sha256``."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    digest = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, expected_sha256)  # constant time: leaks nothing


def _unauthorised() -> Response:
    # The same bare answer for a missing, malformed or wrong token.
    response = jsonify(error="unauthorised")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def requires_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` only for a request with the staff token; failures count against a limit."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if not token_matches(header, _settings().staff_token_sha256):
            return _unauthorised()
        return view(*args, **kwargs)

    # One counter of failures across all staff routes (shared_limit), per client.
    limited: Callable[..., Any] = limiter.shared_limit(
        FAILED_AUTH_LIMIT,
        scope="staff-auth",
        key_func=client_key,  # a keyed hash of the address, never the address itself
        deduct_when=lambda response: response.status_code == 401,
    )(guarded)
    return limited


def _inbox() -> Inbox:
    return Inbox(_settings().inbox)


def _not_found() -> Response:
    response = jsonify(error="not found")
    response.status_code = 404
    return response


@staff.after_request
def no_store(response: Response) -> Response:
    """Envelopes and lists must not linger in any cache between site and staff."""
    response.headers["Cache-Control"] = "no-store"
    return response


@staff.get("/key")
def key() -> Response:
    """The fingerprint of the key tips are sealed to, for ``hotline pull`` to compare.

    Read from the key file now, as each tip submission does: a key swapped while
    the site runs shows here at once.
    """
    try:
        return jsonify(fingerprint=fingerprint(load_public_key(_settings().public_key)))
    except KeyFileError:
        response = jsonify(error="the site's key cannot be read")
        response.status_code = 503
        return response


@staff.get("/envelopes")
@requires_token
def envelopes() -> Response:
    """Names of the envelopes waiting in the inbox."""
    try:
        names = _inbox().names()
    except InboxError:
        names = []
    return jsonify(envelopes=names)


@staff.get("/envelopes/<name>")
@requires_token
def fetch(name: str) -> Response:
    """The bytes of one envelope, still sealed."""
    if not is_envelope_name(name):  # the name becomes a path: accept only inbox names
        return _not_found()
    try:
        data = _inbox().read(name)
    except (OSError, InboxError):
        return _not_found()
    return Response(data, mimetype="application/octet-stream")


@staff.delete("/envelopes/<name>")
@requires_token
def delete(name: str) -> Response:
    """Delete one envelope, durably, after the staff stored it."""
    if not is_envelope_name(name) or not _inbox().remove(name):
        return _not_found()
    return Response(status=204)


def init_app(app: Flask) -> None:
    """Register the staff API on ``app`` if a token hash is configured (else: no API)."""
    if app.config["TIPSITE"].staff_token_sha256:
        app.register_blueprint(staff)
