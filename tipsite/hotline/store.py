"""The staff's local store: sealed envelopes on disk, triage state beside them.

Layout of the folder ``--store`` / ``HOTLINE_STORE`` names::

    store/            0700
      keys/           the keyring (see keyring.py)
      tips/           one sealed envelope per tip, named by its inbox name, 0600
      tmp/            envelopes being written; leftovers of a crash are removed
      state.sqlite3   status, handled date and sealed notes of each tip, 0600
      lock            held while a command changes the store

Envelopes stay sealed at rest: they are opened only in memory, when shown or
exported. A tip exists if and only if its file is in ``tips/``; ``state.sqlite3``
holds only what staff add (a tip without a row is ``new``), so adding a tip is one
durable rename and nothing else, and a crash can never leave half a tip.
Staff notes are sealed to the same key as their tip before they are stored.

Replies to tipsters (``hotline reply``) are rows of ``replies``: the staff's copy
sealed to the tip's key, and, until the site has it, the copy sealed to the
tipster's reply key with the lookup id it goes under. Writing the row comes
first and uploading second, so an interrupted reply is sent later under the same
name (the site stores a name once). ``site`` remembers the address of the last
pull, where replies go, and the path of the token file it was given (never the
token itself), so the morning's ``hotline pull`` needs no arguments.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tipsite.core.durable import fsync_folder, move_into, write_durably
from tipsite.core.errors import StoreError
from tipsite.core.inbox import is_envelope_name
from tipsite.hotline.keyring import Keyring
from tipsite.hotline.private import check_private, make_private_folder

STATUSES = ("new", "read", "handled")
STATE_FILE = "state.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tips (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('new', 'read', 'handled')),
    handled_on TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS notes (
    name TEXT NOT NULL,
    written_at TEXT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS replies (
    name TEXT PRIMARY KEY,
    tip TEXT NOT NULL,
    written_at TEXT NOT NULL,
    sealed BLOB NOT NULL,
    lookup TEXT,
    outgoing BLOB
);
CREATE TABLE IF NOT EXISTS site (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


# Not every system can open a file relative to a folder descriptor.
_OPEN_IN_FOLDER = os.open in os.supports_dir_fd
READ_SIZE = 64 * 1024  # one read holds any envelope up to the largest power-of-two bucket


def _read_all(fd: int) -> bytes:
    """Everything left in file ``fd``: one read for an ordinary envelope."""
    # Not os.read(fd, file size): a stat per file costs as much as the read it saves.
    data = os.read(fd, READ_SIZE)
    if len(data) < READ_SIZE:
        return data
    parts = [data]
    while chunk := os.read(fd, READ_SIZE):
        parts.append(chunk)
    return b"".join(parts)


@dataclass(frozen=True)
class SealedNote:
    """A staff note, still sealed."""

    written_at: str
    sealed: bytes


@dataclass(frozen=True)
class SealedReply:
    """A reply the staff wrote, as the store keeps it."""

    name: str  # the name the site files it under: chosen here, so a retry is the same reply
    tip: str  # the tip or follow-up it answers
    written_at: str
    sealed: bytes  # the staff's copy, sealed to the centre's key
    lookup: str | None = None  # where it goes on the site; None once the site has it
    outgoing: bytes | None = None  # sealed to the tipster's reply key; None once sent

    @property
    def waiting(self) -> bool:
        """True until the site has confirmed it holds the reply."""
        return self.outgoing is not None


@dataclass
class TipState:
    """What the staff added to a tip: status, when it was handled, notes."""

    status: str = "new"
    handled_on: str = ""
    notes: list[SealedNote] = field(default_factory=list)


class Store:
    """A local store folder (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tips = self.path / "tips"
        self.tmp = self.path / "tmp"
        self.keyring = Keyring(self.path / "keys")

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # --- the folder ------------------------------------------------------------

    def create(self) -> None:
        """Make the folders (0700 whatever the umask) if they are not there yet."""
        try:
            for folder in (self.path, self.tips, self.tmp, self.keyring.folder):
                make_private_folder(folder)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from None

    def check_private(self) -> None:
        """Refuse a store, keys folder or private key that other users can read."""
        check_private(self.path, "the store")
        self.keyring.check_private()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock: one command at a time changes it."""
        self.create()
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another hotline command is changing the store {self.path}; "
                    "wait for it to finish"
                ) from None
            self._clean_tmp()
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _clean_tmp(self) -> None:
        # Under the lock nobody is writing: anything in tmp/ was cut off by a crash.
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)

    # --- envelopes -------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of every tip in the store, sorted."""
        if not self.tips.is_dir():
            return []
        # os.listdir, not iterdir(): no Path object per file (10,000 of them in a big store).
        return sorted(name for name in os.listdir(self.tips) if is_envelope_name(name))

    def has(self, name: str) -> bool:
        return is_envelope_name(name) and (self.tips / name).exists()

    def read(self, name: str) -> bytes:
        """The sealed bytes of tip ``name``."""
        return self._read_one(name, None)

    def read_many(self, names: Sequence[str]) -> list[bytes]:
        """The sealed bytes of the tips ``names``, in the same order."""
        # Each file is opened relative to the open folder where the system allows it:
        # the kernel then walks no path per tip (what it saves: docs/performance.md).
        try:
            folder = os.open(self.tips, os.O_RDONLY) if _OPEN_IN_FOLDER else None
        except FileNotFoundError:
            folder = None  # no tips yet: each read below says which tip is missing
        try:
            return [self._read_one(name, folder) for name in names]
        finally:
            if folder is not None:
                os.close(folder)

    def _read_one(self, name: str, folder: int | None) -> bytes:
        if not is_envelope_name(name):
            raise StoreError(f"not a tip id: {name!r}")
        try:
            # os.open/os.read, not pathlib: open()'s buffered file object (fstat,
            # isatty, lseek, a second read) costs twice the syscalls that matter.
            fd = (os.open(name, os.O_RDONLY, dir_fd=folder) if folder is not None
                  else os.open(os.path.join(self.tips, name), os.O_RDONLY))
        except FileNotFoundError:
            raise StoreError(f"no tip {name} in the store") from None
        try:
            return _read_all(fd)
        finally:
            os.close(fd)

    def add(self, name: str, envelope: bytes) -> bool:
        """Store ``envelope`` durably as ``name``; False if it is already here.

        Call under :meth:`locked`. When this returns the envelope is on disk for
        good (fsync of the file, rename, fsync of the folder), so the caller may
        then delete the original.
        """
        if not is_envelope_name(name):
            # Names come from the server or a copied folder: never build a path from junk.
            raise StoreError(f"refusing an envelope with the unexpected name {name!r}")
        target = self.tips / name
        if target.exists():
            if target.read_bytes() != envelope:
                raise StoreError(
                    f"the store already holds a different envelope named {name}; "
                    "kept both apart, nothing overwritten"
                )
            return False
        temp = self.tmp / name
        try:
            write_durably(temp, envelope)
            move_into(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StoreError(f"could not store envelope {name}: {exc.strerror}") from None
        return True

    def remove(self, name: str) -> None:
        """Delete tip ``name`` and everything the staff added to it, for good."""
        (self.tips / name).unlink(missing_ok=True)
        fsync_folder(self.tips)
        with self._db() as db:
            db.execute("DELETE FROM tips WHERE name = ?", (name,))
            db.execute("DELETE FROM notes WHERE name = ?", (name,))
            db.execute("DELETE FROM replies WHERE tip = ?", (name,))

    # --- triage state ----------------------------------------------------------

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.create()
        path = self.path / STATE_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # created 0600 before sqlite opens it
        os.close(fd)
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA synchronous = FULL")  # a status change survives a power cut
            # Purged notes and sent replies' lookup ids are overwritten, not left in free pages.
            db.execute("PRAGMA secure_delete = ON")
            db.executescript(_SCHEMA)
            with db:  # one transaction: all of it or nothing
                yield db

    def states(self) -> dict[str, TipState]:
        """The triage state of every tip that has one (others are ``new``)."""
        states: dict[str, TipState] = {}
        with self._db() as db:
            for name, status, handled_on in db.execute(
                "SELECT name, status, handled_on FROM tips"
            ):
                states[name] = TipState(status, handled_on)
            for name, written_at, sealed in db.execute(
                "SELECT name, written_at, sealed FROM notes ORDER BY rowid"
            ):
                states.setdefault(name, TipState()).notes.append(SealedNote(written_at, sealed))
        return states

    def set_status(self, name: str, status: str, handled_on: str = "") -> None:
        """Set tip ``name``'s status (``handled_on`` is the date for ``handled``)."""
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        with self._db() as db:
            db.execute(
                "INSERT INTO tips (name, status, handled_on) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET status = excluded.status, "
                "handled_on = excluded.handled_on",
                (name, status, handled_on if status == "handled" else ""),
            )

    def add_note(self, name: str, written_at: str, sealed: bytes) -> None:
        """Attach a sealed note to tip ``name``."""
        with self._db() as db:
            db.execute(
                "INSERT INTO notes (name, written_at, sealed) VALUES (?, ?, ?)",
                (name, written_at, sealed),
            )

    # --- replies to tipsters ---------------------------------------------------------

    def add_reply(self, reply: SealedReply) -> None:
        """Keep a reply durably (one transaction) before anything is uploaded."""
        with self._db() as db:
            db.execute(
                "INSERT INTO replies (name, tip, written_at, sealed, lookup, outgoing) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (reply.name, reply.tip, reply.written_at, reply.sealed, reply.lookup,
                 reply.outgoing),
            )

    def replies(self) -> list[SealedReply]:
        """Every reply the staff wrote, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT name, tip, written_at, sealed, lookup, outgoing FROM replies "
                "ORDER BY written_at, rowid"
            ).fetchall()
        return [SealedReply(*row) for row in rows]

    def mark_sent(self, name: str) -> None:
        """The site holds reply ``name``: forget where it went and the tipster's copy."""
        with self._db() as db:
            # The lookup id and outgoing envelope are needed only to upload; keep no more.
            db.execute("UPDATE replies SET lookup = NULL, outgoing = NULL WHERE name = ?",
                       (name,))

    # --- the site ----------------------------------------------------------------------

    def remember_site(self, url: str, allow_http: bool) -> None:
        """Remember the site of the last pull: replies go there unless told otherwise."""
        with self._db() as db:
            db.executemany(
                "INSERT INTO site (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("url", url), ("allow_http", "1" if allow_http else "0")],
            )

    def remember_token_file(self, path: Path) -> None:
        """Remember where the staff token is kept (its file's path, never the token)."""
        with self._db() as db:
            db.execute("INSERT INTO site (key, value) VALUES ('token_file', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       (str(path),))

    def token_file(self) -> Path | None:
        """The token file of the last pull that was given one, if any."""
        with self._db() as db:
            row = db.execute("SELECT value FROM site WHERE key = 'token_file'").fetchone()
        return Path(row[0]) if row else None

    def site(self) -> tuple[str, bool] | None:
        """The remembered site address and whether plain http was allowed for it."""
        with self._db() as db:
            values = dict(db.execute("SELECT key, value FROM site").fetchall())
        if "url" not in values:
            return None
        return values["url"], values.get("allow_http") == "1"
