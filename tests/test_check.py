"""`tipsite check` tells an operator, line by line, whether the deployment keeps its promises."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tipsite.app import create_app
from tipsite.config import load_settings

from .conftest import VENV_BIN, KeyFiles, free_port


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "tipsite"), "check"],
        env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=60,
        check=False,
    )


@pytest.fixture
def deployed(site_env: dict[str, str]) -> dict[str, str]:
    """A deployment that keeps every promise: started once, behind an HTTPS proxy."""
    env = {**site_env, "TIPSITE_PROXIES": "1"}
    create_app(load_settings(env))  # creates the inbox and the secret key
    return env


def test_a_sound_deployment_passes_and_shows_the_fingerprint(
    deployed: dict[str, str], key_files: KeyFiles
) -> None:
    result = run_check(deployed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert key_files.pair.fingerprint in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("private_key", "PRIVATE key"),
        ("open_inbox", "open to other users"),
        ("limits_off", "rate limiting is off"),
        ("no_https", "tips would travel in clear"),
        ("debug", "FLASK_DEBUG"),
        ("redis_down", "unreachable"),
        ("writable_key", "writable by others"),
    ],
)
def test_each_broken_promise_is_named_and_fails(
    deployed: dict[str, str], key_files: KeyFiles, change: str, expected: str
) -> None:
    env = dict(deployed)
    if change == "private_key":
        env["TIPSITE_PUBLIC_KEY"] = str(key_files.private)
    elif change == "open_inbox":
        Path(env["TIPSITE_INBOX"]).chmod(0o755)
    elif change == "limits_off":
        env["TIPSITE_RATELIMIT_ENABLED"] = "0"
    elif change == "no_https":
        env.pop("TIPSITE_PROXIES")
    elif change == "debug":
        env["FLASK_DEBUG"] = "1"
    elif change == "redis_down":
        env["TIPSITE_RATELIMIT_STORAGE"] = f"redis://127.0.0.1:{free_port()}"
    elif change == "writable_key":
        key_files.public.chmod(0o666)
    result = run_check(env)
    assert result.returncode == 1
    assert expected in result.stdout
    assert "error:" in result.stderr
