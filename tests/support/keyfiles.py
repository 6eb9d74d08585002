"""Real key files for tests: a key pair written as ``centre.pub`` and ``centre.key``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tipsite.core import keys

PASSPHRASE = "correct horse battery staple"


@dataclass
class KeyFiles:
    pair: keys.KeyPair
    public: Path
    private: Path
    passphrase: str = PASSPHRASE


def write_key_files(folder: Path, pair: keys.KeyPair, passphrase: str = PASSPHRASE) -> KeyFiles:
    """Write ``centre.pub`` and ``centre.key`` for ``pair`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    public, private = folder / "centre.pub", folder / "centre.key"
    keys.write_new_file(public, keys.public_key_text(pair.public), 0o644)
    keys.write_new_file(private, keys.private_key_text(pair, passphrase, "interactive"), 0o600)
    return KeyFiles(pair, public, private, passphrase)
