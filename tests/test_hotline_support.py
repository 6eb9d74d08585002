"""Helpers for the staff-tool tests (no tests here): run the installed ``hotline``,
seal tips into a real inbox, and give each test its own store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.public

from tipsite.core import envelope, payload
from tipsite.core.inbox import Inbox

HOTLINE = Path(sys.executable).parent / "hotline"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def tip_fields(**fields: Any) -> dict[str, Any]:
    """A complete set of form fields; ``fields`` override the defaults."""
    base: dict[str, Any] = {
        "setting": "massage_clinic",
        "location": "Nørregade 12, 2. th., Århus",
        "description": "Vinduerne er altid dækket til, og kvinderne bor i klinikken.",
        "indicators": ["A1", "A4"],
        "when": "Hver aften",
        "people": "3 kvinder, ca. 20 år",
        "vehicles": "AB 12 345",
        "relation": "neighbour",
        "contact": "",
    }
    base.update(fields)
    return base


def seal_tip(public: nacl.public.PublicKey, minutes: int = 0, **fields: Any) -> bytes:
    """A sealed envelope holding a tip document, received ``minutes`` after START."""
    document = payload.tip_document(tip_fields(**fields), "da", START + timedelta(minutes=minutes))
    return envelope.seal(document, public)


def deliver(inbox_path: Path, public: nacl.public.PublicKey, count: int = 1,
            **fields: Any) -> list[str]:
    """Seal ``count`` tips and deliver them to the inbox at ``inbox_path``; their names."""
    inbox = Inbox(inbox_path)
    inbox.prepare()
    return [inbox.deliver(seal_tip(public, minutes=i, **fields)) for i in range(count)]


def deliver_raw(inbox_path: Path, data: bytes) -> str:
    """Put arbitrary bytes into the inbox as if they were an envelope."""
    inbox = Inbox(inbox_path)
    inbox.prepare()
    return inbox.deliver(data)


def staff_env(tmp_path: Path, passphrase: str, **extra: str) -> dict[str, str]:
    """Environment for a hotline subprocess with its own store and home folder."""
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share"),
        "HOTLINE_STORE": str(tmp_path / "store"),
        "HOTLINE_PASSPHRASE": passphrase,
        "HOTLINE_KDF_COST": "interactive",
    }
    env.update(extra)
    return env


def staff_worker_env(tmp_path: Path, private_key: Path, token: str, **extra: str
                     ) -> dict[str, str]:
    """A hotline worker: ``private_key`` in the keyring, ``token`` in a 0600 file."""
    from .conftest import PASSPHRASE

    env = staff_env(tmp_path, PASSPHRASE, **extra)
    assert hotline(["keys", "--add", str(private_key)], env).returncode == 0
    token_file = tmp_path / "staff.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return env


def hotline(args: Sequence[str], env: Mapping[str, str], stdin: str | bytes | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script ``hotline`` and capture its output as text."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [str(HOTLINE), *args], env=dict(env), input=data, capture_output=True,
        timeout=120, cwd=cwd,
        start_new_session=True,  # no controlling terminal: a prompt fails, never waits
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode,
        result.stdout.decode("utf-8", errors="replace"),
        result.stderr.decode("utf-8", errors="replace"),
    )


def hotline_bytes(
    args: Sequence[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """Run ``hotline`` and keep its standard output as bytes (exports)."""
    return subprocess.run([str(HOTLINE), *args], env=dict(env), capture_output=True,
                          timeout=120, start_new_session=True)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
