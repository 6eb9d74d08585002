"""The server's reply box: replies from the centre, sealed to a tipster's reply key.

Layout of the folder ``TIPSITE_REPLIES`` names (default ``instance/replies``)::

    replies/            0700
      tmp/              replies being written
      <lookup id>/      one folder per conversation that has replies, 0700
        <name>          a reply envelope (envelope.py format), 0600, 32 hex digits

The server cannot open a reply: only the receipt code's private key can, and the
server holds that only while the tipster is on the follow-up page. File and
folder times show only the day of the last change, and reading leaves access
times alone (O_NOATIME), so no time says when a tipster read or deleted.
Replies older than ``TIPSITE_REPLY_DAYS`` (default 90) are deleted by
:meth:`ReplyBox.expire`, and a tipster can delete theirs at once.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from tipsite.core.durable import FOLDER_MODE, fsync_folder, move_into, write_durably
from tipsite.core.errors import InboxError
from tipsite.core.inbox import (
    hide_times,
    is_envelope_name,
    list_quietly,
    read_quietly,
    start_of_day,
)
from tipsite.core.receipt import is_lookup

DAY = 24 * 3600


class ReplyBox:
    """Replies waiting for tipsters, filed by lookup id."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tmp = self.path / "tmp"

    def prepare(self) -> None:
        """Create the folders and clean ``tmp/`` of interrupted writes."""
        try:
            self.path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            self.tmp.mkdir(mode=FOLDER_MODE, exist_ok=True)
            for name in list_quietly(self.tmp):
                (self.tmp / name).unlink(missing_ok=True)
        except OSError as exc:
            raise InboxError(f"the reply folder {self.path} is unusable: {exc.strerror}") from None
        hide_times(self.tmp, self.path)

    def _folder(self, lookup: str) -> Path:
        if not is_lookup(lookup):
            raise InboxError("not a lookup id")
        return self.path / lookup

    def store(self, lookup: str, name: str, envelope: bytes) -> bool:
        """Store a reply durably; False if a reply of that name is already there."""
        if not is_envelope_name(name):
            raise InboxError("not a reply name")
        folder = self._folder(lookup)
        if (folder / name).exists():
            return False  # a retried upload: storing it twice would show it twice
        temp = self.tmp / name
        try:
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
            write_durably(temp, envelope, mtime=start_of_day())
            move_into(temp, folder / name)
            fsync_folder(self.path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise InboxError(f"could not store the reply: {exc.strerror}") from None
        hide_times(self.tmp, folder, self.path)  # no folder shows when a reply came
        return True

    def replies(self, lookup: str) -> list[bytes]:
        """The reply envelopes for ``lookup``, oldest day first (none: an empty list)."""
        folder = self._folder(lookup)
        if not folder.is_dir():
            return []
        paths = [folder / n for n in list_quietly(folder) if is_envelope_name(n)]
        paths.sort(key=lambda p: (p.stat().st_mtime, p.name))
        # O_NOATIME: a reply's access time would be the moment its tipster read it.
        return [read_quietly(p) for p in paths]

    def delete(self, lookup: str) -> int:
        """Delete every reply for ``lookup``, durably; return how many there were."""
        folder = self._folder(lookup)
        if not folder.is_dir():
            return 0
        removed = 0
        for name in list_quietly(folder):
            (folder / name).unlink(missing_ok=True)
            removed += 1
        fsync_folder(folder)
        with contextlib.suppress(OSError):  # a reply that arrived meanwhile keeps it
            folder.rmdir()
        fsync_folder(self.path)
        hide_times(folder, self.path)  # replies/ would show the moment of the deletion
        return removed

    def expire(self, max_age_days: int, now: float | None = None) -> int:
        """Delete replies that arrived more than ``max_age_days`` ago; return how many."""
        cutoff = (now or time.time()) - max_age_days * DAY
        removed = 0
        for name in list_quietly(self.path):  # runs on every code entry: read quietly
            folder = self.path / name
            if not is_lookup(name) or not folder.is_dir():
                continue
            expired = 0
            for path in (folder / n for n in list_quietly(folder)):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    expired += 1
            if expired:
                removed += expired
                with contextlib.suppress(OSError):  # not empty: it still holds newer replies
                    folder.rmdir()
                hide_times(folder, self.path)
        return removed
