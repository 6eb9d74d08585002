"""Pulling from the site: on a button and every few minutes, as ``hotline pull`` does.

The same checks as the command: the site must show one of the centre's keys before
anything moves (a swapped key is an alarm every logged-in person sees), and each
envelope is deleted on the server only after the store holds it durably. A pull
moves sealed envelopes only; it needs nobody's passphrase.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from tipsite.core.errors import PullError, StoreError
from tipsite.desk.actions import store_lock
from tipsite.hotline import trail
from tipsite.hotline.connection import check_site_key, site_client
from tipsite.hotline.problem import EXIT_KEY_MISMATCH, Problem
from tipsite.hotline.store import Store
from tipsite.hotline.unlock import key_entries

DEFAULT_EVERY_MINUTES = 5


@dataclass(frozen=True)
class PullReport:
    """What the last pull did: counts, or what stopped it."""

    at: str
    added: int = 0
    already: int = 0
    problem: str = ""  # the site could not be reached, or none is known: try again later
    alarm: str = ""  # the site's key is not ours: STOP, for everyone to see


def pull_now(store: Store, who: str) -> PullReport:
    """Pull every waiting envelope into ``store`` and send waiting replies."""
    from tipsite.hotline.outbox import send_waiting
    from tipsite.hotline.pull import pull

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        client = site_client(store, None, False, None)
        entries = key_entries(store, [])
        check_site_key(client, entries)
        names = client.names()
        with store_lock(store):
            result = pull(client, store, names, {e.key_id for e in entries})
            send_waiting(client, store)
    except Problem as exc:
        if exc.exit_code == EXIT_KEY_MISMATCH:
            return _recorded(store, who, PullReport(now, alarm=exc.message))
        return PullReport(now, problem=exc.message)
    except (PullError, StoreError) as exc:
        return PullReport(now, problem=str(exc))
    if result.foreign:
        alarm = (f"STOP: {result.foreign} new envelopes are sealed to a key that is not the "
                 "centre's; the server's key may have been swapped")
        return _recorded(store, who, PullReport(now, result.added, result.already, alarm=alarm))
    return _recorded(store, who, PullReport(now, result.added, result.already))


def _recorded(store: Store, who: str, report: PullReport) -> PullReport:
    detail = report.alarm or f"{report.added} new, {report.already} already here"
    trail.record(store.path, who, "pull", "", detail)
    return report


class Puller:
    """Pulls every few minutes in a thread, and on request; keeps the last report."""

    def __init__(self, store: Store, every_minutes: int) -> None:
        self.store = store
        self.every = every_minutes * 60
        self.last: PullReport | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = False

    def pull(self, who: str) -> PullReport:
        """Pull now (one at a time); the report is kept for every page to show."""
        with self._lock:
            report = pull_now(self.store, who)
            # An alarm stays until a pull succeeds: nobody may miss it.
            if report.alarm or not (self.last and self.last.alarm and report.problem):
                self.last = report
            return report

    def start(self) -> None:
        """Pull on the schedule until :meth:`stop`, once per process (a daemon thread).

        Started with the first request, not at import: gunicorn forks its worker after
        the app is made, and a thread does not survive a fork.
        """
        with self._lock:
            if self.every <= 0 or self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="desk-pull", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self.store.site() is not None:  # none yet: the first pull is hotline pull URL
                self.pull("(schedule)")

    def stop(self) -> None:
        """End the schedule."""
        self._stop.set()
