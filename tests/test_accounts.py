"""Staff accounts of the desk: own passphrases open the centre's keys, nothing else does.

Real files, real SQLite, real Argon2id (at its interactive cost, to stay quick).
"""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import threading
from pathlib import Path

import nacl.public
import pytest

from tipsite.core import keys
from tipsite.core.errors import NotPrivate, StoreError, WrongPassphrase
from tipsite.hotline import trail
from tipsite.hotline.accounts import AccountError, Accounts
from tipsite.hotline.deskdb import DESK_FILE, SCHEMA_VERSION, desk_db

METTE = "kalkun vindue snegl paraply fyrtårn"
JONAS = "blæksprutte cykelhjelm solsikke trappe kompas"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def accounts(store: Path) -> Accounts:
    return Accounts(store, kdf_cost="interactive")


def test_an_account_opens_the_centre_keys_with_its_own_passphrase(accounts: Accounts) -> None:
    centre = keys.generate()
    accounts.add("Mette", METTE, admin=True, centre_keys=[centre])
    login = accounts.login("mette", METTE)  # names are matched case-insensitively
    assert login.account.name == "Mette" and login.account.admin
    assert [pair.public for pair in login.centre_keys] == [centre.public]
    envelope = nacl.public.SealedBox(centre.public).encrypt(b"a tip")
    assert login.centre_keys[0].sealed_box.decrypt(envelope) == b"a tip"
    assert "Mette" in repr(login) and str(bytes(centre.private)) not in repr(login)


def test_a_wrong_passphrase_and_an_unknown_name_look_the_same(accounts: Accounts) -> None:
    accounts.add("mette", METTE, admin=False, centre_keys=[keys.generate()])
    with pytest.raises(WrongPassphrase) as wrong:
        accounts.login("mette", JONAS)
    with pytest.raises(WrongPassphrase) as unknown:
        accounts.login("nobody", METTE)
    assert str(wrong.value) == str(unknown.value) == "wrong account name or passphrase"


def test_a_removed_account_cannot_log_in_and_its_keys_are_overwritten(
        accounts: Accounts, store: Path) -> None:
    centre = keys.generate()
    accounts.add("mette", METTE, admin=True, centre_keys=[centre])
    accounts.add("jonas", JONAS, admin=False, centre_keys=[centre])
    with desk_db(store) as db:
        locked, sealed = db.execute(
            "SELECT locked, sealed FROM accounts JOIN account_keys ON account = key "
            "WHERE key = 'jonas'").fetchone()
    accounts.remove("Jonas")
    with pytest.raises(WrongPassphrase):
        accounts.login("jonas", JONAS)
    assert [account.name for account in accounts.list()] == ["mette"]
    # An attacker reading the file finds neither the locked key nor the sealed copy.
    raw = (store / DESK_FILE).read_bytes()
    assert locked.split()[-1].encode() not in raw  # the SecretBox of jonas's own key
    assert sealed not in raw
    assert accounts.login("mette", METTE).centre_keys[0].public == centre.public
    with pytest.raises(AccountError, match="no account 'jonas'"):
        accounts.remove("jonas")


@pytest.mark.parametrize("weak", ["", "aaaaaaaaaaaaaaaa", "password123", "mette mette mette"])
def test_weak_passphrases_are_refused(accounts: Accounts, weak: str) -> None:
    with pytest.raises(AccountError, match="passphrase refused") as refused:
        accounts.add("mette", weak, admin=False, centre_keys=[keys.generate()])
    assert "random words" in refused.value.hint
    assert accounts.list() == []


@pytest.mark.parametrize("name", ["", " ", "<script>", "../etc", "a b", "-mette", "x" * 41])
def test_names_that_could_mislead_are_refused(accounts: Accounts, name: str) -> None:
    with pytest.raises(AccountError, match="not a usable account name"):
        accounts.add(name, METTE, admin=False, centre_keys=[keys.generate()])


def test_names_in_any_script_are_accepted_and_one_person_has_one_account(
        accounts: Accounts) -> None:
    centre = keys.generate()
    accounts.add("Søren.Ø", METTE, admin=False, centre_keys=[centre])
    with pytest.raises(AccountError, match="already an account"):
        accounts.add("søren.ø", JONAS, admin=False, centre_keys=[centre])
    assert [account.name for account in accounts.list()] == ["Søren.Ø"]


def test_an_account_needs_an_open_centre_key(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="no centre key"):
        accounts.add("mette", METTE, admin=True, centre_keys=[])


def test_a_new_centre_key_reaches_every_account_without_their_passphrase(
        accounts: Accounts) -> None:
    old, new = keys.generate(), keys.generate()
    accounts.add("mette", METTE, admin=True, centre_keys=[old])
    accounts.add("jonas", JONAS, admin=False, centre_keys=[old])
    assert accounts.grant(new) == 2
    assert accounts.grant(new) == 0  # once per account
    for name, passphrase in (("mette", METTE), ("jonas", JONAS)):
        opened = {pair.public for pair in accounts.login(name, passphrase).centre_keys}
        assert opened == {old.public, new.public}


def test_the_file_holds_no_centre_key_in_the_clear(accounts: Accounts, store: Path) -> None:
    centre = keys.generate()
    accounts.add("mette", METTE, admin=True, centre_keys=[centre])
    raw = (store / DESK_FILE).read_bytes()
    secret = bytes(centre.private)
    assert secret not in raw and base64.b64encode(secret) not in raw
    assert stat.S_IMODE(os.stat(store / DESK_FILE).st_mode) == 0o600


def test_a_store_others_can_read_is_refused(accounts: Accounts, store: Path) -> None:
    os.chmod(store, 0o755)  # noqa: S103 - the mistake under test
    with pytest.raises(NotPrivate, match="can be read by other users") as refused:
        accounts.list()
    assert "chmod 700" in refused.value.hint
    assert not (store / DESK_FILE).exists()


def test_a_newer_schema_stops_an_older_tool(store: Path) -> None:
    with desk_db(store):
        pass
    with sqlite3.connect(store / DESK_FILE) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer hotline"):
        Accounts(store).list()


def test_two_admins_adding_at_once_lose_no_account(accounts: Accounts) -> None:
    centre = keys.generate()
    names = [f"worker{n}" for n in range(6)]
    errors: list[BaseException] = []

    def add(name: str) -> None:
        try:
            Accounts(accounts.store_path, "interactive").add(
                name, f"{METTE} {name} {JONAS}", admin=False, centre_keys=[centre])
        except BaseException as exc:  # collected, so the test sees it
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [account.name for account in accounts.list()] == names


def test_the_audit_trail_keeps_lines_in_order_and_refuses_unknown_actions(store: Path) -> None:
    trail.record(store, "mette", "login")
    trail.record(store, "mette", "open", "7K3Q-9F2A")
    trail.record(store, "jonas", "purge", "7K3Q-9F2A", "handled 2025-01-02, retention 12 months")
    newest = trail.lines(store)
    assert [(line.actor, line.action, line.subject) for line in newest] == [
        ("jonas", "purge", "7K3Q-9F2A"), ("mette", "open", "7K3Q-9F2A"), ("mette", "login", "")]
    with pytest.raises(StoreError, match="unknown audit action"):
        trail.record(store, "mette", "delete everything")
    assert len(trail.lines(store)) == 3
