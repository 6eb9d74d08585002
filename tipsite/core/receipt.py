"""Receipt codes: how an anonymous tipster reaches their own conversation again.

The thank-you page shows a 20-digit code (about 66 bits), in five groups of four.
Derivation ``receipt-v2`` (docs/formats.md, "Receipt codes", has every byte):

1. Argon2id (``nacl.pwhash.argon2id``, libsodium's ``crypto_pwhash``) stretches
   the 20 ASCII digits, without spaces, with the site's **own random salt**
   (16 bytes, see :func:`instance_salt`) into a 32-byte seed;
2. the seed makes the **reply key pair** (libsodium's ``crypto_box_seed_keypair``):
   staff seal replies to its public key, which travels only inside the sealed tip;
3. the **lookup id** is BLAKE2b-128 of that public key, personalised
   ``tipsite-lookup2``: the folder the server keeps replies in, and the label that
   links follow-ups to their tip inside sealed payloads.

Because the lookup id is a hash of the reply key, a lookup id and a key that do not
belong together are seen at once (:func:`is_bound`): whoever can write the inbox
cannot send a follow-up with a real lookup id and their own key unnoticed.
The salt is random per site, so one guess tests one site's lookup ids, never every
site's, and no work can be done before a server is seized. The code, the seed
and the private key are never stored or logged. Cost, and why it is enough:
SECURITY.md, "What follow-up adds".
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import nacl.public
import nacl.pwhash

from tipsite.core.durable import made_once
from tipsite.core.errors import ConfigError

DERIVATION = "receipt-v2"  # named inside every sealed tip, so a later change can keep old codes
CODE_DIGITS = 20
GROUP = 4
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
# Argon2id cost: one pass over 8 MiB. With 20 digits this puts the first hit among
# 1,000 stored lookup ids beyond 30,000 GPU-years (SECURITY.md has the arithmetic).
OPSLIMIT = 1
MEMLIMIT = 8 * 1024 * 1024
SEED_BYTES = 32
LOOKUP_BYTES = 16
_LOOKUP_PERSON = b"tipsite-lookup2"  # domain separation: this hash is used for nothing else
LOOKUP_PATTERN = re.compile(r"[0-9a-f]{32}")
SALT_FILE = "receipt_salt"


def new_code() -> str:
    """A fresh receipt code, in groups of four digits: ``1234 5678 9012 3456 7890``."""
    return grouped(f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}")


def grouped(digits: str) -> str:
    """``digits`` in groups of four, as the pages show a code."""
    return " ".join(digits[i : i + GROUP] for i in range(0, len(digits), GROUP))


def normalise(text: str) -> str | None:
    """The 20 digits of a typed code (spaces, dashes and dots allowed), or None."""
    digits = re.sub(r"[\s\-–.]", "", text)
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def lookup_of(public_key: bytes) -> str:
    """The lookup id that belongs to a reply public key (32 bytes), as 32 hex digits."""
    # hashlib's BLAKE2b (the same function as libsodium's crypto_generichash, person
    # padded with zeros): an export checks 10,000 tips, and PyNaCl's call costs 10x more.
    return hashlib.blake2b(public_key, digest_size=LOOKUP_BYTES, person=_LOOKUP_PERSON).hexdigest()


def is_bound(lookup: str, key_b64: str, derivation: object) -> bool:
    """True if ``lookup`` is the lookup id of reply key ``key_b64`` under ``derivation``.

    The staff side asks this of every tip and follow-up it opens: a pair that does
    not match was not made from a receipt code, and never receives a reply.
    """
    if derivation != DERIVATION:
        return False  # an unknown derivation binds nothing we could check
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except ValueError:  # binascii.Error is one
        return False
    return len(raw) == nacl.public.PublicKey.SIZE and secrets.compare_digest(
        lookup_of(raw), lookup)


@dataclass(frozen=True)
class Receipt:
    """What a receipt code opens: the lookup id and the reply key pair."""

    lookup: str
    private: nacl.public.PrivateKey

    @property
    def public_b64(self) -> str:
        return base64.b64encode(bytes(self.private.public_key)).decode()

    def reply_to(self) -> dict[str, str]:
        """The ``reply_to`` object a sealed tip or follow-up carries."""
        return {"derivation": DERIVATION, "lookup": self.lookup, "key": self.public_b64}

    def __repr__(self) -> str:  # never print the private key
        return f"Receipt(lookup={self.lookup!r})"


def derive(code: str, salt: bytes, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT
           ) -> Receipt:
    """The lookup id and reply key pair of ``code`` (normalised or formatted) at this site."""
    digits = normalise(code)
    if digits is None:
        raise ValueError(f"a receipt code has {CODE_DIGITS} digits")
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the receipt salt has {SALT_BYTES} bytes")
    seed = nacl.pwhash.argon2id.kdf(
        SEED_BYTES, digits.encode("ascii"), salt, opslimit=opslimit, memlimit=memlimit
    )
    private = nacl.public.PrivateKey.from_seed(seed)  # crypto_box_seed_keypair
    return Receipt(lookup=lookup_of(bytes(private.public_key)), private=private)


def is_lookup(text: str) -> bool:
    """True if ``text`` has the form of a lookup id (guards paths built from input)."""
    return LOOKUP_PATTERN.fullmatch(text) is not None


def reply_public_key(b64: str) -> nacl.public.PublicKey:
    """The reply public key as carried inside a sealed tip."""
    return nacl.public.PublicKey(base64.b64decode(b64, validate=True))


def parse_salt(text: str) -> bytes:
    """A salt given as 32 hex digits (``TIPSITE_RECEIPT_SALT``)."""
    try:
        salt = bytes.fromhex(text.strip())
    except ValueError:
        salt = b""
    if len(salt) != SALT_BYTES:
        raise ConfigError(f"TIPSITE_RECEIPT_SALT must be {2 * SALT_BYTES} hex digits "
                          "(make one with: python3 -c 'import secrets; "
                          "print(secrets.token_hex(16))')")
    return salt


def instance_salt(instance: Path) -> bytes:
    """The site's receipt salt, kept in the instance folder: made once, read by every worker.

    Every node of one site must use the same salt (or no code works on the node
    that did not make it): share the instance folder, or set ``TIPSITE_RECEIPT_SALT``.
    Losing it makes every code of the site useless; it is not a secret, but it is
    the site's own, so that guessing work cannot be shared between sites.
    """
    path = instance / SALT_FILE
    try:
        text = made_once(path, secrets.token_hex(SALT_BYTES) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the receipt salt in {path}: {exc.strerror}. "
            "Set TIPSITE_RECEIPT_SALT or make the instance folder writable."
        ) from None
    try:
        return parse_salt(text)
    except ConfigError:
        raise ConfigError(f"{path} is damaged; restore it from a backup (without it no "
                          "receipt code of this site works)") from None
