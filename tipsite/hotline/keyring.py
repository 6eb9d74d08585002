"""The staff's private keys, kept in the store's ``keys/`` folder.

Several keys can live here: a new key is added when the centre rotates, and old
ones stay so that old tips stay readable (an envelope's key id picks the key).
Each key is a ``centre.key`` file as ``hotline keygen`` writes it (locked with a
passphrase), named by its key id, with its public half beside it::

    keys/  0700
      3f2a91c05b7e0d44.key   0600  private key, passphrase-locked
      3f2a91c05b7e0d44.pub   0644  public key, for the server's keys/centre.pub

Key files given with ``--key FILE`` join the keyring's keys for one command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nacl.public

from tipsite.core import keys
from tipsite.core.durable import fsync_folder, replace_durably
from tipsite.core.errors import KeyFileError
from tipsite.hotline.private import check_private, make_private_folder


@dataclass(frozen=True)
class KeyEntry:
    """A private key file, known by its public half (no passphrase needed for that)."""

    path: Path
    public: nacl.public.PublicKey

    @property
    def key_id(self) -> bytes:
        return keys.key_id(self.public)

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public)


def entry_for(path: Path) -> KeyEntry:
    """A :class:`KeyEntry` for the private key file ``path``."""
    return KeyEntry(path, keys.read_private_key_public_part(path))


class Keyring:
    """The ``keys/`` folder of a store."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"Keyring({str(self.folder)!r})"

    def entries(self) -> list[KeyEntry]:
        """Every private key in the keyring, oldest file first."""
        if not self.folder.is_dir():
            return []
        files = sorted(self.folder.glob("*.key"), key=lambda p: (p.stat().st_mtime, p.name))
        return [entry_for(path) for path in files]

    def check_private(self) -> None:
        """Refuse a keys folder or private key file that other users can read."""
        check_private(self.folder, "the keys folder")
        if self.folder.is_dir():
            for path in self.folder.glob("*.key"):
                check_private(path, "the private key")

    def add_text(self, public: nacl.public.PublicKey, private_text: str) -> Path:
        """Add a private key (its file text) and its public key; return the key's path."""
        make_private_folder(self.folder)  # 0700 whatever the umask; Store.create makes the store
        name = keys.key_id(public).hex()
        path = self.folder / f"{name}.key"
        # write_new_file uses O_EXCL: a key already in the keyring is never overwritten.
        keys.write_new_file(path, private_text, 0o600)
        public_path = self.folder / f"{name}.pub"
        if not public_path.exists():
            keys.write_new_file(public_path, keys.public_key_text(public), 0o644)
        fsync_folder(self.folder)
        return path

    def add_file(self, source: Path) -> Path:
        """Copy the private key file ``source`` into the keyring."""
        entry = entry_for(source)
        text = source.read_text(encoding="ascii")
        return self.add_text(entry.public, text)


def find(entries: Iterable[KeyEntry], wanted: str) -> KeyEntry:
    """The entry whose key id or fingerprint starts with ``wanted`` (spaces ignored)."""
    needle = wanted.replace(" ", "").lower()
    matches = [
        e for e in entries
        if needle and (e.key_id.hex().startswith(needle)
                       or e.fingerprint.replace(" ", "").lower().startswith(needle))
    ]
    if len(matches) != 1:
        problem = "no key" if not matches else f"{len(matches)} keys"
        raise KeyFileError(f"{problem} in the keyring match {wanted!r}")
    return matches[0]


def replace_text(path: Path, text: str) -> None:
    """Replace the key file ``path`` with ``text`` atomically (temp, fsync, rename)."""
    replace_durably(path, text.encode("utf-8"))
