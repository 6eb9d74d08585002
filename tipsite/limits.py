"""Rate limits that never see a client's address in the clear.

The per-client key is a keyed hash (HMAC-SHA256) of the address. With the default
in-memory storage the key is random, held only in this process's memory and
replaced every day, so nothing on disk or in memory links a counter to an address
after the rotation. With a shared store (Redis, several web nodes) every node must
compute the same key, so it is derived from the site's secret key and the day;
counters in Redis expire with their window (see SECURITY.md for what that leaves).
A global limit guards against floods where every client looks the same (Tor).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits.errors import ConfigurationError

from tipsite.errors import ConfigError

ROTATION_SECONDS = 24 * 3600


class _RotatingKey:
    """A random key in memory, replaced after ``ROTATION_SECONDS``."""

    def __init__(self) -> None:
        self.period = -1
        self.key = b""

    def for_period(self, period: int) -> bytes:
        if period != self.period:
            self.period, self.key = period, secrets.token_bytes(32)
        return self.key


_memory_key = _RotatingKey()


def hash_key(period: int) -> bytes:
    """The HMAC key for the current rotation period."""
    settings = current_app.config["TIPSITE"]
    if settings.ratelimit_storage.startswith("memory://"):
        return _memory_key.for_period(period)
    # Shared store: every node derives the same key from the shared secret key.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"ratelimit:{period}".encode(), hashlib.sha256).digest()


def client_key() -> str:
    """A rate-limit key for this client that does not reveal its address."""
    period = int(time.time() // ROTATION_SECONDS)
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(hash_key(period), address, hashlib.sha256).hexdigest()[:32]


def global_key() -> str:
    """One key for everybody: the limit that still holds when all clients look alike."""
    return "everyone"


limiter = Limiter(key_func=client_key, headers_enabled=False, strategy="fixed-window")


def per_client() -> str:
    return str(current_app.config["TIPSITE"].ratelimits)


def for_everyone() -> str:
    return str(current_app.config["TIPSITE"].ratelimit_global)


def limit_input(scope: str) -> Callable[[Any], Any]:
    """A decorator: the per-client and the global limit, counted under ``scope``."""

    def decorate(view: Any) -> Any:
        view = limiter.limit(per_client, key_func=client_key, scope=f"{scope}-client")(view)
        return limiter.limit(for_everyone, key_func=global_key, scope=f"{scope}-global")(view)

    return decorate


limit_submissions = limit_input("submit")  # tips
limit_code_entry = limit_input("followup")  # receipt codes: guessing one is hopeless


def init_app(app: Flask) -> None:
    """Configure the limiter from the site's settings."""
    settings = app.config["TIPSITE"]
    app.config.setdefault("RATELIMIT_ENABLED", settings.ratelimit_enabled)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage)
    # If Redis goes away, keep receiving tips under per-process limits rather than
    # answering 500: a lost tip is worse than a looser limit for a while.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        raise ConfigError(f"TIPSITE_RATELIMIT_STORAGE cannot be used: {exc}") from None
