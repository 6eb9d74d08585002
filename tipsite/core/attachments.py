"""A tip with photos: one sealed envelope holding the document and every photo.

One envelope, not one per photo, so storage is all or nothing: a crash leaves the
whole tip with its photos, or nothing, never a tip without its photos or a photo
without its tip; and the photos are linked to their tip inside the seal, where
the server cannot swap them.

Container, format version 1 (all integers unsigned, big-endian)::

    offset  size  field
    0       4     magic, the ASCII bytes "TIPA"
    4       1     format version, 1
    5       4     n, the length of the document
    9       n     the document (a tip or follow-up, payload.py)
    9+n     1     k, the number of photos, 1 to 255
    then k times:
            1     type: 1 JPEG, 2 PNG
            4     m, the length of the photo
            m     the photo (a whole JPEG or PNG file)

Nothing follows the last photo. The container is padded like any plaintext (a
4-byte length prefix, then zeros, envelope.py) but to its own buckets: powers of
two from 1 MiB, so an envelope's size says little about the photos in it. A tip
without photos is sealed exactly as before, as its bare document, so an older
staff tool still reads every text-only tip. Every byte: docs/formats-photos.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import nacl.public

from tipsite.core.envelope import LENGTH_BYTES, seal, seal_padded
from tipsite.core.errors import AttachmentError

MAGIC = b"TIPA"
VERSION = 1
TYPE_JPEG = 1
TYPE_PNG = 2
#: What each type's bytes must start with: the staff side shows and saves photos
#: under these types, so a mislabelled one (say HTML) is refused, not served.
SIGNATURES = {TYPE_JPEG: b"\xff\xd8\xff", TYPE_PNG: b"\x89PNG\r\n\x1a\n"}
MEDIA_TYPES = {TYPE_JPEG: "image/jpeg", TYPE_PNG: "image/png"}
SUFFIXES = {TYPE_JPEG: ".jpg", TYPE_PNG: ".png"}
MAX_PHOTOS = 255  # what one byte counts; the site allows far fewer (photolimits.py)
MIN_PADDED = 1024 * 1024
#: The largest padded container: 5 photos of the site's largest re-encoded size fit
#: many times over; above it a tip is refused rather than stored half.
MAX_PADDED = 256 * 1024 * 1024
_HEAD = len(MAGIC) + 1 + 4  # magic, version, document length
_PHOTO_HEAD = 1 + 4  # type, length


@dataclass(frozen=True)
class Photo:
    """One photo as it travels sealed: its type (TYPE_JPEG or TYPE_PNG) and its bytes."""

    type: int
    data: bytes

    @property
    def media_type(self) -> str:
        """The MIME type to serve or save it as."""
        return MEDIA_TYPES[self.type]

    @property
    def suffix(self) -> str:
        """The file name ending to save it with."""
        return SUFFIXES[self.type]

    def __repr__(self) -> str:  # a photo's bytes never reach a log
        return f"Photo(type={self.type}, {len(self.data)} bytes)"


def pack_container(document: bytes, photos: Sequence[Photo]) -> bytes:
    """The container holding ``document`` and ``photos`` (at least one), unpadded."""
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise AttachmentError(f"a container holds 1 to {MAX_PHOTOS} photos, not {len(photos)}")
    total = _HEAD + len(document) + 1 + sum(_PHOTO_HEAD + len(p.data) for p in photos)
    if total + LENGTH_BYTES > MAX_PADDED:  # checked first: lengths must fit in 4 bytes
        raise AttachmentError(f"a tip of {total} bytes with photos is too large to seal")
    parts = [MAGIC, bytes([VERSION]), _u32(len(document)), document, bytes([len(photos)])]
    for photo in photos:
        _check_photo(photo.type, photo.data)
        parts += [bytes([photo.type]), _u32(len(photo.data)), photo.data]
    return b"".join(parts)


def padded_size(length: int) -> int:
    """The padded size of a ``length``-byte container: a power of two from 1 MiB."""
    size = MIN_PADDED
    while size < length + LENGTH_BYTES:
        size *= 2
    return size


def pad_container(container: bytes) -> bytes:
    """Length-prefix ``container`` and fill with zeros up to its bucket."""
    size = padded_size(len(container))
    if size > MAX_PADDED:
        raise AttachmentError(f"a tip of {len(container)} bytes with photos is too large to seal")
    body = _u32(len(container)) + container
    return body + bytes(size - len(body))


def seal_document(
    public_key: nacl.public.PublicKey,
    document: bytes,
    photos: Sequence[Photo],
    kind: str = "tip",
) -> bytes:
    """Seal ``document`` (a ``kind`` payload) with its ``photos`` into one envelope.

    Without photos this is exactly :func:`envelope.seal` of the document, so a
    text-only tip looks as it always has.
    """
    if not photos:
        return seal(document, public_key, kind)
    return seal_padded(pad_container(pack_container(document, photos)), public_key)


def is_container(plaintext: bytes) -> bool:
    """Whether an opened envelope's plaintext is a container (else a bare document)."""
    return plaintext.startswith(MAGIC)


def open_container(plaintext: bytes) -> tuple[bytes, list[Photo]]:
    """Split an opened envelope's plaintext into its document and photos.

    A bare document (a tip without photos) comes back with no photos. Anything
    malformed raises :class:`AttachmentError`: a length that overruns, an unknown
    type, bytes that are not the type they claim, or anything after the last photo.
    """
    if not is_container(plaintext):
        return plaintext, []
    if len(plaintext) < _HEAD or plaintext[len(MAGIC)] != VERSION:
        raise AttachmentError("corrupt: unknown or truncated photo container")
    reader = _Reader(plaintext, len(MAGIC) + 1)
    document = reader.take(reader.u32(), "document")
    count = reader.u8()
    if count < 1:
        raise AttachmentError("corrupt: a photo container without photos")
    photos = []
    for _ in range(count):
        photo_type = reader.u8()
        data = reader.take(reader.u32(), "photo")
        _check_photo(photo_type, data)
        photos.append(Photo(photo_type, data))
    if reader.offset != len(plaintext):
        raise AttachmentError("corrupt: bytes after the last photo")
    return document, photos


class _Reader:
    """Reads fields off a container, refusing any that would run past its end."""

    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def take(self, length: int, what: str) -> bytes:
        end = self.offset + length
        if end > len(self.data):
            raise AttachmentError(f"corrupt: the {what} runs past the end of the container")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def u8(self) -> int:
        return self.take(1, "count or type")[0]

    def u32(self) -> int:
        return int.from_bytes(self.take(4, "length"), "big")


def _check_photo(photo_type: int, data: bytes) -> None:
    signature = SIGNATURES.get(photo_type)
    if signature is None:
        raise AttachmentError(f"corrupt: unknown photo type {photo_type}")
    if not data.startswith(signature):
        raise AttachmentError(f"corrupt: a photo is not the {MEDIA_TYPES[photo_type]} it claims")


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")
