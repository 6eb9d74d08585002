"""The inbox: a Maildir-style spool of sealed envelopes.

Layout of the folder ``TIPSITE_INBOX`` names::

    inbox/          0700
      tmp/          envelopes being written (leftovers after a crash are removed)
      new/          complete envelopes, waiting for the staff

A delivery writes ``tmp/NAME``, fsyncs it, renames it to ``new/NAME`` and fsyncs
``new/``; only then is the tipster thanked. A crash at any moment leaves either
the whole envelope in ``new/`` or nothing there. ``NAME`` is 32 random hex
digits and carries no time; file times, and the times of ``tmp/`` and ``new/``
after every change, are set to midnight UTC of the day, as the exact time lives
only inside the sealed envelope; reads leave access times alone (O_NOATIME).
Files are 0600.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from tipsite.core.durable import (
    FOLDER_MODE,
    fsync_folder,
    move_into,
    write_durably,
)
from tipsite.core.errors import InboxError

NAME_PATTERN = re.compile(r"[0-9a-f]{32}")


def is_envelope_name(name: str) -> bool:
    """True if ``name`` could be an inbox file name (guards paths built from input)."""
    return NAME_PATTERN.fullmatch(name) is not None


_NOATIME = getattr(os, "O_NOATIME", 0)  # Linux: reading leaves the access time alone


def open_quietly(path: Path, flags: int = os.O_RDONLY) -> int:
    """Open ``path`` without updating its access time where the kernel lets us.

    O_NOATIME needs the file's owner (the site owns its files); otherwise, open
    normally: a ``noatime`` mount (docs/deploy.md) then keeps the time instead.
    """
    try:
        return os.open(path, flags | _NOATIME)
    except PermissionError:
        return os.open(path, flags)


def list_quietly(folder: Path) -> list[str]:
    """The names in ``folder``, read without updating the folder's access time."""
    fd = open_quietly(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def read_quietly(path: Path) -> bytes:
    """The bytes of ``path``, read without updating its access time."""
    fd = open_quietly(path)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def hide_times(*paths: Path) -> None:
    """Set access and change times of ``paths`` back to midnight UTC of today.

    A seized server then shows only the day of the last change; the inode change
    time (ctime) and birth time cannot be set by any program (SECURITY.md).
    """
    midnight = start_of_day()
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path, (midnight, midnight))


def start_of_day(now: datetime | None = None) -> float:
    """Midnight UTC of today, as a timestamp: the only time a file's metadata shows."""
    now = now or datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class Inbox:
    """A spool folder holding ``tmp/`` and ``new/``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tmp = self.path / "tmp"
        self.new = self.path / "new"

    def __repr__(self) -> str:
        return f"Inbox({str(self.path)!r})"

    # --- the site's side -------------------------------------------------------

    def prepare(self) -> None:
        """Create the folders if needed, prove they are writable and clean ``tmp/``."""
        try:
            for folder in (self.path, self.tmp, self.new):
                folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
            probe = self.tmp / f"probe-{secrets.token_hex(8)}"
            write_durably(probe, b"")
            probe.unlink(missing_ok=True)  # another worker starting may have cleaned tmp/ first
        except OSError as exc:
            raise InboxError(f"the inbox {self.path} is not writable: {exc.strerror}") from None
        self.clean_tmp()
        hide_times(self.tmp, self.new, self.path)

    def clean_tmp(self) -> int:
        """Remove leftovers of deliveries that a crash interrupted; return how many."""
        removed = 0
        for name in list_quietly(self.tmp):
            try:
                (self.tmp / name).unlink()
                removed += 1
            except FileNotFoundError:  # another worker cleaned it first
                pass
        return removed

    def deliver(self, envelope: bytes) -> str:
        """Store ``envelope`` durably in ``new/`` and return its name."""
        name = secrets.token_hex(16)
        temp = self.tmp / name
        try:
            write_durably(temp, envelope, mtime=start_of_day())
            move_into(temp, self.new / name)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise InboxError(f"could not store the envelope: {exc.strerror}") from None
        hide_times(self.tmp, self.new)  # the folders would show the last delivery
        return name

    # --- the reader's side (staff tool, staff API) ------------------------------

    def names(self) -> list[str]:
        """Names of the complete envelopes waiting in ``new/``, sorted."""
        try:
            return sorted(n for n in list_quietly(self.new) if is_envelope_name(n))
        except FileNotFoundError:
            raise InboxError(f"{self.path} is not an inbox (it has no new/ folder)") from None

    def read(self, name: str) -> bytes:
        """The bytes of envelope ``name``."""
        if not is_envelope_name(name):
            raise InboxError(f"not an envelope name: {name!r}")
        return read_quietly(self.new / name)  # a read dates nothing (no atime)

    def remove(self, name: str) -> bool:
        """Delete envelope ``name`` durably; False if it was already gone."""
        if not is_envelope_name(name):
            raise InboxError(f"not an envelope name: {name!r}")
        try:
            (self.new / name).unlink()
        except FileNotFoundError:
            return False
        fsync_folder(self.new)
        hide_times(self.new)  # the folder would show the moment of the pull
        return True
