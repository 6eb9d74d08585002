"""Logged-in staff: the centre keys each person opened, held in this process's memory only.

The browser holds a random session id and nothing else; the keys stay here. A
session idle for longer than the lock time is dropped with its keys, as is one
that logs out, so a desk left open on an office PC closes itself.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tipsite.hotline.accounts import Login

SESSION_ID_BYTES = 32  # 256 bits: not guessable, whatever the number of sessions


@dataclass
class DeskSession:
    """One person's open desk."""

    login: Login
    last_seen: float
    csrf_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def name(self) -> str:
        return self.login.account.name


class Sessions:
    """The open sessions of one desk process (thread-safe)."""

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._open: dict[str, DeskSession] = {}
        self._lock = threading.Lock()

    def start(self, login: Login) -> str:
        """Open a session for ``login``; its id, for the cookie."""
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        with self._lock:
            self._open[session_id] = DeskSession(login, self._clock())
        return session_id

    def get(self, session_id: str | None) -> DeskSession | None:
        """The live session ``session_id`` names (and mark it used), or None if locked or gone."""
        if not session_id:
            return None
        with self._lock:
            session = self._open.get(session_id)
            if session is None:
                return None
            now = self._clock()
            if now - session.last_seen > self.idle_seconds:
                del self._open[session_id]  # the keys go with it
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str | None) -> None:
        """Log out: forget the session and the keys it held."""
        with self._lock:
            self._open.pop(session_id or "", None)

    def end_account(self, name: str) -> int:
        """End every session of account ``name`` (removed); how many there were."""
        with self._lock:
            doomed = [sid for sid, s in self._open.items() if s.name.casefold() == name.casefold()]
            for sid in doomed:
                del self._open[sid]
        return len(doomed)

    def names(self) -> list[str]:
        """Who is logged in now (sessions not yet idle)."""
        now = self._clock()
        with self._lock:
            return sorted({s.name for s in self._open.values()
                           if now - s.last_seen <= self.idle_seconds})
