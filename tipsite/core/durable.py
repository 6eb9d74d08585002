"""Writing files so that a crash leaves the old state or the new one, never half of either.

Every durable write in Tipsite is the same four steps: write a temporary file,
fsync it, rename it into place, fsync the folder (so the rename itself survives a
power cut). The spool, the staff's store, the reply box, exports and key files all
use these helpers. POSIX only (``O_DIRECTORY``): the site runs on Linux, the staff
tool on Linux and macOS (docs/hotline.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def fsync_folder(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, mtime: float | None = None) -> None:
    """Write ``data`` to a new file ``path`` (0600) and fsync it; the caller renames it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def move_into(temp: Path, target: Path) -> None:
    """Rename the fsynced ``temp`` to ``target`` and make the rename durable."""
    os.replace(temp, target)
    fsync_folder(target.parent)


def replace_durably(path: Path, data: bytes) -> None:
    """Replace (or create) ``path`` with ``data``, whole or not at all, 0600."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write_durably(temp, data)
        move_into(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def made_once(path: Path, text: str) -> str:
    """The text of ``path``, writing ``text`` there first if the file does not exist yet.

    For values a site makes once and every worker must share (the secret key, the
    receipt salt): the text is written aside, fsynced, then linked into place; the
    link fails if another worker won the race, so everyone reads the same whole file.
    """
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        write_durably(draft, text.encode("utf-8"))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8")
