"""The audit trail: who opened, answered, exported, reassigned or purged what, and when.

A public authority must be able to show who handled personal data (GDPR article 5(2),
accountability). Lines are only ever added, in the desk database, in the same
transaction as what they record where there is one. A line names a conversation by
its tip id and never holds tip content, so it can outlive a purged tip: purging
keeps the line that says it was purged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tipsite.core.errors import StoreError
from tipsite.hotline.deskdb import desk_db

#: What a line can record. A fixed list, so a report can count each kind.
ACTIONS = frozenset({
    "login", "login-failed", "logout", "locked",
    "user-add", "user-remove",
    "open", "reply", "note", "status", "assign", "export", "print", "purge", "pull",
})


@dataclass(frozen=True)
class Line:
    """One line of the audit trail."""

    at: str
    actor: str
    action: str
    subject: str
    detail: str


def record(store_path: Path, actor: str, action: str, subject: str = "",
           detail: str = "") -> Line:
    """Add a line to the trail of the store at ``store_path``."""
    with desk_db(store_path) as db:
        return write(db, actor, action, subject, detail)


def write(db: sqlite3.Connection, actor: str, action: str, subject: str = "",
          detail: str = "") -> Line:
    """Add a line in the transaction ``db`` is in (it is kept only if the change is)."""
    if action not in ACTIONS:
        raise StoreError(f"unknown audit action {action!r}")
    line = Line(datetime.now(UTC).isoformat(timespec="seconds"), actor, action, subject, detail)
    db.execute("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
               (line.at, line.actor, line.action, line.subject, line.detail))
    return line


def lines(store_path: Path, limit: int = 1000) -> list[Line]:
    """The newest ``limit`` lines of the trail, newest first."""
    with desk_db(store_path) as db:
        rows = db.execute("SELECT at, actor, action, subject, detail FROM audit "
                          "ORDER BY id DESC LIMIT ?", (limit,))
        return [Line(*row) for row in rows]
