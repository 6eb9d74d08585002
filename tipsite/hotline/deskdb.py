"""The desk's own database: staff accounts and the audit trail, beside the sealed store.

``desk.sqlite3`` in the store folder (0600) holds what is not a tip: who may log in
to the staff desk, with their sealed copies of the centre's keys, and who did what
when. The sealed envelopes in ``tips/`` stay the source of truth for tips.

The schema carries a version (``PRAGMA user_version``): an older ``hotline`` that
meets a newer schema stops with a message instead of writing rows it does not
understand, and a newer one upgrades an older file in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from tipsite.core.durable import FILE_MODE
from tipsite.core.errors import StoreError
from tipsite.hotline.private import check_private, make_private_folder

DESK_FILE = "desk.sqlite3"
SCHEMA_VERSION = 2
# Each entry upgrades the schema from the version before it to its own number.
_UPGRADES: dict[int, str] = {
    1: """
CREATE TABLE accounts (
    key TEXT PRIMARY KEY,           -- the name case-folded: 'Mette' and 'mette' are one person
    name TEXT NOT NULL,             -- as the admin typed it
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
    created_at TEXT NOT NULL,
    public BLOB NOT NULL,           -- the account's own public key
    locked TEXT NOT NULL            -- its private key, locked with the person's passphrase
);
CREATE TABLE account_keys (
    account TEXT NOT NULL REFERENCES accounts (key) ON DELETE CASCADE,
    key_id BLOB NOT NULL,           -- which centre key
    sealed BLOB NOT NULL,           -- that centre private key, sealed to the account's key
    PRIMARY KEY (account, key_id)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
""",
    2: """
CREATE TABLE assignments (
    conversation TEXT PRIMARY KEY,  -- the id of the conversation's first tip
    assignee TEXT NOT NULL,         -- an account's name as shown
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL
);
""",
}


@contextmanager
def desk_db(store_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the store's desk database, in one transaction (all or nothing)."""
    make_private_folder(store_path)
    check_private(store_path, "the store")
    path = store_path / DESK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)  # 0600 before sqlite opens it
    os.close(fd)
    check_private(path, "the desk database")
    # isolation_level None: we say where transactions begin. Python's own rule starts
    # them only before INSERT/UPDATE/DELETE, so a check followed by a write would race.
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("PRAGMA synchronous = FULL")  # an added account survives a power cut
        # A removed account's sealed keys are overwritten, not left in free pages.
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA foreign_keys = ON")
        # IMMEDIATE: the write lock from the start, so two desks or commands acting at
        # once wait for each other instead of one failing halfway.
        db.execute("BEGIN IMMEDIATE")
        try:
            _upgrade(db, path)
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _upgrade(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer hotline (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); update hotline before using the desk")
    for number in range(version + 1, SCHEMA_VERSION + 1):
        for statement in _UPGRADES[number].split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")  # an int from our own table
