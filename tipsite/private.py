"""Folders and files only their owner may read: the staff's store, keys and token.

``mkdir(mode=0o700)`` alone is not enough: folders made on the way (``parents``)
get the umask's mode, usually 0755. Every folder made here is set to 0700 after it
is made, whatever the umask. And a store, keys folder or token file that group or
others can open is refused, with the ``chmod`` that fixes it: silently using it
would tell nobody that other users on the machine can read the tips' metadata or
take the token.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tipsite.errors import NotPrivate

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SHARED_BITS = 0o077  # any access at all for group or others
_CHECKED = os.name == "posix"  # Windows has no mode bits to read; its ACLs are per user


def make_private_folder(path: Path) -> None:
    """Make ``path`` and any missing parents, each 0700 whatever the umask."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another command: it checks its own mode
        # mkdir's mode is masked by the umask; chmod is not.
        os.chmod(folder, FOLDER_MODE)


def check_private(path: Path, what: str) -> None:
    """Refuse ``path`` (a folder or file) if group or others have any access to it."""
    if not _CHECKED:
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # made private when it is made
    if stat.S_IMODE(mode) & SHARED_BITS:
        wanted = "700" if stat.S_ISDIR(mode) else "600"
        raise NotPrivate(
            f"{what} {path} can be read by other users (mode {stat.S_IMODE(mode):o})",
            f"make it yours only: chmod {wanted} {_quoted(path)}")


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))
