"""The sealed envelope: the only form in which a tip is ever stored or moved.

This module is the one place the format is defined; the site seals with it and
the staff tool opens with it.

Envelope, format version 1 (all integers big-endian)::

    offset  size  field
    0       4     magic, the ASCII bytes "TIPS"
    4       1     format version, 1
    5       8     key id: first 8 bytes of BLAKE2b(public key), see keys.key_id
    13      ...   nacl.public.SealedBox(public key).encrypt(padded plaintext)

Padded plaintext::

    0       4     n, the length of the plaintext
    4       n     the plaintext (a payload document, see payload.py)
    4+n     ...   zero bytes up to the padded size (which counts these first 4 bytes)

Every tip is padded to one size, every follow-up to another and every reply to a
third (:data:`PADDED_SIZE`), each larger than the biggest document the form or
the staff tool lets through, so an envelope's length says nothing about the text
in it. Anything else (staff notes), or a document larger than its kind's size,
falls back to buckets: powers of two from 1 KiB to 64 KiB, then whole multiples
of 64 KiB. Every byte: docs/formats.md.
A sealed box needs no sender key: the server can lock, only the centre can open.
"""

from __future__ import annotations

from collections.abc import Iterable

import nacl.exceptions
import nacl.public

from tipsite.core.errors import EnvelopeError
from tipsite.core.keys import KEY_ID_BYTES, KeyPair, key_id

MAGIC = b"TIPS"
VERSION = 1
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES
_PREFIX = MAGIC + bytes([VERSION])  # what precedes the key id
LENGTH_BYTES = 4
MIN_BUCKET = 1024
LARGE_STEP = 64 * 1024
MAX_PLAINTEXT = 1024 * 1024  # far above any tip the form allows
#: One padded size per kind of document (payload.KIND_*), length prefix included.
#: A tip is at most 7,500 characters of text (forms.py), 4 bytes each in UTF-8, plus
#: about 1 KB of names and ids: 32 KiB holds the largest (tests/test_envelope.py
#: builds it). A follow-up holds 5,000 characters; a reply is capped by the staff
#: API's 64 KiB envelope, and a reply over 32 KiB falls back to 64 KiB buckets.
PADDED_SIZE = {"tip": 32 * 1024, "followup": 24 * 1024, "reply": 32 * 1024}


def bucket_size(length: int) -> int:
    """The padded size for ``length`` bytes of plaintext plus its length prefix."""
    needed = length + LENGTH_BYTES
    if needed > LARGE_STEP:
        return -(-needed // LARGE_STEP) * LARGE_STEP
    size = MIN_BUCKET
    while size < needed:
        size *= 2
    return size


def padded_size(length: int, kind: str | None = None) -> int:
    """The padded size of ``length`` bytes of a ``kind`` document (None: buckets only)."""
    fixed = PADDED_SIZE.get(kind or "", 0)
    return fixed if length + LENGTH_BYTES <= fixed else bucket_size(length)


def pad(plaintext: bytes, kind: str | None = None) -> bytes:
    """Length-prefix ``plaintext`` and fill with zeros up to its kind's size or bucket."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise EnvelopeError(f"plaintext of {len(plaintext)} bytes is too large to seal")
    body = len(plaintext).to_bytes(LENGTH_BYTES, "big") + plaintext
    return body + bytes(padded_size(len(plaintext), kind) - len(body))


def unpad(padded: bytes) -> bytes:
    """Undo :func:`pad`; a length that does not fit means the envelope is corrupt."""
    length = int.from_bytes(padded[:LENGTH_BYTES], "big")
    if len(padded) < LENGTH_BYTES or LENGTH_BYTES + length > len(padded):
        raise EnvelopeError("corrupt: the padding does not match the content")
    return padded[LENGTH_BYTES : LENGTH_BYTES + length]


def seal(plaintext: bytes, public_key: nacl.public.PublicKey, kind: str | None = None) -> bytes:
    """Pad ``plaintext`` (a ``kind`` document) and seal it: only the private key opens it."""
    return seal_padded(pad(plaintext, kind), public_key)


def seal_padded(padded: bytes, public_key: nacl.public.PublicKey) -> bytes:
    """Seal plaintext that is already padded (length prefix, zeros) into an envelope.

    For content with padding rules of its own (a tip with photos, attachments.py);
    whatever the padding, :func:`open_envelope` reads it back.
    """
    sealed = nacl.public.SealedBox(public_key).encrypt(padded)
    return MAGIC + bytes([VERSION]) + key_id(public_key) + bytes(sealed)


def envelope_key_id(envelope: bytes) -> bytes:
    """The key id an envelope was sealed to, after checking magic and version."""
    if len(envelope) < HEADER_BYTES or not envelope.startswith(MAGIC):
        raise EnvelopeError("corrupt or truncated: not a Tipsite envelope")
    version = envelope[len(MAGIC)]
    if version != VERSION:
        raise EnvelopeError(f"unknown envelope version {version} (this tool reads {VERSION})")
    return envelope[len(MAGIC) + 1 : HEADER_BYTES]


def key_ids(envelopes: Iterable[bytes]) -> set[bytes]:
    """The key ids the given envelopes were sealed to; damaged ones are skipped.

    A slice per envelope, not :func:`envelope_key_id`'s checks and exceptions: this
    runs over every envelope of a big export, and a damaged one is reported when
    it is opened.
    """
    start = len(_PREFIX)
    return {data[start:HEADER_BYTES] for data in envelopes
            if data[:start] == _PREFIX and len(data) >= HEADER_BYTES}


def open_envelope(envelope: bytes, keys: Iterable[KeyPair]) -> bytes:
    """Return the plaintext of ``envelope``, using whichever of ``keys`` it was sealed to."""
    wanted = envelope_key_id(envelope)
    for pair in keys:
        if pair.key_id == wanted:
            break
    else:
        raise EnvelopeError(f"sealed to another key (key id {wanted.hex()})")
    try:
        padded = pair.sealed_box.decrypt(envelope[HEADER_BYTES:])
    except nacl.exceptions.CryptoError:
        raise EnvelopeError("corrupt or truncated: the seal does not open") from None
    return unpad(padded)
