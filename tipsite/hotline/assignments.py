"""Who on the team looks after which conversation.

One person per conversation, or nobody. Kept in the desk database with an audit
line in the same transaction, so an assignment and its record cannot part.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tipsite.hotline import trail
from tipsite.hotline.accounts import AccountError, Accounts
from tipsite.hotline.deskdb import desk_db


def assign(store_path: Path, conversation: str, assignee: str, by: str) -> str:
    """Give ``conversation`` to ``assignee`` ("" for nobody); the name as the account has it."""
    name = ""
    if assignee:
        listed = {a.name.casefold(): a.name for a in Accounts(store_path).list()}
        name = listed.get(assignee.strip().casefold(), "")
        if not name:
            raise AccountError(f"there is no account {assignee!r}")
    with desk_db(store_path) as db:
        if name:
            db.execute(
                "INSERT INTO assignments (conversation, assignee, assigned_by, assigned_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (conversation) DO UPDATE SET "
                "assignee = excluded.assignee, assigned_by = excluded.assigned_by, "
                "assigned_at = excluded.assigned_at",
                (conversation, name, by, datetime.now(UTC).isoformat(timespec="seconds")))
        else:
            db.execute("DELETE FROM assignments WHERE conversation = ?", (conversation,))
        trail.write(db, by, "assign", conversation, name or "(nobody)")
    return name


def assignments(store_path: Path) -> dict[str, str]:
    """Each assigned conversation's id and the name of who has it."""
    with desk_db(store_path) as db:
        return dict(db.execute("SELECT conversation, assignee FROM assignments"))
