"""Key files: the public key locks, the passphrase-locked private key opens."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tipsite.core import keys
from tipsite.core.errors import KeyFileError, WrongPassphrase

from .support.keyfiles import PASSPHRASE, KeyFiles


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


def test_the_key_page_shows_the_key_in_use_now_after_a_swap(
    client: FlaskClient, key_files: KeyFiles
) -> None:
    """/da/key reads the key file per request, as each tip does (issue 11, finding 5)."""
    before = client.get("/da/key").get_data(as_text=True)
    assert key_files.pair.fingerprint in before
    new = keys.generate()
    key_files.public.write_text(keys.public_key_text(new.public), encoding="ascii")
    after = client.get("/da/key").get_data(as_text=True)
    assert new.fingerprint in after and key_files.pair.fingerprint not in after
    key_files.public.unlink()
    gone = client.get("/da/key")
    assert gone.status_code == 503 and new.fingerprint not in gone.get_data(as_text=True)


@pytest.mark.parametrize("weak", ["a", "development", "Sommer2024!", "password password",
                                  "hotline1234"])
def test_weak_passphrases_are_judged_weak_with_a_reason_and_a_suggestion(weak: str) -> None:
    from tipsite.hotline.passphrase import judge

    weakness = judge(weak, ["hotline"])
    assert weakness is not None
    assert weakness.reason.startswith("the passphrase is too weak")
    assert "random words" in weakness.suggestion


# The last is longer than zxcvbn accepts (72 characters): judged by its start, not a crash.
@pytest.mark.parametrize("strong", [PASSPHRASE, "kalkun vindue snegl paraply fyrtårn",
                                    "kalkun vindue snegl paraply fyrtårn " * 4])
def test_long_random_word_passphrases_pass(strong: str) -> None:
    from tipsite.hotline.passphrase import judge

    assert judge(strong) is None


def test_keygen_and_passwd_refuse_a_weak_passphrase(tmp_path: Path, key_files: KeyFiles,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tipsite.hotline.cli import cli

    monkeypatch.setenv("HOTLINE_STORE", str(tmp_path / "store"))
    runner = CliRunner()
    made = runner.invoke(cli, ["keygen", "--out", str(tmp_path / "new")],
                         env={"HOTLINE_PASSPHRASE": "a"})
    assert made.exit_code == 1
    assert "error: the passphrase is too weak" in made.stderr and "hint: " in made.stderr
    assert not (tmp_path / "new" / "centre.key").exists()
    before = key_files.private.read_text()
    changed = runner.invoke(cli, ["passwd", "--key", str(key_files.private)],
                            env={"HOTLINE_PASSPHRASE": PASSPHRASE,
                                 "HOTLINE_NEW_PASSPHRASE": "development"})
    assert changed.exit_code == 1 and "too weak" in changed.stderr
    assert key_files.private.read_text() == before  # the old passphrase still opens it

