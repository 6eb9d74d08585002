"""The site refuses to start when a promise could not be kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tipsite.core.errors import ConfigError
from tipsite.site.app import create_app
from tipsite.site.config import load_config

from .support.keyfiles import KeyFiles
from .support.servers import VENV_BIN, free_port

ROOT = Path(__file__).resolve().parent.parent


def run_gunicorn_expecting_exit(env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Run gunicorn on the app and return its exit code and output (it must stop itself)."""
    log = tmp_path / "refusal.log"
    with log.open("wb") as out:
        process = subprocess.run(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
            cwd=ROOT, env={"PATH": "/usr/bin:/bin", "WEB_CONCURRENCY": "2", **env},
            stdout=out, stderr=subprocess.STDOUT, timeout=60, check=False,
        )
    return process.returncode, log.read_text()


@pytest.mark.live
def test_a_private_key_in_place_of_the_public_key_stops_gunicorn(
    site_env: dict[str, str], key_files: KeyFiles, tmp_path: Path
) -> None:
    env = {**site_env, "TIPSITE_PUBLIC_KEY": str(key_files.private)}
    code, output = run_gunicorn_expecting_exit(env, tmp_path)
    assert code != 0
    assert "PRIVATE key" in output


@pytest.mark.live
def test_a_missing_key_names_the_command_that_makes_one(
    site_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**site_env, "TIPSITE_PUBLIC_KEY": str(tmp_path / "absent.pub")}
    code, output = run_gunicorn_expecting_exit(env, tmp_path)
    assert code != 0
    assert "hotline keygen --out" in output


@pytest.mark.live
def test_an_inbox_that_cannot_be_written_stops_the_site(
    site_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**site_env, "TIPSITE_INBOX": str(blocker / "inbox")}
    code, output = run_gunicorn_expecting_exit(env, tmp_path)
    assert code != 0
    assert "inbox" in output and "TIPSITE_INBOX" in output


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIPSITE_RATELIMITS", "lots"),
        ("TIPSITE_RATELIMIT_ENABLED", "maybe"),
        ("TIPSITE_RATELIMIT_STORAGE", "mysql://db"),
        ("TIPSITE_PROXIES", "-1"),
        ("TIPSITE_ONION_ADDRESS", "example.com"),
        ("TIPSITE_STAFF_TOKEN_SHA256", "secret"),
    ],
)
def test_bad_settings_are_named_at_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config({name: value})


def test_secret_key_is_made_once_and_kept_private(site_env: dict[str, str]) -> None:
    first = create_app(load_config(site_env)).config["SECRET_KEY"]
    second = create_app(load_config(site_env)).config["SECRET_KEY"]
    assert first == second
    path = Path(site_env["TIPSITE_INSTANCE"]) / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600


def test_leftovers_in_tmp_are_cleaned_at_start(site_env: dict[str, str]) -> None:
    tmp = Path(site_env["TIPSITE_INBOX"]) / "tmp"
    tmp.mkdir(parents=True)
    (tmp / ("0" * 32)).write_bytes(b"half an envelope")
    create_app(load_config(site_env))
    assert list(tmp.iterdir()) == []
