"""The local store: sealed at rest, durable, never doubled, one writer at a time."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tipsite.core.keys import KeyPair
from tipsite.hotline.store import Store, StoreError

from .support.tips import seal_tip

NAME = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def test_an_added_envelope_is_kept_sealed_and_private(store: Store, keypair: KeyPair) -> None:
    data = seal_tip(keypair.public, location="Østerbrogade 1")
    with store.locked():
        assert store.add(NAME, data) is True
    assert store.read(NAME) == data
    assert store.names() == [NAME]
    assert stat.S_IMODE((store.tips / NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o700
    for path in store.path.rglob("*"):
        if path.is_file():
            assert "Østerbrogade".encode() not in path.read_bytes()


def test_adding_the_same_envelope_twice_adds_nothing(store: Store, keypair: KeyPair) -> None:
    data = seal_tip(keypair.public)
    with store.locked():
        assert store.add(NAME, data) is True
        assert store.add(NAME, data) is False
    assert store.names() == [NAME]


def test_a_different_envelope_under_a_known_name_is_refused(
    store: Store, keypair: KeyPair
) -> None:
    first = seal_tip(keypair.public)
    with store.locked():
        store.add(NAME, first)
        with pytest.raises(StoreError, match="different envelope"):
            store.add(NAME, seal_tip(keypair.public))
    assert store.read(NAME) == first


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "0123456789abcdef0123456789abcde/"])
def test_names_that_are_not_envelope_names_never_become_paths(store: Store, name: str) -> None:
    with store.locked(), pytest.raises(StoreError):
        store.add(name, b"x")
    assert store.names() == []


def test_leftovers_of_a_crash_are_removed_and_do_not_block_a_rerun(
    store: Store, keypair: KeyPair
) -> None:
    store.create()
    (store.tmp / NAME).write_bytes(b"half an envelope")  # a write cut off by a crash
    data = seal_tip(keypair.public)
    with store.locked():
        assert list(store.tmp.iterdir()) == []
        assert store.add(NAME, data) is True
    assert store.read(NAME) == data


def test_only_one_command_changes_the_store_at_a_time(store: Store) -> None:
    with store.locked(), pytest.raises(StoreError, match="another hotline command"), \
            store.locked():
        pass  # pragma: no cover - the second lock must not be granted


def test_status_and_notes_are_kept_and_removed_with_the_tip(
    store: Store, keypair: KeyPair
) -> None:
    with store.locked():
        store.add(NAME, seal_tip(keypair.public))
    assert store.states() == {}
    store.set_status(NAME, "handled", "2026-11-30")
    store.add_note(NAME, "2026-11-30 10:00 UTC", b"sealed bytes")
    state = store.states()[NAME]
    assert (state.status, state.handled_on, len(state.notes)) == ("handled", "2026-11-30", 1)
    with pytest.raises(StoreError):
        store.set_status(NAME, "archived")
    with store.locked():
        store.remove(NAME)
    assert store.names() == [] and store.states() == {}
    assert stat.S_IMODE(os.stat(store.path / "state.sqlite3").st_mode) == 0o600
