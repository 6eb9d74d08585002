"""A tip and its photos travel in one sealed envelope, read back strictly.

The vector of docs/formats-photos.md is checked against the code and against a
reader written from that page alone (``read_as_the_page_says``), the way another
team would write one.
"""

from __future__ import annotations

import hashlib
import re

import nacl.public
import pytest

from tipsite.core import attachments, envelope
from tipsite.core.attachments import TYPE_JPEG, TYPE_PNG, Photo
from tipsite.core.errors import AttachmentError, EnvelopeError
from tipsite.core.keys import KeyPair
from tipsite.site.config import ROOT

PAGE = ROOT / "docs" / "formats-photos.md"
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"png body"
DOCUMENT = b'{"schema":1,"kind":"tip","fields":{"description":"s\xc3\xa6t"}}'


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return KeyPair(nacl.public.PrivateKey.generate())


def vector() -> dict[str, str]:
    [body] = re.findall(r"^```vector container\n(.*?)^```$", PAGE.read_text("utf-8"), re.M | re.S)
    return dict(line.split(": ", 1) for line in body.splitlines() if line.strip())


def read_as_the_page_says(plain: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
    """A reader following docs/formats-photos.md section 2 step by step, sharing no code."""
    assert plain[:4] == b"TIPA" and plain[4] == 1
    n = int.from_bytes(plain[5:9], "big")
    document, at = plain[9 : 9 + n], 9 + n
    k, at = plain[at], at + 1
    photos = []
    for _ in range(k):
        kind, m = plain[at], int.from_bytes(plain[at + 1 : at + 5], "big")
        photos.append((kind, plain[at + 5 : at + 5 + m]))
        at += 5 + m
    assert at == len(plain)
    return document, photos


def test_the_page_vector_is_what_the_code_writes() -> None:
    v = vector()
    photos = [Photo(int(v["photo_1_type"]), bytes.fromhex(v["photo_1"])),
              Photo(int(v["photo_2_type"]), bytes.fromhex(v["photo_2"]))]
    container = attachments.pack_container(bytes.fromhex(v["document"]), photos)
    assert container.hex() == v["container"]
    padded = attachments.pad_container(container)
    assert len(padded) == int(v["padded_length"])
    assert padded.hex().startswith(v["padded_start"])
    assert hashlib.sha256(padded).hexdigest() == v["padded_sha256"]
    assert envelope.unpad(padded) == container


def test_the_page_vector_reads_back_by_the_code_and_by_the_page() -> None:
    v = vector()
    container = bytes.fromhex(v["container"])
    expected = [(int(v["photo_1_type"]), bytes.fromhex(v["photo_1"])),
                (int(v["photo_2_type"]), bytes.fromhex(v["photo_2"]))]
    document, photos = attachments.open_container(container)
    assert document == bytes.fromhex(v["document"])
    assert [(p.type, p.data) for p in photos] == expected
    assert read_as_the_page_says(container) == (document, expected)


def test_a_tip_and_its_photos_open_together(pair: KeyPair) -> None:
    photos = [Photo(TYPE_JPEG, JPEG), Photo(TYPE_PNG, PNG)]
    sealed = attachments.seal_document(pair.public, DOCUMENT, photos)
    plain = envelope.open_envelope(sealed, [pair])
    assert attachments.is_container(plain)
    assert attachments.open_container(plain) == (DOCUMENT, photos)
    assert [p.media_type for p in photos] == ["image/jpeg", "image/png"]
    assert [p.suffix for p in photos] == [".jpg", ".png"]


def test_a_tip_without_photos_is_sealed_as_it_always_was(pair: KeyPair) -> None:
    """Same padded size and the bare document inside: an older staff tool reads it."""
    sealed = attachments.seal_document(pair.public, DOCUMENT, [])
    assert len(sealed) == len(envelope.seal(DOCUMENT, pair.public, "tip"))
    assert len(sealed) == envelope.HEADER_BYTES + 48 + envelope.PADDED_SIZE["tip"]
    plain = envelope.open_envelope(sealed, [pair])
    assert plain == DOCUMENT and not attachments.is_container(plain)
    assert attachments.open_container(plain) == (DOCUMENT, [])


def test_a_followup_without_photos_keeps_its_own_size(pair: KeyPair) -> None:
    sealed = attachments.seal_document(pair.public, DOCUMENT, [], kind="followup")
    assert len(sealed) == envelope.HEADER_BYTES + 48 + envelope.PADDED_SIZE["followup"]


@pytest.mark.parametrize(("photo_bytes", "padded"), [
    (10, 1 << 20),
    (900_000, 1 << 20),
    (1_100_000, 2 << 20),
    (5_000_000, 8 << 20),
])
def test_envelopes_with_photos_come_in_power_of_two_sizes(
    pair: KeyPair, photo_bytes: int, padded: int
) -> None:
    photo = Photo(TYPE_JPEG, JPEG + bytes(photo_bytes))
    sealed = attachments.seal_document(pair.public, DOCUMENT, [photo])
    assert len(sealed) == envelope.HEADER_BYTES + 48 + padded


def test_two_different_small_tips_with_photos_are_the_same_size(pair: KeyPair) -> None:
    one = attachments.seal_document(pair.public, b"{}", [Photo(TYPE_PNG, PNG)])
    other = attachments.seal_document(pair.public, DOCUMENT * 100,
                                      [Photo(TYPE_JPEG, JPEG + bytes(300_000))] * 3)
    assert len(one) == len(other)


def good() -> bytes:
    return attachments.pack_container(DOCUMENT, [Photo(TYPE_JPEG, JPEG), Photo(TYPE_PNG, PNG)])


def replace(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


PHOTO_1 = 9 + len(DOCUMENT) + 1  # where the first photo record starts
MALFORMED = [
    ("version 2", lambda: replace(good(), 4, b"\x02")),
    ("document runs past the end", lambda: replace(good(), 5, (10**6).to_bytes(4, "big"))),
    ("no photos", lambda: attachments.MAGIC + b"\x01" + (2).to_bytes(4, "big") + b"{}\x00"),
    ("unknown type 3", lambda: replace(good(), PHOTO_1, b"\x03")),
    ("type 0", lambda: replace(good(), PHOTO_1, b"\x00")),
    ("PNG labelled JPEG", lambda: replace(good(), PHOTO_1 + 5 + len(JPEG), b"\x01")),
    ("HTML labelled JPEG", lambda: attachments.MAGIC + b"\x01" + (2).to_bytes(4, "big")
     + b"{}\x01\x01" + (6).to_bytes(4, "big") + b"<html>"),
    ("photo length overruns", lambda: replace(good(), PHOTO_1 + 1, (10**6).to_bytes(4, "big"))),
    ("one more photo counted than present", lambda: replace(good(), PHOTO_1 - 1, b"\x03")),
    ("a trailing byte", lambda: good() + b"\x00"),
    ("trailing text", lambda: good() + b"<script>"),
    ("magic alone", lambda: attachments.MAGIC),
]


@pytest.mark.parametrize(("what", "make"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_container_is_refused(what: str, make: object) -> None:
    assert callable(make)
    with pytest.raises(AttachmentError):
        attachments.open_container(make())


def test_every_truncation_of_a_container_is_refused() -> None:
    data = good()
    for cut in range(len(attachments.MAGIC), len(data)):
        with pytest.raises(AttachmentError):
            attachments.open_container(data[:cut])


def test_attachment_errors_are_envelope_errors() -> None:
    """The staff tool's existing handling of a damaged envelope covers a damaged container."""
    assert issubclass(AttachmentError, EnvelopeError)


@pytest.mark.parametrize("photos", [[], [Photo(TYPE_JPEG, JPEG)] * 256])
def test_a_container_holds_one_to_255_photos(photos: list[Photo]) -> None:
    with pytest.raises(AttachmentError):
        attachments.pack_container(DOCUMENT, photos)


@pytest.mark.parametrize("photo", [Photo(TYPE_JPEG, PNG), Photo(9, JPEG), Photo(TYPE_PNG, b"")])
def test_only_real_jpegs_and_pngs_are_packed(photo: Photo) -> None:
    with pytest.raises(AttachmentError):
        attachments.pack_container(DOCUMENT, [photo])


def test_a_photo_repr_shows_no_bytes() -> None:
    assert repr(Photo(TYPE_JPEG, JPEG)) == f"Photo(type=1, {len(JPEG)} bytes)"
