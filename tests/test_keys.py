"""Key files: the public key locks, the passphrase-locked private key opens."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tipsite import keys
from tipsite.errors import KeyFileError, WrongPassphrase

from .conftest import PASSPHRASE, KeyFiles


def test_private_key_round_trips_with_the_right_passphrase(key_files: KeyFiles) -> None:
    pair = keys.load_private_key(key_files.private, PASSPHRASE)
    assert bytes(pair.private) == bytes(key_files.pair.private)


def test_wrong_passphrase_is_refused(key_files: KeyFiles) -> None:
    with pytest.raises(WrongPassphrase):
        keys.load_private_key(key_files.private, "not the passphrase")


def test_private_key_file_is_private_and_holds_no_raw_key(key_files: KeyFiles) -> None:
    assert stat.S_IMODE(key_files.private.stat().st_mode) == 0o600
    raw_b64 = __import__("base64").b64encode(bytes(key_files.pair.private)).decode()
    assert raw_b64 not in key_files.private.read_text()


def test_key_files_are_never_overwritten(key_files: KeyFiles) -> None:
    before = key_files.private.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        keys.write_new_file(key_files.private, "x", 0o600)
    assert key_files.private.read_bytes() == before


def test_a_private_key_where_the_public_key_belongs_is_refused(key_files: KeyFiles) -> None:
    with pytest.raises(KeyFileError, match="PRIVATE key"):
        keys.load_public_key(key_files.private)


def test_fingerprint_is_the_same_from_either_file(key_files: KeyFiles) -> None:
    from_public = keys.read_fingerprint(key_files.public)
    assert from_public == keys.read_fingerprint(key_files.private)
    assert from_public == key_files.pair.fingerprint
    assert re.fullmatch(r"([0-9A-F]{4} ){7}[0-9A-F]{4}", from_public)


def test_public_key_file_shows_its_fingerprint(key_files: KeyFiles) -> None:
    assert f"# Fingerprint: {key_files.pair.fingerprint}" in key_files.public.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no key"),
        ("# only a comment\n", "holds no key"),
        ("tipsite-public-key-v1 !!!notbase64\n", "bad base64"),
        ("tipsite-public-key-v1 AAAA\n", "wrong key length"),
        ("ssh-ed25519 AAAA\n", "not a Tipsite public key"),
    ],
)
def test_damaged_public_key_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "centre.pub"
    path.write_text(content)
    with pytest.raises(KeyFileError, match=message):
        keys.load_public_key(path)


def test_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        keys.load_public_key(tmp_path / "nothing.pub")


def test_private_key_with_swapped_public_half_is_refused(key_files: KeyFiles) -> None:
    other = keys.generate()
    fields = key_files.private.read_text().splitlines()[-1].split()
    fields[1] = __import__("base64").b64encode(bytes(other.public)).decode()
    key_files.private.write_text(" ".join(fields) + "\n")
    with pytest.raises(KeyFileError, match="halves differ"):
        keys.load_private_key(key_files.private, PASSPHRASE)


def test_keypair_repr_shows_no_key_material(key_files: KeyFiles) -> None:
    text = repr(key_files.pair)
    assert key_files.pair.fingerprint in text
    assert bytes(key_files.pair.private).hex() not in text
