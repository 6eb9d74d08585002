"""Large exports open envelopes on several threads: same output, same error reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.hotline import reader

from .support.hotline import hotline, staff_env
from .support.keyfiles import PASSPHRASE, KeyFiles, write_key_files
from .support.tips import deliver, deliver_raw
from .test_hotline import broken_envelopes

TIPS_PER_KEY = 60  # two keys: 120 envelopes, well past reader.PARALLEL_FROM


def test_a_large_export_with_two_keys_and_damage_is_whole_ordered_and_names_each_failure(
    tmp_path: Path, key_files: KeyFiles
) -> None:
    assert 2 * TIPS_PER_KEY > reader.PARALLEL_FROM  # the threaded path is the one tested
    older = write_key_files(tmp_path / "older", keys.generate())
    inbox = tmp_path / "inbox"
    for files, label in ((key_files, "new"), (older, "old")):
        for i in range(TIPS_PER_KEY):
            deliver(inbox, files.pair.public, 1, location=f"{label} {i}")
    good = (inbox / "new" / sorted((inbox / "new").iterdir())[0].name).read_bytes()
    broken = [deliver_raw(inbox, data) for data in broken_envelopes(good, keys.generate()).values()]
    args = ["export", "--format", "json", "--inbox", str(inbox),
            "--key", str(key_files.private), "--key", str(older.private)]
    env = staff_env(tmp_path, PASSPHRASE)
    first, second = hotline(args, env), hotline(args, env)
    assert first.returncode == 1
    assert first.stdout == second.stdout  # the same order every time
    text = first.stdout.strip()
    records = json.loads(text) if text.startswith("[") else [
        json.loads(line) for line in text.splitlines()]
    locations = sorted(r["location"] for r in records)
    expected = sorted(f"{label} {i}" for label in ("new", "old") for i in range(TIPS_PER_KEY))
    assert locations == expected
    for name in broken:
        assert sum(name in line for line in first.stderr.splitlines()) == 1
    assert "Traceback" not in first.stderr


def test_a_key_only_later_envelopes_need_is_unlocked_when_they_are_read(
    tmp_path: Path, key_files: KeyFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Envelopes are read, unlocked and decrypted a chunk at a time: here the second key
    # is first needed after the first chunk, while earlier chunks are being decrypted.
    from tipsite.core.inbox import Inbox
    from tipsite.hotline.source import Source

    newer = write_key_files(tmp_path / "newer", keys.generate())
    inbox = tmp_path / "inbox"
    early, late = reader.CHUNK_SIZE + 10, 40
    for files, count, first in ((key_files, early, "0"), (newer, late, "f")):
        for name in deliver(inbox, files.pair.public, count, location=f"key {first}"):
            # Names sort the second key's envelopes after every chunk of the first's.
            (inbox / "new" / name).rename(inbox / "new" / (first + name[1:]))
    monkeypatch.setenv("HOTLINE_PASSPHRASE", PASSPHRASE)
    source = Source(None, Inbox(inbox), (key_files.private, newer.private))
    conversations, unreadable = source.conversations()
    assert unreadable == []
    locations = [c.root.fields["location"] for c in conversations]
    assert locations.count("key 0") == early
    assert locations.count("key f") == late
    assert {pair.key_id for pair in source.unlocker.pairs} == {
        keys.key_id(key_files.pair.public), keys.key_id(newer.pair.public)}
