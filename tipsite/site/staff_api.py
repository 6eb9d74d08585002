"""The staff API: how ``hotline pull`` takes sealed envelopes off the server.

Off unless ``TIPSITE_STAFF_TOKEN_SHA256`` is set. The server keeps only the
SHA-256 of the staff token, so someone who reads its files or environment still
cannot call the API. Routes, all under ``/staff/v1``:

=======  =============================  ==============================================
GET      ``/key``                       ``{"fingerprint": "3F2A …"}`` (no token)
GET      ``/envelopes``                 ``{"envelopes": [name, …]}`` waiting in the inbox
GET      ``/envelopes/NAME``            the envelope's bytes (``application/octet-stream``)
DELETE   ``/envelopes/NAME``            204 once it is durably gone, 404 if it was not there
PUT      ``/replies/LOOKUP/NAME``       a reply envelope for the tipster whose receipt
                                        code gives LOOKUP: 201 stored durably, 200 a reply
                                        of that NAME was already there (a retry), 400 a
                                        malformed LOOKUP, NAME or envelope, 413 over 64 KiB
=======  =============================  ==============================================

Every route but ``/key`` needs ``Authorization: Bearer TOKEN``. A missing or wrong
token gets a bare 401 that does not say why; each client may fail 10 times a
minute, then its failures get a JSON 429 with ``Retry-After``; the right token is
never refused. Every answer under ``/staff/v1``, errors included, is JSON.
Nothing here logs an address, a token, an envelope name, a lookup id or a reply.

Replies use PUT with a NAME the staff tool chose and stored before uploading: PUT
is idempotent by definition, so a reply whose answer was lost is simply sent again
and stored once (a POST would need the server to remember request ids).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask_limiter import RequestLimit
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tipsite.core.envelope import envelope_key_id
from tipsite.core.errors import EnvelopeError, InboxError, KeyFileError
from tipsite.core.inbox import Inbox, is_envelope_name
from tipsite.core.keys import fingerprint, load_public_key
from tipsite.core.protocol import (
    API_PREFIX,
    ENVELOPES_PATH,
    KEY_PATH,
    MAX_REPLY_BYTES,
    envelope_path,
    reply_path,
)
from tipsite.core.receipt import is_lookup
from tipsite.site import limits
from tipsite.site.config import CONFIG_KEY, site_config
from tipsite.site.replies import ReplyBox

staff = Blueprint("staff_api", __name__, url_prefix=API_PREFIX)


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
    """Run ``view`` for a request with the staff token; count and throttle only failures.

    A valid token is never refused: someone sharing the staff's address (NAT, a Tor
    exit) can spend that address's failure budget but cannot stop a pull.
    """

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _authorised():
            return view(*args, **kwargs)
        return _unauthorised()

    # Per client, a keyed hash of the address; only 401s are counted.
    return limits.count_failure("staff-auth", _authorised, _too_many)(guarded)


def _authorised() -> bool:
    return token_matches(request.headers.get("Authorization", ""), site_config().staff_token_sha256)


def _too_many(limit: RequestLimit) -> Response:
    response = _answer(429, "too many failed attempts")
    response.headers["Retry-After"] = str(limits.seconds_until(limit))
    return response


def _inbox() -> Inbox:
    return Inbox(site_config().inbox)


def _answer(status: int, error: str) -> Response:
    response = jsonify(error=error)
    response.status_code = status
    return response


def _not_found() -> Response:
    return _answer(404, "not found")


@staff.after_request
def no_store(response: Response) -> Response:
    """Envelopes and lists must not linger in any cache between site and staff."""
    response.headers["Cache-Control"] = "no-store"
    return response


@staff.get(KEY_PATH)
def key() -> Response:
    """The fingerprint of the key tips are sealed to, for ``hotline pull`` to compare.

    Read from the key file now, as each tip submission does: a key swapped while
    the site runs shows here at once.
    """
    try:
        return jsonify(fingerprint=fingerprint(load_public_key(site_config().public_key)))
    except KeyFileError:
        response = jsonify(error="the site's key cannot be read")
        response.status_code = 503
        return response


@staff.get(ENVELOPES_PATH)
@requires_token
def envelopes() -> Response:
    """Names of the envelopes waiting in the inbox."""
    try:
        names = _inbox().names()
    except InboxError:
        names = []
    return jsonify(envelopes=names)


@staff.get(envelope_path("<name>"))
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


@staff.delete(envelope_path("<name>"))
@requires_token
def delete(name: str) -> Response:
    """Delete one envelope, durably, after the staff stored it."""
    if not is_envelope_name(name) or not _inbox().remove(name):
        return _not_found()
    return Response(status=204)


def _reply_body() -> bytes | None:
    """The request body if it is at most MAX_REPLY_BYTES, else None (read no further)."""
    if request.content_length is not None and request.content_length > MAX_REPLY_BYTES:
        return None  # refused before reading: a large body costs us nothing
    data = request.stream.read(MAX_REPLY_BYTES + 1)
    return data if len(data) <= MAX_REPLY_BYTES else None


@staff.put(reply_path("<lookup>", "<name>"))
@requires_token
def put_reply(lookup: str, name: str) -> Response:
    """Store a reply for the tipster whose code gives ``lookup``; a retried NAME stores once."""
    # Both become path parts: only the exact forms pass, nothing else reaches the disk.
    if not is_lookup(lookup) or not is_envelope_name(name):
        return _answer(400, "malformed lookup id or name")
    data = _reply_body()
    if data is None:
        return _answer(413, "too large")
    try:
        envelope_key_id(data)  # sealed to the tipster's key: all we can check is the form
    except EnvelopeError:
        return _answer(400, "not an envelope")
    try:
        created = ReplyBox(site_config().replies).store(lookup, name, data)
    except InboxError:
        return _answer(503, "the reply could not be stored")  # nothing identifying logged
    return Response(status=201 if created else 200)


def enabled() -> bool:
    """True if this site serves the staff API."""
    return bool(site_config().staff_token_sha256)


def json_error(exc: HTTPException) -> Response:
    """Any HTTP error under the API's prefix, as JSON (with Retry-After on a 429)."""
    code = exc.code or 500
    response = _answer(code, exc.name.lower() if code != 500 else "internal error")
    if code == 429:
        retry_after = getattr(exc, "retry_after", None)
        response.headers["Retry-After"] = str(retry_after if isinstance(retry_after, int) else 60)
    if code == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the staff API on ``app`` if a token hash is configured (else: no API)."""
    if app.config[CONFIG_KEY].staff_token_sha256:
        app.register_blueprint(staff)
