"""Rate limits that keep the form open for real people, and never see an address.

Three budgets, so that nobody can close the form for others (SECURITY.md):

- **per client** (``TIPSITE_RATELIMITS``): every post to the tip form or the
  follow-up page counts, junk included. It is checked before the body is read,
  so a client over its limit costs almost nothing, and it closes the form only
  for that client;
- **for everyone** (``TIPSITE_RATELIMIT_GLOBAL``): counts only tips and follow-up
  messages that would be stored (a valid form, the first use of its token, not a
  bot). Junk never spends it, whatever its source;
- **the expensive step**, Argon2id of the receipt code, is bounded by concurrency,
  not by count: at most ``DERIVATIONS_PER_PROCESS`` at once in each worker; the
  others wait their turn for up to ``SLOT_WAIT_SECONDS``.

The staff API counts failed tokens only (:func:`count_failure`); a valid token is
never refused.

A client is counted under a keyed hash (HMAC-SHA256) of its address. The key
never touches disk and is replaced every ``ROTATION_SECONDS``: with the default
in-memory storage it is random per process; with Redis (several nodes must agree)
it is a random key kept in Redis itself, expiring on its own, never derived from
the site's secret key. Counters live only as long as their window.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from tipsite.errors import ConfigError

log = logging.getLogger(__name__)
ROTATION_SECONDS = 3600  # the HMAC key of client addresses lives at most this long (x2 in Redis)
DERIVATIONS_PER_PROCESS = 1  # one Argon2id (8 MiB, ~12 ms) at a time per worker process
SLOT_WAIT_SECONDS = 10  # then the tipster gets the busy page with their text
BUSY_RETRY_SECONDS = 10
STORE_RETRY_SECONDS = 30  # after a failure of the shared store, count here this long
ECHO_LIMIT = "3 per minute"  # per client: over-limit pages that read the body to show it back
STAFF_FAILURE_LIMIT = "10 per minute"  # per client; a 256-bit token cannot be guessed anyway
_EXTENSION = "tipsite-limits"
_SCOPE_ATTRIBUTE = "_tipsite_limit_scope"


class ClientOverLimit(TooManyRequests):
    """This client posted too often: refused before its body was read."""


class SiteBusy(TooManyRequests):
    """Too many tips from everyone, or no free slot for the expensive step."""


class _Process:
    """The limiter's state in one process, made after gunicorn forked the worker."""

    def __init__(self, uri: str) -> None:
        self.pid = os.getpid()
        self.shared = not uri.startswith("memory://")
        self.storage = storage_from_string(uri)
        self.strategy = FixedWindowRateLimiter(self.storage)
        # If Redis goes away, keep receiving tips under per-process limits rather than
        # answering 500: a lost tip is worse than a looser limit for a while.
        self.fallback = FixedWindowRateLimiter(MemoryStorage())
        self.slots = threading.BoundedSemaphore(DERIVATIONS_PER_PROCESS)
        self.key_period = -1
        self.key = b""
        self.key_checked = 0.0
        self.shared_down_until = 0.0


class Limits:
    """The site's budgets, from its settings."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._process: _Process | None = None
        self._lock = threading.Lock()

    @property
    def process(self) -> _Process:
        with self._lock:
            if self._process is None or self._process.pid != os.getpid():
                self._process = _Process(self.settings.ratelimit_storage)
            return self._process

    def hash_key(self, period: int) -> bytes:
        """The HMAC key for rotation ``period``: random, in memory or in Redis only."""
        state = self.process
        shared_fresh = time.monotonic() - state.key_checked < 60
        if state.key_period == period and (not state.shared or shared_fresh):
            return state.key
        key = secrets.token_bytes(32)
        if state.shared:
            try:
                client = getattr(state.storage, "storage")  # noqa: B009 - the redis client
                name = f"tipsite:ratelimit-key:{period}"
                # The first node to need it makes it; it expires on its own, and a
                # seized Redis holds only the key of the current hour or two.
                client.set(name, key, nx=True, ex=2 * ROTATION_SECONDS)
                key = client.get(name) or key
            except Exception as exc:
                log.warning("cannot share the rate-limit key (%s)", type(exc).__name__)
            state.key_checked = time.monotonic()
        state.key_period, state.key = period, bytes(key)
        return state.key

    def wait(self, spec: str, scope: str, key: str, count: bool = True) -> int | None:
        """None if ``key`` is within every limit of ``spec``; else seconds to wait."""
        if not self.settings.ratelimit_enabled:
            return None
        items = parse_many(spec)
        state = self.process
        if time.monotonic() >= state.shared_down_until:
            try:
                return _apply(state.strategy, items, scope, key, count)
            except Exception as exc:
                log.warning("rate-limit storage failed (%s); counting here", type(exc).__name__)
                # Do not make every request wait on a store that is gone: retry later.
                state.shared_down_until = time.monotonic() + STORE_RETRY_SECONDS
        return _apply(state.fallback, items, scope, key, count)


def _apply(strategy: FixedWindowRateLimiter, items: list[RateLimitItem], scope: str,
           key: str, count: bool) -> int | None:
    waits = []
    for item in items:
        allowed = strategy.hit(item, scope, key) if count else strategy.test(item, scope, key)
        if not allowed:
            reset = strategy.get_window_stats(item, scope, key).reset_time
            waits.append(max(1, math.ceil(reset - time.time())))
    return max(waits) if waits else None


def _limits() -> Limits:
    state: Limits = current_app.extensions[_EXTENSION]
    return state


def hash_key(period: int) -> bytes:
    """The HMAC key of client addresses for rotation ``period``."""
    return _limits().hash_key(period)


def client_key() -> str:
    """A rate-limit key for this client that does not reveal its address."""
    period = int(time.time() // ROTATION_SECONDS)
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(hash_key(period), address, hashlib.sha256).hexdigest()[:32]


def limit_input(scope: str) -> Callable[[Any], Any]:
    """A decorator: posts to this view count against the per-client limit of ``scope``.

    The check runs before the view, and before anything reads the body
    (:func:`check_client`).
    """

    def decorate(view: Any) -> Any:
        setattr(view, _SCOPE_ATTRIBUTE, scope)
        return view

    return decorate


limit_submissions = limit_input("submit")  # tips
limit_code_entry = limit_input("followup")  # receipt codes: guessing one is hopeless


def check_client() -> None:
    """Refuse a client over its limit before its body is parsed (a ``before_request`` hook)."""
    if request.method != "POST":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, _SCOPE_ATTRIBUTE, None)
    if scope is None:
        return
    settings = current_app.config["TIPSITE"]
    wait = _limits().wait(settings.ratelimits, f"{scope}-client", client_key())
    if wait is not None:
        raise ClientOverLimit(retry_after=wait)


def check_everyone() -> None:
    """Refuse (429) if everyone together stored too much; spends nothing."""
    settings = current_app.config["TIPSITE"]
    wait = _limits().wait(settings.ratelimit_global, "stored-global", "everyone", count=False)
    if wait is not None:
        raise SiteBusy(retry_after=wait)


def count_stored() -> None:
    """Count a tip or message that is about to be stored against the global budget."""
    settings = current_app.config["TIPSITE"]
    _limits().wait(settings.ratelimit_global, "stored-global", "everyone")


def may_echo() -> bool:
    """True if this over-limit client may still get its text back (a bounded budget)."""
    return _limits().wait(ECHO_LIMIT, "echo", client_key()) is None


def count_failure(scope: str, spec: str = STAFF_FAILURE_LIMIT) -> int | None:
    """Count a failure of this client (a wrong staff token); seconds to wait if over."""
    return _limits().wait(spec, scope, client_key())


@contextlib.contextmanager
def derivation_slot() -> Iterator[None]:
    """Wait for a free slot for Argon2id: a long queue gets the busy page; no count refuses."""
    slots = _limits().process.slots
    if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise SiteBusy(retry_after=BUSY_RETRY_SECONDS)
    try:
        yield
    finally:
        slots.release()


def init_app(app: Flask) -> None:
    """Check the limits' storage and hook the per-client check in before every view."""
    settings = app.config["TIPSITE"]
    for spec in (settings.ratelimits, settings.ratelimit_global):
        parse_many(spec)
    try:
        storage_from_string(settings.ratelimit_storage)
    except ConfigurationError as exc:
        raise ConfigError(f"TIPSITE_RATELIMIT_STORAGE cannot be used: {exc}") from None
    app.extensions[_EXTENSION] = Limits(settings)
    app.before_request(check_client)
