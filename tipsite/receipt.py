"""Receipt codes: how an anonymous tipster reaches their own conversation again.

The thank-you page shows a 16-digit code (about 53 bits). From it, Argon2id
(``nacl.pwhash.argon2id``) derives 64 bytes once; they are split into

- a **lookup id** (the first 16 bytes, hex): the folder the server keeps replies
  in, and the label that links follow-ups to a tip inside sealed payloads;
- a **reply key pair** (X25519, from the last 32 bytes as seed): staff seal
  replies to its public key, which travels only inside the sealed tip.

One derivation split in two costs half of two derivations with distinct salts,
and knowing the lookup id reveals nothing of the key seed short of guessing the
code. The code, the seed and the private key are never stored or logged; the
server derives them while a tipster is using the code and forgets them after.
Cost: opslimit 2, 8 MiB (about 12 ms here). Guessing all 10^16 codes offline
against a seized server's lookup ids costs millions of CPU-years; online guessing
meets the rate limits first.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

import nacl.public
import nacl.pwhash

CODE_DIGITS = 16
SALT = b"tipsite-receipt1"  # fixed: the same code must always give the same lookup id
OPSLIMIT = 2
MEMLIMIT = 8 * 1024 * 1024
LOOKUP_PATTERN = re.compile(r"[0-9a-f]{32}")


def new_code() -> str:
    """A fresh receipt code, in groups of four digits: ``1234 5678 9012 3456``."""
    digits = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return " ".join(digits[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def normalise(text: str) -> str | None:
    """The 16 digits of a typed code (spaces and dashes allowed), or None."""
    digits = re.sub(r"[\s\-–.]", "", text)
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


@dataclass(frozen=True)
class Receipt:
    """What a receipt code opens: the lookup id and the reply key pair."""

    lookup: str
    private: nacl.public.PrivateKey

    @property
    def public_b64(self) -> str:
        return base64.b64encode(bytes(self.private.public_key)).decode()

    def __repr__(self) -> str:  # never print the private key
        return f"Receipt(lookup={self.lookup!r})"


def derive(code: str) -> Receipt:
    """The lookup id and reply key pair of ``code`` (give it normalised or formatted)."""
    digits = normalise(code)
    if digits is None:
        raise ValueError("a receipt code has 16 digits")
    stretched = nacl.pwhash.argon2id.kdf(
        64, digits.encode("ascii"), SALT, opslimit=OPSLIMIT, memlimit=MEMLIMIT
    )
    return Receipt(
        lookup=stretched[:16].hex(),
        private=nacl.public.PrivateKey.from_seed(stretched[32:]),
    )


def is_lookup(text: str) -> bool:
    """True if ``text`` has the form of a lookup id (guards paths built from input)."""
    return LOOKUP_PATTERN.fullmatch(text) is not None


def reply_public_key(b64: str) -> nacl.public.PublicKey:
    """The reply public key as carried inside a sealed tip."""
    return nacl.public.PublicKey(base64.b64decode(b64, validate=True))
