"""One form token, one tip: a replayed post is refused, even with a copied cookie.

The session cookie is signed, not stored on the server, so dropping the token from
it only stops a well-behaved browser. Here the server remembers, for a while, a
hash of every token that has sent something, in the same kind of storage as the
rate limits (memory, or Redis shared by every node). A second use gets a clear page.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask, current_app
from limits.storage import Storage, storage_from_string

log = logging.getLogger(__name__)
REMEMBER_SECONDS = 30 * 24 * 3600  # far longer than anyone keeps a form open
_PREFIX = "tipsite-used-token:"
_EXTENSION = "tipsite-replay"


def first_use(token: str | None) -> bool:
    """Record that ``token`` was used; True only the first time."""
    if not token:
        return False
    # A hash, not the token: the storage holds nothing that could sign a form.
    key = _PREFIX + hashlib.sha256(token.encode()).hexdigest()[:32]
    storage: Storage = current_app.extensions[_EXTENSION]
    try:
        return storage.incr(key, REMEMBER_SECONDS) == 1
    except Exception as exc:  # storage down: a duplicate tip beats a lost one
        log.warning("cannot check tokens for replay (%s); accepting", type(exc).__name__)
        return True


def init_app(app: Flask) -> None:
    """Give ``app`` its used-token memory, in the rate limits' storage."""
    app.extensions[_EXTENSION] = storage_from_string(app.config["TIPSITE"].ratelimit_storage)
