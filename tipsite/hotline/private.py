"""Folders and files only their owner may read: the staff's store, keys and token.

``mkdir(mode=0o700, parents=True)`` is not enough: the folders it makes on the way
get the umask's mode, usually 0755, and the store was one of them when ``keygen``
made ``store/keys`` first. Each of the store's folders is made on its own here and
set to 0700 after it is made, whatever the umask. And a store, keys folder or
token file that group or others can open is refused, with the ``chmod`` that
fixes it: silently using it would tell nobody that other users on the machine can
read the tips' metadata or take the token.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tipsite.core.errors import NotPrivate

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SHARED_BITS = 0o077  # any access at all for group or others
_CHECKED = os.name == "posix"  # only POSIX systems have the mode bits read here


def make_private_folder(path: Path) -> None:
    """Make the folder ``path`` 0700 whatever the umask (its missing parents as mkdir -p)."""
    # The parents (say ~/.local/share) hold nothing of ours: the system's usual mode.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        return  # made earlier, or meanwhile by another command: check_private judges it
    # mkdir's mode is masked by the umask; chmod is not.
    os.chmod(path, FOLDER_MODE)


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
