"""The staff tool on a copied inbox folder (issue 2): keygen, list, show, export, failures."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.core.envelope import HEADER_BYTES, MAGIC
from tipsite.core.vocabulary import INDICATORS, translate

from .support.hotline import assert_no_traceback, hotline, staff_env
from .support.keyfiles import PASSPHRASE, KeyFiles
from .support.tips import deliver, deliver_raw, seal_tip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return staff_env(tmp_path, PASSPHRASE)


def read_args(inbox: Path, key_files: KeyFiles) -> list[str]:
    return ["--inbox", str(inbox), "--key", str(key_files.private)]


def test_keygen_writes_a_public_key_and_a_locked_private_key(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "newkeys"
    result = hotline(["keygen", "--out", str(out)], env)
    assert result.returncode == 0, result.stderr
    public, private = out / "centre.pub", out / "centre.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    pair = keys.load_private_key(private, PASSPHRASE)
    assert keys.load_public_key(public) == pair.public
    assert pair.fingerprint in result.stdout
    with pytest.raises(keys.WrongPassphrase):
        keys.load_private_key(private, "not the passphrase")


def test_keygen_never_overwrites_a_key(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "newkeys"
    assert hotline(["keygen", "--out", str(out)], env).returncode == 0
    before = (out / "centre.key").read_bytes()
    again = hotline(["keygen", "--out", str(out)], env)
    assert again.returncode != 0
    assert again.stderr.startswith("error: ") and "already exists" in again.stderr
    assert (out / "centre.key").read_bytes() == before
    assert_no_traceback(again)


def test_keygen_without_a_passphrase_on_a_pipe_says_what_to_do(
    tmp_path: Path, env: dict[str, str]
) -> None:
    del env["HOTLINE_PASSPHRASE"]
    result = hotline(["keygen", "--out", str(tmp_path / "k")], env, stdin="")
    assert result.returncode != 0
    assert "error: no passphrase given" in result.stderr
    assert "hint: set HOTLINE_PASSPHRASE" in result.stderr
    assert not (tmp_path / "k" / "centre.key").exists()


def test_fingerprint_is_the_same_for_both_halves(key_files: KeyFiles, env: dict[str, str]) -> None:
    public = hotline(["fingerprint", str(key_files.public)], env)
    private = hotline(["fingerprint", str(key_files.private)], env)
    assert public.stdout.split("(")[0] == private.stdout.split("(")[0]
    assert public.stdout.startswith(key_files.pair.fingerprint)
    assert "public key" in public.stdout and "private key" in private.stdout


def test_list_shows_one_line_per_tip(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    names = deliver(inbox, key_files.pair.public, 3, setting="building_site",
                    location="Byggepladsen ved Havnegade 4, København K, bag hegnet mod vandet")
    result = hotline(["list", *read_args(inbox, key_files), "--lang", "en"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for name, line in zip(names, lines, strict=True):
        assert line.startswith(name[:8])
        assert "2026-11-28 09:0" in line and "Building site" in line
        assert "Byggepladsen ved Havnegade 4" in line and "mod vandet" not in line


def test_show_gives_the_whole_tip_with_indicator_labels(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    [name] = deliver(inbox, key_files.pair.public, 1, indicators=["A1", "D3"],
                     description="Første linje\nAnden linje 😀", contact="ring 12345678")
    result = hotline(["show", name[:6], *read_args(inbox, key_files), "--lang", "en"], env)
    assert result.returncode == 0, result.stderr
    for expected in (name, "Første linje", "Anden linje 😀", "A1", INDICATORS["A1"].label,
                     "D3", INDICATORS["D3"].label, "ring 12345678", "Hver aften", "AB 12 345"):
        assert expected in result.stdout


def test_lang_chooses_the_language_of_labels(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    [name] = deliver(inbox, key_files.pair.public, 1, indicators=["C1"])
    label = INDICATORS["C1"].label
    english = hotline(["show", name, *read_args(inbox, key_files), "--lang", "en"], env)
    danish = hotline(["show", name, *read_args(inbox, key_files), "--lang", "da"], env)
    assert label in english.stdout
    # The Danish text is whatever the site's catalog says (English until it is translated).
    assert translate(label, "da") in danish.stdout
    assert (english.stdout != danish.stdout) == (translate(label, "da") != label)


def test_export_json_has_id_time_and_every_form_field(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    names = deliver(inbox, key_files.pair.public, 2, description="Æbler & pærer <b>")
    result = hotline(["export", "--format", "json", *read_args(inbox, key_files)], env)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert sorted(r["id"] for r in records) == sorted(names)
    for record in records:
        assert record["received_at"].startswith("2026-11-28T09:0")
        assert record["description"] == "Æbler & pærer <b>"
        assert record["indicators"] == ["A1", "A4"]
        for field in ("setting", "location", "when", "people", "vehicles", "relation", "contact"):
            assert field in record


def broken_envelopes(good: bytes, other_key: keys.KeyPair) -> dict[str, bytes]:
    """Every way an envelope can fail, made from a good one."""
    corrupt = bytearray(good)
    corrupt[HEADER_BYTES + 40] ^= 0xFF
    newer = bytearray(good)
    newer[len(MAGIC)] = 9
    return {
        "corrupt": bytes(corrupt),
        "truncated": good[: HEADER_BYTES + 30],
        "other key": seal_tip(other_key.public),
        "unknown version": bytes(newer),
        "not an envelope": b"hello, this is not a tip",
    }


def test_every_envelope_failure_is_named_and_other_tips_still_show(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    [good_name] = deliver(inbox, key_files.pair.public, 1, location="Den gode adresse")
    good = (inbox / "new" / good_name).read_bytes()
    broken = {kind: deliver_raw(inbox, data)
              for kind, data in broken_envelopes(good, keys.generate()).items()}
    reasons = {
        "corrupt": "the seal does not open",
        "truncated": "corrupt or truncated",
        "other key": "sealed to another key",
        "unknown version": "unknown envelope version 9",
        "not an envelope": "not a Tipsite envelope",
    }
    for command in (["list"], ["export", "--format", "json"]):
        result = hotline([*command, *read_args(inbox, key_files)], env)
        assert result.returncode == 1
        assert "Den gode adresse" in result.stdout
        errors = result.stderr.splitlines()
        for kind, name in broken.items():
            [line] = [e for e in errors if name in e]
            assert line.startswith("error: tip ") and reasons[kind] in line, (kind, line)
        assert_no_traceback(result)


def test_wrong_passphrase_is_one_clear_line(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    deliver(inbox, key_files.pair.public, 2)
    env["HOTLINE_PASSPHRASE"] = "not the passphrase"
    for command in (["list"], ["export"], ["show", "0000"]):
        result = hotline([*command, *read_args(inbox, key_files)], env)
        assert result.returncode == 1
        assert result.stdout == ""
        if command[0] != "show":
            assert result.stderr == f"error: wrong passphrase for {key_files.private}\n"


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b[2J\x1b[1;1Hfake prompt $ ", "\\x1b[2J\\x1b[1;1Hfake prompt $ "),  # clear screen
        ("\x1b]0;new title\x07", "\\x1b]0;new title\\x07"),  # set the window title
        ("line one\rOVERWRITTEN", "line one\\x0dOVERWRITTEN"),  # CR hides the line's start
        ("\x9b31m", "\\x9b31m"),  # C1 CSI: an escape sequence without ESC
        ("safe\u202egnp.exe", "safe\\u202egnp.exe"),  # right-to-left override
        ("back\x08\x08", "back\\x08\\x08"),  # backspaces
    ],
)
def test_tip_text_never_reaches_the_terminal_raw(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str], hostile: str, shown: str
) -> None:
    inbox = tmp_path / "inbox"
    [name] = deliver(inbox, key_files.pair.public, 1, location=hostile, description=hostile,
                     people=hostile)
    outputs = [hotline(["list", *read_args(inbox, key_files)], env).stdout,
               hotline(["show", name, *read_args(inbox, key_files)], env).stdout,
               hotline(["export", *read_args(inbox, key_files)], env).stdout]
    for output in outputs:
        for char in "\x1b\x07\r\x9b\u202e\x08":
            assert char not in output
    assert shown in outputs[0] and shown in outputs[1]  # visible, harmless
    # JSON keeps the exact text, escaped: a program reading it gets what was typed.
    assert json.loads(outputs[2])[0]["description"] == hostile


def test_ids_can_be_abbreviated_like_git(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    [name] = deliver(inbox, key_files.pair.public, 1)
    shown = hotline(["show", name[:4].upper(), *read_args(inbox, key_files)], env)
    assert shown.returncode == 0 and name in shown.stdout
    unknown = hotline(["show", "zz", *read_args(inbox, key_files)], env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: ")
    other = "0123" if not name.startswith("0123") else "4567"
    missing = hotline(["show", other, *read_args(inbox, key_files)], env)
    assert missing.stderr == f"error: no tip with id {other}\n"


def test_usage_errors_are_error_lines_not_tracebacks(env: dict[str, str]) -> None:
    result = hotline(["export", "--format", "xml"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "hint: see 'hotline export --help'" in result.stderr
    assert_no_traceback(result)


def test_token_makes_a_private_token_file_and_prints_only_its_hash(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "staff.token"
    result = hotline(["token", "--out", str(out)], env)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    token = out.read_text().strip()
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert f"TIPSITE_STAFF_TOKEN_SHA256={digest}" in result.stdout
    assert token not in result.stdout
    again = hotline(["token", "--out", str(out)], env)
    assert again.returncode == 1 and out.read_text().strip() == token
