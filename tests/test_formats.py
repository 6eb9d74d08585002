"""docs/formats.md is true: every test vector on that page is checked against the code.

Each vector is checked twice where it can be: through Tipsite's own functions, and
through libsodium's primitives as the page names them (nacl.bindings), the way a
reader in another language would follow the page.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path

import nacl.bindings as sodium
import nacl.hash
import nacl.public
import nacl.pwhash
import pytest
from nacl.encoding import RawEncoder

from tipsite.core import envelope, keys, payload, receipt
from tipsite.site.config import ROOT

PAGE = ROOT / "docs" / "formats.md"
BLOCK = re.compile(r"^```(vector|vector-file|vector-json) (\S+)\n(.*?)^```$", re.M | re.S)
PASSPHRASE = "correct horse battery staple ÆØÅ"  # the page names it next to its vector


def blocks(kind: str, name: str | None = None) -> list[str]:
    found = [body for k, n, body in BLOCK.findall(PAGE.read_text(encoding="utf-8"))
             if k == kind and (name is None or n == name)]
    assert found, f"docs/formats.md has no {kind} {name or ''} block"
    return found


def fields(body: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in body.splitlines() if line.strip())
    return {key: value for key, value in pairs}


def test_every_vector_block_is_checked_here() -> None:
    names = {(k, n) for k, n, _ in BLOCK.findall(PAGE.read_text(encoding="utf-8"))}
    assert names == {("vector", "key"), ("vector-file", "centre.pub"),
                     ("vector-file", "centre.key"), ("vector", "padding"),
                     ("vector", "envelope"), ("vector", "receipt"), ("vector-json", "tip"),
                     ("vector-json", "followup"), ("vector-json", "reply")}


def test_fingerprint_and_key_id() -> None:
    [body] = blocks("vector", "key")
    v = fields(body)
    private = nacl.public.PrivateKey(bytes.fromhex(v["private_key"]))
    assert bytes(private.public_key).hex() == v["public_key"]
    assert sodium.crypto_scalarmult_base(bytes.fromhex(v["private_key"])).hex() == v["public_key"]
    person = b"tipsite-fpr-v1".ljust(16, b"\0")
    digest = nacl.hash.blake2b(bytes(private.public_key), digest_size=32, person=person,
                               encoder=RawEncoder)
    assert digest.hex() == v["digest"]
    assert digest[:8].hex() == v["key_id"] == keys.key_id(private.public_key).hex()
    assert keys.fingerprint(private.public_key) == v["fingerprint"]
    assert " ".join(digest[:16].hex().upper()[i:i + 4] for i in range(0, 32, 4)) == v[
        "fingerprint"]


def test_public_key_file(tmp_path: Path) -> None:
    [text] = blocks("vector-file", "centre.pub")
    [body] = blocks("vector", "key")
    path = tmp_path / "centre.pub"
    path.write_text(text, encoding="ascii")
    assert bytes(keys.load_public_key(path)).hex() == fields(body)["public_key"]
    [line] = [x for x in text.splitlines() if x and not x.startswith("#")]
    tag, b64 = line.split(" ")
    assert tag == keys.PUBLIC_TAG and base64.b64decode(b64).hex() == fields(body)["public_key"]


def test_private_key_file(tmp_path: Path) -> None:
    [text] = blocks("vector-file", "centre.key")
    [body] = blocks("vector", "key")
    v = fields(body)
    path = tmp_path / "centre.key"
    path.write_text(text, encoding="ascii")
    assert bytes(keys.load_private_key(path, PASSPHRASE).private).hex() == v["private_key"]
    # By hand, as the page says: nonce ‖ MAC ‖ ciphertext, Argon2id over the UTF-8 passphrase.
    [line] = [x for x in text.splitlines() if x and not x.startswith("#")]
    tag, public, alg, ops, mem, salt, locked = line.split(" ")
    assert (tag, alg) == (keys.PRIVATE_TAG, "argon2id")
    assert base64.b64decode(public).hex() == v["public_key"]
    raw = base64.b64decode(locked)
    assert len(raw) == 72
    key = sodium.crypto_pwhash_alg(32, PASSPHRASE.encode("utf-8"), base64.b64decode(salt),
                                   int(ops), int(mem), sodium.crypto_pwhash_ALG_ARGON2ID13)
    # The nonce is the first 24 bytes; MAC ‖ ciphertext (48 bytes) follow.
    opened = sodium.crypto_secretbox_open(raw[24:], raw[:24], key)
    assert opened.hex() == v["private_key"]


@pytest.mark.parametrize("body", blocks("vector", "padding"))
def test_padding(body: str) -> None:
    v = fields(body)
    plaintext = bytes.fromhex(v["plaintext"])
    padded = envelope.pad(plaintext, v["kind"])
    assert len(padded) == int(v["padded_length"])
    start = bytes.fromhex(v["padded_start"])
    assert padded.startswith(start) and padded[len(start):] == bytes(len(padded) - len(start))
    assert int.from_bytes(padded[:4], "big") == len(plaintext)  # the prefix counts in the size
    assert envelope.unpad(padded) == plaintext


def test_envelope() -> None:
    [body] = blocks("vector", "envelope")
    v = fields(body)
    private = nacl.public.PrivateKey(bytes.fromhex(v["private_key"]))
    sealed = bytes.fromhex(v["envelope"])
    plaintext = bytes.fromhex(v["plaintext"])
    assert envelope.open_envelope(sealed, [keys.KeyPair(private)]) == plaintext
    # By hand: magic, version, key id, then crypto_box_seal of the padded plaintext.
    assert sealed[:4] == b"TIPS" and sealed[4] == 1
    assert sealed[5:13] == keys.key_id(private.public_key)
    padded = sodium.crypto_box_seal_open(sealed[13:], bytes(private.public_key), bytes(private))
    assert len(sealed) == 13 + 48 + len(padded)
    length = int.from_bytes(padded[:4], "big")
    assert padded[4:4 + length] == plaintext


def test_receipt_derivation() -> None:
    [body] = blocks("vector", "receipt")
    v = fields(body)
    salt = bytes.fromhex(v["salt"])
    derived = receipt.derive(v["code"], salt)
    digits = receipt.normalise(v["code"])
    assert digits is not None and digits.encode("ascii").hex() == v["password"]
    assert bytes(derived.private).hex() == v["reply_private_key"]
    assert bytes(derived.private.public_key).hex() == v["reply_public_key"]
    assert derived.lookup == v["lookup"]
    # By hand: Argon2id seed, crypto_box_seed_keypair, personalised BLAKE2b-128.
    seed = sodium.crypto_pwhash_alg(32, bytes.fromhex(v["password"]), salt, 1, 8 * 1024 * 1024,
                                    sodium.crypto_pwhash_ALG_ARGON2ID13)
    assert seed.hex() == v["seed"]
    public, secret = sodium.crypto_box_seed_keypair(seed)
    assert (public.hex(), secret.hex()) == (v["reply_public_key"], v["reply_private_key"])
    lookup = nacl.hash.blake2b(public, digest_size=16, person=b"tipsite-lookup2\0",
                               encoder=RawEncoder)
    assert lookup.hex() == v["lookup"]
    assert receipt.is_bound(v["lookup"], base64.b64encode(public).decode(), "receipt-v2")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_documents_are_written_byte_for_byte_as_shown() -> None:
    [tip_text] = blocks("vector-json", "tip")
    [followup_text] = blocks("vector-json", "followup")
    [reply_text] = blocks("vector-json", "reply")
    tip, followup, reply = (json.loads(t) for t in (tip_text, followup_text, reply_text))
    made = payload.tip_document(tip["fields"], tip["lang"], _time(tip["received_at"]),
                                tip["reply_to"])
    assert made == tip_text.strip().encode("utf-8")
    made = payload.followup_document(followup["fields"]["message"], followup["lang"],
                                     _time(followup["received_at"]), followup["reply_to"])
    assert made == followup_text.strip().encode("utf-8")
    made = payload.reply_document(reply["message"], _time(reply["sent_at"]))
    assert made == reply_text.strip().encode("utf-8")
    # The documents carry the receipt vector's lookup id and key, and they are bound.
    [receipt_body] = blocks("vector", "receipt")
    v = fields(receipt_body)
    key = base64.b64encode(bytes.fromhex(v["reply_public_key"])).decode()
    assert tip["reply_to"] == {"derivation": "receipt-v2", "lookup": v["lookup"], "key": key}
    assert receipt.is_bound(tip["reply_to"]["lookup"], key, tip["reply_to"]["derivation"])
