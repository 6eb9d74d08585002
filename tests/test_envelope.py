"""The envelope: padding, sealing, and every way an envelope can fail to open."""

from __future__ import annotations

import pytest

from tipsite import envelope, keys
from tipsite.errors import EnvelopeError


def test_round_trip(keypair: keys.KeyPair) -> None:
    text = "Kvinderne bor i klinikken 😟 æøå".encode()
    assert envelope.open_envelope(envelope.seal(text, keypair.public), [keypair]) == text


def test_envelope_names_its_format_and_key(keypair: keys.KeyPair) -> None:
    sealed = envelope.seal(b"x", keypair.public)
    assert sealed[:4] == b"TIPS"
    assert sealed[4] == envelope.VERSION
    assert envelope.envelope_key_id(sealed) == keypair.key_id


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(0, 1024), (1020, 1024), (1021, 2048), (5000, 8192), (70_000, 128 * 1024)],
)
def test_plaintext_is_padded_to_a_bucket(length: int, bucket: int) -> None:
    assert len(envelope.pad(b"a" * length)) == bucket


def test_similar_tips_give_envelopes_of_equal_length(keypair: keys.KeyPair) -> None:
    short = envelope.seal(b"a" * 10, keypair.public)
    longer = envelope.seal(b"a" * 900, keypair.public)
    assert len(short) == len(longer)


def test_the_right_key_is_picked_among_several(keypair: keys.KeyPair) -> None:
    old, new = keys.generate(), keypair
    sealed = envelope.seal(b"old tip", old.public)
    assert envelope.open_envelope(sealed, [new, old]) == b"old tip"


def test_sealed_to_another_key(keypair: keys.KeyPair) -> None:
    sealed = envelope.seal(b"x", keys.generate().public)
    with pytest.raises(EnvelopeError, match="another key"):
        envelope.open_envelope(sealed, [keypair])


def test_truncated(keypair: keys.KeyPair) -> None:
    sealed = envelope.seal(b"x", keypair.public)
    with pytest.raises(EnvelopeError, match="truncated"):
        envelope.open_envelope(sealed[:-10], [keypair])
    with pytest.raises(EnvelopeError, match="truncated"):
        envelope.open_envelope(sealed[:6], [keypair])


def test_corrupt(keypair: keys.KeyPair) -> None:
    sealed = bytearray(envelope.seal(b"x", keypair.public))
    sealed[40] ^= 0x01
    with pytest.raises(EnvelopeError, match="corrupt"):
        envelope.open_envelope(bytes(sealed), [keypair])


def test_not_an_envelope(keypair: keys.KeyPair) -> None:
    with pytest.raises(EnvelopeError, match="not a Tipsite envelope"):
        envelope.open_envelope(b"hello, this is plain text", [keypair])


def test_unknown_version(keypair: keys.KeyPair) -> None:
    sealed = bytearray(envelope.seal(b"x", keypair.public))
    sealed[4] = 99
    with pytest.raises(EnvelopeError, match="unknown envelope version 99"):
        envelope.open_envelope(bytes(sealed), [keypair])


def test_padding_that_lies_about_its_length_is_corrupt() -> None:
    with pytest.raises(EnvelopeError, match="padding"):
        envelope.unpad((5000).to_bytes(4, "big") + bytes(1020))
