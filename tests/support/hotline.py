"""Running the staff tool in tests: the installed ``hotline`` console script."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .keyfiles import PASSPHRASE
from .servers import VENV_BIN

HOTLINE = VENV_BIN / "hotline"  # the installed console script
TIMEOUT = 120  # seconds a real hotline process may take before the test fails


def staff_env(tmp_path: Path, passphrase: str, **extra: str) -> dict[str, str]:
    """Environment for a hotline run with its own store and home folder."""
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
        timeout=TIMEOUT, cwd=cwd,
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
                          timeout=TIMEOUT, start_new_session=True)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
