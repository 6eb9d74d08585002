"""Login attempts slowed per account and per client, never locked out for long.

Each failed login doubles the wait before the next attempt on that account and
from that client, from 1 second up to a ceiling of 60 seconds; a success clears
the account's count. A guesser gets about 60 tries an hour per account instead of
thousands, and the right person, after a few typos, waits a minute at most.
Argon2id makes each try cost the desk, too: the wait is checked before it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FIRST_WAIT = 1.0
MAX_WAIT = 60.0
FORGET_AFTER = 3600.0  # an hour without failures starts the count again


@dataclass
class _Failures:
    count: int
    last: float


class Throttle:
    """Failure counts by key ("account:mette", "client:..."), in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds to wait before another attempt on any of ``keys`` (0 if none)."""
        now = self._clock()
        with self._lock:
            return max((self._wait_for(key, now) for key in keys), default=0.0)

    def _wait_for(self, key: str, now: float) -> float:
        failures = self._failures.get(key)
        if failures is None or now - failures.last > FORGET_AFTER:
            return 0.0
        delay = min(FIRST_WAIT * 2.0 ** (failures.count - 1), MAX_WAIT)
        return max(0.0, failures.last + delay - now)

    def failed(self, *keys: str) -> None:
        """Count a failed attempt on each of ``keys``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                old = self._failures.get(key)
                count = 1 if old is None or now - old.last > FORGET_AFTER else old.count + 1
                self._failures[key] = _Failures(count, now)

    def succeeded(self, key: str) -> None:
        """Clear ``key``'s failures (the account logged in)."""
        with self._lock:
            self._failures.pop(key, None)
