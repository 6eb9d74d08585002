"""Key files of the centre, and the fingerprints people compare.

Two text files, written by ``hotline keygen``:

``centre.pub`` (goes on the server, in ``keys/``)::

    # Tipsite: the centre's PUBLIC key. ...
    # Fingerprint: 3F2A 91C0 5B7E 0D44 A1B2 C3D4 E5F6 0718
    tipsite-public-key-v1 <32 bytes, base64>

``centre.key`` (stays with the hotline staff, mode 0600, never on the server)::

    # Tipsite: the centre's PRIVATE key, locked with a passphrase. ...
    # Fingerprint: 3F2A 91C0 5B7E 0D44 A1B2 C3D4 E5F6 0718
    tipsite-private-key-v1 <public key> argon2id <opslimit> <memlimit> <salt> <SecretBox>

(all binary values base64). Lines starting with ``#`` are comments for people;
only the key line counts.
The public key rides along in the private key file, so its fingerprint and key id
can be read without the passphrase; unlocking checks that the two belong together.
The private key is locked with a key stretched from the passphrase by Argon2id
(``nacl.pwhash.argon2id``) and sealed with ``nacl.secret.SecretBox``; the cost
parameters are stored so a file stays readable whatever the current defaults.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder

from tipsite.core.errors import KeyFileError, WrongPassphrase

PUBLIC_TAG = "tipsite-public-key-v1"
PRIVATE_TAG = "tipsite-private-key-v1"
KEY_ID_BYTES = 8  # 64 bits: enough to pick among a handful of keys, not a secret
FINGERPRINT_BYTES = 16  # 128 bits, read aloud as 8 groups of 4 hex digits
_FINGERPRINT_PERSON = b"tipsite-fpr-v1"  # domain separation for the key hash

#: Argon2id cost levels. "moderate" (256 MiB) is the default for real keys;
#: tests choose "interactive" through HOTLINE_KDF_COST to stay fast.
KDF_COSTS: dict[str, tuple[int, int]] = {
    "interactive": (
        nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    ),
    "moderate": (
        nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
        nacl.pwhash.argon2id.MEMLIMIT_MODERATE,
    ),
    "sensitive": (
        nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE,
        nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE,
    ),
}
DEFAULT_KDF_COST = "moderate"


def _key_digest(public_key: nacl.public.PublicKey) -> bytes:
    return nacl.hash.blake2b(
        bytes(public_key),
        digest_size=32,
        person=_FINGERPRINT_PERSON,
        encoder=RawEncoder,
    )


def key_id(public_key: nacl.public.PublicKey) -> bytes:
    """The short id an envelope carries so the right private key can be found."""
    return _key_digest(public_key)[:KEY_ID_BYTES]


def fingerprint(public_key: nacl.public.PublicKey) -> str:
    """The key's fingerprint as people compare it: ``3F2A 91C0 …`` (8 groups)."""
    hexed = _key_digest(public_key)[:FINGERPRINT_BYTES].hex().upper()
    return " ".join(hexed[i : i + 4] for i in range(0, len(hexed), 4))


@dataclass(frozen=True)
class KeyPair:
    """A private key with the public key and ids derived from it."""

    private: nacl.public.PrivateKey

    @property
    def public(self) -> nacl.public.PublicKey:
        return self.private.public_key

    # Cached: matching thousands of envelopes must not hash the key once per envelope.
    @cached_property
    def key_id(self) -> bytes:
        return key_id(self.public)

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    @cached_property
    def sealed_box(self) -> nacl.public.SealedBox[nacl.public.PrivateKey]:
        """The box that opens envelopes sealed to this key (made once, used for many)."""
        return nacl.public.SealedBox(self.private)

    def __repr__(self) -> str:  # never show key material in a traceback or log
        return f"KeyPair(fingerprint={self.fingerprint!r})"


def generate() -> KeyPair:
    """A fresh key pair from the operating system's random source."""
    return KeyPair(nacl.public.PrivateKey.generate())


# --- writing -----------------------------------------------------------------


def public_key_text(public_key: nacl.public.PublicKey) -> str:
    """The text of a ``centre.pub`` file."""
    return (
        "# Tipsite: the centre's PUBLIC key. It only locks tips; it cannot open them.\n"
        "# Put this file on the server (keys/centre.pub). Compare the fingerprint\n"
        "# with the one the hotline staff read out before you trust it.\n"
        f"# Fingerprint: {fingerprint(public_key)}\n"
        f"{PUBLIC_TAG} {base64.b64encode(bytes(public_key)).decode()}\n"
    )


def private_key_text(pair: KeyPair, passphrase: str, cost: str = DEFAULT_KDF_COST) -> str:
    """The text of a ``centre.key`` file: the private key locked with ``passphrase``."""
    if not passphrase:
        raise KeyFileError("the passphrase is empty")
    opslimit, memlimit = KDF_COSTS[cost]
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_stretch(passphrase, salt, opslimit, memlimit))
    locked = box.encrypt(bytes(pair.private))
    return (
        "# Tipsite: the centre's PRIVATE key, locked with a passphrase.\n"
        "# It opens every tip. Keep it with the hotline staff; NEVER put it on the server.\n"
        f"# Fingerprint: {pair.fingerprint}\n"
        f"{PRIVATE_TAG} {base64.b64encode(bytes(pair.public)).decode()} "
        f"argon2id {opslimit} {memlimit} "
        f"{base64.b64encode(salt).decode()} {base64.b64encode(bytes(locked)).decode()}\n"
    )


def write_new_file(path: Path, text: str, mode: int) -> None:
    """Create ``path`` with ``text``; never overwrite an existing key file."""
    # O_EXCL: a second keygen must not silently destroy the key that opens old tips.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


# --- reading -----------------------------------------------------------------


def _key_line(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc}") from None
    return _key_line_of(text, path)


def _key_line_of(text: str, origin: Path | str) -> list[str]:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.split()
    raise KeyFileError(f"{origin} holds no key")


def _b64(text: str, path: Path | str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path} is damaged (bad base64)") from None


def load_public_key(path: Path) -> nacl.public.PublicKey:
    """Read a ``centre.pub`` file. A private key file here is an error, never used."""
    fields = _key_line(path)
    if fields[0] == PRIVATE_TAG:
        # The server must never hold the key that opens tips: whoever seized or broke into
        # it could then read every tip, which sealing them was meant to prevent.
        raise KeyFileError(
            f"{path} holds a PRIVATE key. The server must only have the public key "
            "(centre.pub); remove this file from the server now."
        )
    if fields[0] != PUBLIC_TAG or len(fields) != 2:
        raise KeyFileError(f"{path} is not a Tipsite public key file")
    return _public_from_b64(fields[1], path)


def is_private_key_file(path: Path) -> bool:
    """True if ``path`` is a Tipsite private key file (used by checks, not to read it)."""
    try:
        return _key_line(path)[0] == PRIVATE_TAG
    except KeyFileError:
        return False


def read_private_key_public_part(path: Path) -> nacl.public.PublicKey:
    """The public half stored in a ``centre.key`` file, read without the passphrase."""
    fields = _private_fields(path)
    return _public_from_b64(fields[1], path)


def load_private_key(path: Path, passphrase: str) -> KeyPair:
    """Unlock a ``centre.key`` file with ``passphrase``."""
    return _unlock(_private_fields(path), passphrase, path)


def unlock_private_text(text: str, passphrase: str, origin: str) -> KeyPair:
    """Unlock the text of a ``centre.key`` file kept elsewhere than a file (``origin`` names it)."""
    return _unlock(_check_private_fields(_key_line_of(text, origin), origin), passphrase, origin)


def _unlock(fields: list[str], passphrase: str, path: Path | str) -> KeyPair:
    public = _public_from_b64(fields[1], path)
    try:
        opslimit, memlimit = int(fields[3]), int(fields[4])
    except ValueError:
        raise KeyFileError(f"{path} is damaged (bad cost parameters)") from None
    salt, locked = _b64(fields[5], path), _b64(fields[6], path)
    if len(salt) != nacl.pwhash.argon2id.SALTBYTES:
        raise KeyFileError(f"{path} is damaged (bad salt)")
    box = nacl.secret.SecretBox(_stretch(passphrase, salt, opslimit, memlimit))
    try:
        raw = box.decrypt(locked)
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase(f"wrong passphrase for {path}") from None
    pair = KeyPair(nacl.public.PrivateKey(raw))
    if pair.public != public:
        raise KeyFileError(f"{path} is damaged (private and public halves differ)")
    return pair


def read_fingerprint(path: Path) -> str:
    """Fingerprint of a public or private key file (no passphrase needed)."""
    fields = _key_line(path)
    if fields[0] == PRIVATE_TAG:
        return fingerprint(read_private_key_public_part(path))
    return fingerprint(load_public_key(path))


def _private_fields(path: Path) -> list[str]:
    return _check_private_fields(_key_line(path), path)


def _check_private_fields(fields: list[str], path: Path | str) -> list[str]:
    if fields[0] == PUBLIC_TAG:
        raise KeyFileError(f"{path} is a public key; tips need the private key (centre.key)")
    if fields[0] != PRIVATE_TAG or len(fields) != 7 or fields[2] != "argon2id":
        raise KeyFileError(f"{path} is not a Tipsite private key file")
    return fields


def _public_from_b64(text: str, path: Path | str) -> nacl.public.PublicKey:
    raw = _b64(text, path)
    if len(raw) != nacl.public.PublicKey.SIZE:
        raise KeyFileError(f"{path} is damaged (wrong key length)")
    return nacl.public.PublicKey(raw)


def _stretch(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    try:
        return nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode("utf-8"),
            salt,
            opslimit=opslimit,
            memlimit=memlimit,
        )
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise KeyFileError(f"cannot derive the key from the passphrase: {exc}") from None
