"""The store workflow: import, triage statuses, notes, purge, key rotation, passphrase change."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tipsite.core import keys

from .support.hotline import hotline, staff_env
from .support.keyfiles import PASSPHRASE, KeyFiles
from .support.tips import deliver


@pytest.fixture
def env(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """A staff environment whose keyring holds the site's key."""
    env = staff_env(tmp_path, PASSPHRASE)
    assert hotline(["keys", "--add", str(key_files.private)], env).returncode == 0
    return env


def store_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "store").rglob("*") if p.is_file()]


def test_importing_a_folder_twice_adds_nothing(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    names = deliver(tmp_path / "inbox", key_files.pair.public, 3)
    first = hotline(["import", str(tmp_path / "inbox")], env)
    assert first.returncode == 0 and "Imported 3 new tips" in first.stdout
    again = hotline(["import", str(tmp_path / "inbox")], env)
    assert again.returncode == 0 and "Imported 0 new tips" in again.stdout
    assert sorted(p.name for p in (tmp_path / "store" / "tips").iterdir()) == sorted(names)
    assert len(json.loads(hotline(["export"], env).stdout)) == 3
    # The copied folder is left as it was: importing is copying.
    assert len(list((tmp_path / "inbox" / "new").iterdir())) == 3


def test_tips_stay_sealed_in_the_store(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    deliver(tmp_path / "inbox", key_files.pair.public, 2, description="Hemmelig beskrivelse")
    hotline(["import", str(tmp_path / "inbox")], env)
    [name, _] = json.loads(hotline(["export"], env).stdout)[0]["id"], None
    hotline(["show", name], env)
    hotline(["note", name, "Ringede til politiet om Nørregade"], env)
    for path in store_files(tmp_path):
        data = path.read_bytes()
        for secret in ("Hemmelig", "Nørregade", "politiet", "Massage"):
            assert secret.encode() not in data, (secret, path)


def test_statuses_new_read_handled_and_filters(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    inbox = tmp_path / "inbox"
    clinics = deliver(inbox, key_files.pair.public, 2, setting="massage_clinic")
    [site] = deliver(inbox, key_files.pair.public, 1, setting="building_site")
    hotline(["import", str(inbox)], env)
    assert [line.split()[1] for line in hotline(["list"], env).stdout.splitlines()] == \
        ["new"] * 3

    assert hotline(["show", clinics[0][:5]], env).returncode == 0  # showing marks it read
    assert hotline(["done", clinics[1][:5]], env).returncode == 0
    lines = hotline(["list"], env).stdout.splitlines()
    # New first, then read, then handled.
    assert [(line.split()[0], line.split()[1]) for line in lines] == [
        (site[:8], "new"), (clinics[0][:8], "read"), (clinics[1][:8], "handled")]

    handled = hotline(["list", "--status", "handled"], env).stdout.splitlines()
    assert [line.split()[0] for line in handled] == [clinics[1][:8]]
    sites = hotline(["list", "--setting", "building_site"], env).stdout.splitlines()
    assert [line.split()[0] for line in sites] == [site[:8]]
    exported = json.loads(hotline(["export", "--status", "new", "--status", "read"], env).stdout)
    assert sorted(r["id"] for r in exported) == sorted([site, clinics[0]])
    assert {r["status"] for r in exported} == {"new", "read"}


def test_notes_are_shown_and_exported(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    [name] = deliver(tmp_path / "inbox", key_files.pair.public, 1)
    hotline(["import", str(tmp_path / "inbox")], env)
    assert hotline(["note", name[:6], "Sendt videre til sagsbehandler"], env).returncode == 0
    assert hotline(["note", name[:6]], env, stdin="Fra standard input: æøå\n").returncode == 0
    shown = hotline(["show", name[:6]], env).stdout
    assert "Sendt videre til sagsbehandler" in shown and "Fra standard input: æøå" in shown
    [record] = json.loads(hotline(["export"], env).stdout)
    assert [n["text"] for n in record["notes"]] == [
        "Sendt videre til sagsbehandler", "Fra standard input: æøå"]


def test_purge_removes_tips_handled_on_or_before_the_date(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    names = deliver(tmp_path / "inbox", key_files.pair.public, 3)
    hotline(["import", str(tmp_path / "inbox")], env)
    hotline(["done", names[0]], env)
    hotline(["show", names[1]], env)
    today = date.today()
    kept = hotline(["purge", "--handled-before", (today - timedelta(days=1)).isoformat()], env)
    assert kept.returncode == 0 and "Removed 0 tips and follow-ups" in kept.stdout
    # Handled today, purged "on or before" today: it goes, as the message says.
    gone = hotline(["purge", "--handled-before", today.isoformat()], env)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout == f"Removed 1 tip or follow-up handled on or before {today}.\n"
    left = sorted(r["id"] for r in json.loads(hotline(["export"], env).stdout))
    assert left == sorted(names[1:])
    assert not (tmp_path / "store" / "tips" / names[0]).exists()
    bad = hotline(["purge", "--handled-before", "last week"], env)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


def test_old_tips_stay_readable_after_key_rotation(tmp_path: Path) -> None:
    env = staff_env(tmp_path, PASSPHRASE)
    assert hotline(["keygen"], env).returncode == 0
    keyring = tmp_path / "store" / "keys"
    [old_pub] = keyring.glob("*.pub")
    deliver(tmp_path / "inbox", keys.load_public_key(old_pub), 1, location="Sealed to the old key")
    assert hotline(["keygen"], env).returncode == 0
    [new_pub] = set(keyring.glob("*.pub")) - {old_pub}
    deliver(tmp_path / "inbox", keys.load_public_key(new_pub), 1, location="Sealed to the new key")
    assert hotline(["import", str(tmp_path / "inbox")], env).returncode == 0

    listed = hotline(["list"], env)
    assert listed.returncode == 0, listed.stderr
    assert "Sealed to the old key" in listed.stdout and "Sealed to the new key" in listed.stdout
    shown_keys = hotline(["keys"], env).stdout.splitlines()
    assert len(shown_keys) == 2 and shown_keys[-1].endswith("(newest)")
    assert keys.read_fingerprint(new_pub) in shown_keys[-1]


def test_passwd_changes_the_passphrase_but_not_the_key(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    [name] = deliver(tmp_path / "inbox", key_files.pair.public, 1, location="Før og efter")
    hotline(["import", str(tmp_path / "inbox")], env)
    changed = hotline(["passwd"], {**env, "HOTLINE_NEW_PASSPHRASE": "a new long passphrase"})
    assert changed.returncode == 0, changed.stderr
    assert key_files.pair.fingerprint in changed.stdout

    old = hotline(["show", name], env)
    assert old.returncode == 1 and old.stderr.startswith("error: wrong passphrase for ")
    new = hotline(["show", name], {**env, "HOTLINE_PASSPHRASE": "a new long passphrase"})
    assert new.returncode == 0 and "Før og efter" in new.stdout
    [key_file] = (tmp_path / "store" / "keys").glob("*.key")
    assert keys.load_private_key(key_file, "a new long passphrase") == key_files.pair
    assert not list((tmp_path / "store" / "keys").glob(".*"))  # no draft left behind

    wrong = hotline(["passwd"], {**env, "HOTLINE_PASSPHRASE": "nope",
                                 "HOTLINE_NEW_PASSPHRASE": "whatever"})
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: wrong passphrase")
    assert keys.load_private_key(key_file, "a new long passphrase") == key_files.pair


def test_purge_older_than_days_counts_back_from_today(
    tmp_path: Path, key_files: KeyFiles, env: dict[str, str]
) -> None:
    names = deliver(tmp_path / "inbox", key_files.pair.public, 2)
    hotline(["import", str(tmp_path / "inbox")], env)
    hotline(["done", names[0]], env)
    kept = hotline(["purge", "--older-than", "1"], env)  # handled today: not a day old
    assert kept.returncode == 0 and "Removed 0 " in kept.stdout
    gone = hotline(["purge", "--older-than", "0"], env)
    assert gone.returncode == 0 and "Removed 1 tip or follow-up" in gone.stdout
    both = hotline(["purge", "--older-than", "0", "--handled-before", "2026-01-01"], env)
    assert both.returncode == 2 and "either --handled-before DATE or --older-than DAYS" in \
        both.stderr
