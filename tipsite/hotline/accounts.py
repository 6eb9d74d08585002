"""Staff accounts: each person opens the centre's keys with a passphrase of their own.

Nobody types the centre key's passphrase day to day. Each account has a key pair
of its own: its private half is locked with the person's passphrase (Argon2id and
SecretBox, exactly as a ``centre.key`` file), and each centre private key is sealed
(``nacl.public.SealedBox``) to the account's public half. So:

- logging in unlocks the account's key with the passphrase, then opens the sealed
  centre keys, in memory only;
- adding an account needs the centre keys already open: an admin who is logged in,
  or the centre key's passphrase at the command line;
- a new centre key (rotation) is sealed to every account by whoever holds it,
  without anyone's passphrase;
- removing an account deletes its locked key and its sealed copies, overwritten on
  disk (``secure_delete``).

A stolen ``desk.sqlite3`` is as hard to open as a stolen ``centre.key``: one
Argon2id-locked key per account, and passphrases are judged as strong as the
centre key's before they are accepted.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nacl.exceptions
import nacl.public

from tipsite.core import keys
from tipsite.core.errors import StoreError, WrongPassphrase
from tipsite.hotline.deskdb import desk_db
from tipsite.hotline.passphrase import judge

# Letters of any script, digits, dot, dash, underscore: names people use, nothing
# that could be mistaken for markup or a path.
_NAME = re.compile(r"[^\W_][\w.-]{0,39}")


class AccountError(StoreError):
    """An account cannot be added, removed or opened as asked."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Account:
    """A staff account as lists show it (no key material)."""

    name: str
    admin: bool
    created_at: str


@dataclass(frozen=True)
class Login:
    """An opened account: who, and the centre keys their passphrase opened."""

    account: Account
    centre_keys: tuple[keys.KeyPair, ...]

    def __repr__(self) -> str:  # never show key material in a traceback or log
        return f"Login({self.account.name!r}, {len(self.centre_keys)} keys)"


def clean_name(name: str) -> str:
    """``name`` as stored (NFC, trimmed), or AccountError if it is not a usable name."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not _NAME.fullmatch(cleaned):
        raise AccountError(
            f"{name!r} is not a usable account name",
            "use 1 to 40 letters or digits, with . - _ inside, e.g. mette or mette.h")
    return cleaned


def _key(name: str) -> str:
    return clean_name(name).casefold()


class Accounts:
    """The staff accounts kept in the store folder ``store_path``."""

    def __init__(self, store_path: Path, kdf_cost: str = keys.DEFAULT_KDF_COST) -> None:
        self.store_path = Path(store_path)
        self.kdf_cost = kdf_cost

    def __repr__(self) -> str:
        return f"Accounts({str(self.store_path)!r})"

    def list(self) -> list[Account]:
        """Every account, in name order."""
        with desk_db(self.store_path) as db:
            rows = db.execute("SELECT name, admin, created_at FROM accounts ORDER BY key")
            return [Account(name, bool(admin), created) for name, admin, created in rows]

    def add(self, name: str, passphrase: str, admin: bool,
            centre_keys: Sequence[keys.KeyPair]) -> Account:
        """Make an account for ``name`` holding ``centre_keys``, opened by ``passphrase``."""
        cleaned = clean_name(name)
        if not centre_keys:
            raise AccountError("no centre key is open to give the new account",
                               "make the centre's key first: hotline keygen")
        weakness = judge(passphrase, known=[cleaned])
        if weakness:
            raise AccountError(f"passphrase refused: {weakness.reason}", weakness.suggestion)
        own = keys.generate()
        locked = keys.private_key_text(own, passphrase, self.kdf_cost)
        account = Account(cleaned, admin, datetime.now(UTC).isoformat(timespec="seconds"))
        with desk_db(self.store_path) as db:
            if db.execute("SELECT 1 FROM accounts WHERE key = ?", (_key(cleaned),)).fetchone():
                raise AccountError(f"there is already an account {cleaned!r}",
                                   f"remove it first (hotline user remove {cleaned}) "
                                   "or pick another name")
            db.execute(
                "INSERT INTO accounts (key, name, admin, created_at, public, locked) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_key(cleaned), cleaned, int(admin), account.created_at,
                 bytes(own.public), locked))
            for pair in centre_keys:
                _seal_key_to(db, _key(cleaned), own.public, pair)
        return account

    def remove(self, name: str) -> None:
        """Delete ``name``'s account and its copies of the centre keys."""
        with desk_db(self.store_path) as db:
            removed = db.execute("DELETE FROM accounts WHERE key = ?", (_key(name),)).rowcount
        if not removed:
            raise AccountError(f"there is no account {name!r}", "hotline user list shows them")

    def login(self, name: str, passphrase: str) -> Login:
        """Open ``name``'s account with ``passphrase``: WrongPassphrase if it does not."""
        with desk_db(self.store_path) as db:
            row = db.execute("SELECT name, admin, created_at, locked FROM accounts WHERE key = ?",
                             (_key(name),)).fetchone()
            if row is None:
                # The same error as a wrong passphrase: a login form must not tell
                # a guesser which names exist.
                raise WrongPassphrase("wrong account name or passphrase")
            sealed = [blob for (blob,) in db.execute(
                "SELECT sealed FROM account_keys WHERE account = ?", (_key(name),))]
        try:
            own = keys.unlock_private_text(row[3], passphrase, f"account {row[0]!r}")
        except WrongPassphrase:
            raise WrongPassphrase("wrong account name or passphrase") from None
        opened = tuple(_open_sealed_key(own, blob) for blob in sealed)
        return Login(Account(row[0], bool(row[1]), row[2]), opened)

    def grant(self, pair: keys.KeyPair) -> int:
        """Seal the centre key ``pair`` to every account that lacks it; how many got it."""
        with desk_db(self.store_path) as db:
            missing = db.execute(
                "SELECT key, public FROM accounts WHERE key NOT IN "
                "(SELECT account FROM account_keys WHERE key_id = ?)", (pair.key_id,)).fetchall()
            for account_key, public in missing:
                _seal_key_to(db, account_key, nacl.public.PublicKey(public), pair)
        return len(missing)

    def exists(self, name: str) -> bool:
        """True while ``name`` has an account (a desk ends the sessions of removed ones)."""
        with desk_db(self.store_path) as db:
            return db.execute("SELECT 1 FROM accounts WHERE key = ?",
                              (_key(name),)).fetchone() is not None

    def count_admins(self) -> int:
        """How many accounts are admins."""
        with desk_db(self.store_path) as db:
            return int(db.execute("SELECT count(*) FROM accounts WHERE admin = 1").fetchone()[0])


def _seal_key_to(db: sqlite3.Connection, account_key: str, public: nacl.public.PublicKey,
                 pair: keys.KeyPair) -> None:
    sealed = nacl.public.SealedBox(public).encrypt(bytes(pair.private))
    db.execute(
        "INSERT INTO account_keys (account, key_id, sealed) VALUES (?, ?, ?)",
        (account_key, pair.key_id, sealed))


def _open_sealed_key(own: keys.KeyPair, sealed: bytes) -> keys.KeyPair:
    try:
        raw = own.sealed_box.decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise AccountError("an account's copy of a centre key is damaged",
                           "an admin can remove the account and add it again") from None
    return keys.KeyPair(nacl.public.PrivateKey(raw))
