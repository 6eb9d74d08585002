"""The inbox spool: durable, private, and silent about when a tip came."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tipsite.core.errors import InboxError
from tipsite.core.inbox import Inbox, start_of_day


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    spool = Inbox(tmp_path / "inbox")
    spool.prepare()
    return spool


def test_delivered_envelopes_land_in_new_with_random_timeless_names(inbox: Inbox) -> None:
    names = [inbox.deliver(b"sealed %d" % i) for i in range(5)]
    assert sorted(names) == inbox.names()
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}", name)
    assert len(set(names)) == 5
    assert list(inbox.tmp.iterdir()) == []


def test_file_times_show_only_the_day(inbox: Inbox) -> None:
    name = inbox.deliver(b"sealed")
    info = (inbox.new / name).stat()
    midnight = start_of_day()
    assert info.st_mtime == midnight and info.st_atime == midnight
    assert datetime.fromtimestamp(midnight, UTC).strftime("%H:%M:%S") == "00:00:00"


def test_envelopes_are_read_and_removed_by_name(inbox: Inbox) -> None:
    name = inbox.deliver(b"sealed")
    assert inbox.read(name) == b"sealed"
    assert inbox.remove(name) is True
    assert inbox.remove(name) is False
    assert inbox.names() == []


@pytest.mark.parametrize("name", ["../secret", "new/../../x", "ABC", "", "0" * 31])
def test_names_from_outside_cannot_escape_the_inbox(inbox: Inbox, name: str) -> None:
    with pytest.raises(InboxError):
        inbox.read(name)
    with pytest.raises(InboxError):
        inbox.remove(name)


def test_a_folder_without_new_is_not_an_inbox(tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="not an inbox"):
        Inbox(tmp_path).names()
