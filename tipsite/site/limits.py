"""Rate limits that keep the form open for real people, and never see an address.

Built on Flask-Limiter (the design card). Three budgets, so that nobody can close
the form for others (SECURITY.md):

- **per client** (``TIPSITE_RATELIMITS``): every post to the tip form or the
  follow-up page counts, junk included. Flask-Limiter's decorator checks it before
  the view runs, so before anything reads the body: a client over its limit costs
  almost nothing, and it closes the form only for that client;
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
import dataclasses
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

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit, RouteLimit
from limits import parse_many
from limits.errors import ConfigurationError
from werkzeug.exceptions import TooManyRequests

from tipsite.core.errors import ConfigError
from tipsite.site.config import CONFIG_KEY, site_config

log = logging.getLogger(__name__)
ROTATION_SECONDS = 3600  # the HMAC key of client addresses lives at most this long (x2 in Redis)
DERIVATIONS_PER_PROCESS = 1  # one Argon2id (8 MiB; cost: docs/performance.md) per process
SLOT_WAIT_SECONDS = 10  # then the tipster gets the busy page with their text
BUSY_RETRY_SECONDS = 10
ECHO_LIMIT = "3 per minute"  # per client: over-limit pages that read the body to show it back
STAFF_FAILURE_LIMIT = "10 per minute"  # per client; a 256-bit token cannot be guessed anyway
_GLOBAL = ("everyone", "stored-global")  # one budget shared by tips and follow-up messages


class ClientOverLimit(TooManyRequests):
    """This client posted too often: refused before its body was read."""


class SiteBusy(TooManyRequests):
    """Too many tips from everyone, or no free slot for the expensive step."""


@dataclasses.dataclass
class _HashKey:
    pid: int = 0
    period: int = -1
    key: bytes = b""
    checked: float = 0.0


_hash_key = _HashKey()
_hash_key_lock = threading.Lock()
# Made at import, copied into each gunicorn worker unheld: a bound per process.
_slots = threading.BoundedSemaphore(DERIVATIONS_PER_PROCESS)


def hash_key(period: int) -> bytes:
    """The HMAC key of client addresses for rotation ``period``: random, in memory or Redis only."""
    shared = not site_config().ratelimit_storage.startswith("memory://")
    with _hash_key_lock:
        state = _hash_key
        fresh = not shared or time.monotonic() - state.checked < 60
        if state.pid == os.getpid() and state.period == period and fresh:
            return state.key
        key = secrets.token_bytes(32)  # per process: never inherited from gunicorn's master
        if shared:
            try:
                client = getattr(limiter.storage, "storage")  # noqa: B009 - the redis client
                name = f"tipsite:ratelimit-key:{period}"
                # The first node to need it makes it; it expires on its own, and a
                # seized Redis holds only the key of the current hour or two.
                client.set(name, key, nx=True, ex=2 * ROTATION_SECONDS)
                key = client.get(name) or key
            except Exception as exc:
                log.warning("cannot share the rate-limit key (%s)", type(exc).__name__)
        state.pid, state.period, state.key = os.getpid(), period, bytes(key)
        state.checked = time.monotonic()
        return state.key


def client_key() -> str:
    """A rate-limit key for this client that does not reveal its address."""
    period = int(time.time() // ROTATION_SECONDS)
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(hash_key(period), address, hashlib.sha256).hexdigest()[:32]


# Every limit is keyed by client_key, which reads only the address, never request.form.
limiter = Limiter(
    client_key,
    strategy="fixed-window",
    # If Redis goes away, keep receiving tips under per-process limits rather than
    # answering 500: a lost tip is worse than a looser limit for a while.
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    fail_on_first_breach=False,  # every post counts in every window, as it always did
    headers_enabled=False,  # Retry-After only on a 429, and no X-RateLimit-* on every page
)


def _client_limits() -> str:
    return str(site_config().ratelimits)


# Decorators: posts to this view count against the per-client limit, checked by
# Flask-Limiter when the view is called, before the view reads the body.
limit_submissions = limiter.shared_limit(_client_limits, "submit-client")  # tips
limit_code_entry = limiter.shared_limit(_client_limits, "followup-client")  # receipt codes


def seconds_until(limit: RequestLimit) -> int:
    """Seconds until ``limit``'s window resets, for Retry-After (60 if the store is gone)."""
    try:
        return max(1, math.ceil(limit.window.reset_time - time.time()))
    except Exception:  # a store that failed just now: a plain answer, not a 500
        return 60


def _within(spec: str, key: str, scope: str, count: bool = True) -> int | None:
    """None if ``key`` is within every limit of ``spec`` (spending one if ``count``).

    Else seconds to wait. Uses Flask-Limiter's own strategy, so its storage, or its
    in-memory fallback while that storage is down.
    """
    if not limiter.enabled:
        return None
    strategy = limiter.limiter
    try:
        over = [
            item for item in parse_many(spec)
            if not (strategy.hit(item, key, scope) if count else strategy.test(item, key, scope))
        ]
        waits = [strategy.get_window_stats(item, key, scope).reset_time for item in over]
    except Exception as exc:
        # A store gone since this request's own check: Flask-Limiter's next check falls
        # back to memory; until then let the tip through (a lost tip is worse).
        log.warning("rate-limit storage failed (%s)", type(exc).__name__)
        return None
    return max(1, math.ceil(max(waits) - time.time())) if waits else None


def check_everyone() -> None:
    """Refuse (429) if everyone together stored too much; spends nothing."""
    wait = _within(site_config().ratelimit_global, *_GLOBAL, count=False)
    if wait is not None:
        raise SiteBusy(retry_after=wait)


def count_stored() -> None:
    """Count a tip or message that is about to be stored against the global budget."""
    _within(site_config().ratelimit_global, *_GLOBAL)


def may_echo() -> bool:
    """True if this over-limit client may still get its text back (a bounded budget)."""
    return _within(ECHO_LIMIT, client_key(), "echo") is None


def count_failure(
    scope: str,
    succeeded: Callable[[], bool],
    refuse: Callable[[RequestLimit], Response],
    spec: str = STAFF_FAILURE_LIMIT,
) -> RouteLimit:
    """A decorator: count this client's 401 answers; over ``spec``, answer ``refuse``.

    A request for which ``succeeded()`` is true is never counted nor refused.
    """
    return limiter.shared_limit(
        spec, scope, exempt_when=succeeded, on_breach=refuse,
        deduct_when=lambda response: response.status_code == 401,
    )


@contextlib.contextmanager
def derivation_slot() -> Iterator[None]:
    """Wait for a free slot for Argon2id: a long queue gets the busy page; no count refuses."""
    if not _slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise SiteBusy(retry_after=BUSY_RETRY_SECONDS)
    try:
        yield
    finally:
        _slots.release()


def _over_limit(exc: RateLimitExceeded) -> Any:
    """Flask-Limiter refused: the staff API's own answer, or the site's busy page."""
    if exc.response is not None:
        return exc.response  # made by the limit's on_breach (the staff API's JSON)
    breached = [limit for limit in limiter.current_limits if limit.breached]
    wait = max((seconds_until(limit) for limit in breached), default=60)
    return current_app.handle_http_exception(ClientOverLimit(retry_after=wait))


def init_app(app: Flask) -> None:
    """Give ``app`` its limits from the site's configuration (Flask-Limiter's config)."""
    config = app.config[CONFIG_KEY]
    app.config.update(
        RATELIMIT_ENABLED=config.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage,
    )
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        raise ConfigError(f"TIPSITE_RATELIMIT_STORAGE cannot be used: {exc}") from None
    app.register_error_handler(RateLimitExceeded, _over_limit)
