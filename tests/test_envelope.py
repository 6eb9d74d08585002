"""The envelope: padding, sealing, and every way an envelope can fail to open."""

from __future__ import annotations

import pytest

from tipsite.core import envelope, keys
from tipsite.core.errors import EnvelopeError


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


# --- one padded size per kind (issue 11, finding 4) --------------------------------

WIDEST = "\U0001f600"  # 4 bytes in UTF-8, the most any character takes


def largest_tip() -> bytes:
    """The biggest tip document the form lets through: every field full of 4-byte characters."""
    from tipsite.core import payload, receipt
    from tipsite.core.vocabulary import INDICATORS, RELATION_IDS, SETTING_IDS
    from tipsite.site import forms

    fields = {name: WIDEST * forms.SHORT_MAX for name in payload.TEXT_FIELDS}
    fields["description"] = WIDEST * forms.DESCRIPTION_MAX
    fields["contact"] = WIDEST * forms.CONTACT_MAX
    fields["setting"] = max(SETTING_IDS, key=len)
    fields["relation"] = max(RELATION_IDS, key=len)
    fields["indicators"] = sorted(INDICATORS)
    code = receipt.derive("9" * receipt.CODE_DIGITS, bytes(receipt.SALT_BYTES))
    return payload.tip_document(fields, "da", payload.utc_now(), code.reply_to())


def test_the_largest_possible_tip_fits_the_one_tip_size() -> None:
    assert len(largest_tip()) + envelope.LENGTH_BYTES <= envelope.PADDED_SIZE["tip"]
    assert len(envelope.pad(largest_tip(), "tip")) == envelope.PADDED_SIZE["tip"]


def test_the_largest_follow_up_fits_the_one_follow_up_size() -> None:
    from tipsite.core import payload, receipt
    from tipsite.site import forms

    code = receipt.derive("9" * receipt.CODE_DIGITS, bytes(receipt.SALT_BYTES))
    biggest = payload.followup_document(WIDEST * forms.DESCRIPTION_MAX, "da",
                                        payload.utc_now(), code.reply_to())
    assert len(envelope.pad(biggest, "followup")) == envelope.PADDED_SIZE["followup"]


def test_every_tip_seals_to_the_same_length(keypair: keys.KeyPair) -> None:
    from tipsite.core import payload

    tiny = payload.tip_document({"setting": "other", "location": "x", "description": "y"},
                                "da", payload.utc_now())
    lengths = {len(envelope.seal(doc, keypair.public, payload.KIND_TIP))
               for doc in (tiny, largest_tip())}
    assert lengths == {envelope.HEADER_BYTES + 48 + envelope.PADDED_SIZE["tip"]}


def test_a_document_larger_than_its_kind_falls_back_to_buckets() -> None:
    big = b"x" * envelope.PADDED_SIZE["followup"]
    assert len(envelope.pad(big, "followup")) == 32 * 1024
    assert len(envelope.pad(b"x" * 70_000, "tip")) == 2 * envelope.LARGE_STEP
