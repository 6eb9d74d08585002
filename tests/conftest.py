"""Shared fixtures: real key files, a real inbox folder, the app, and a real gunicorn.

Helpers live in tests/support/ (keyfiles, servers, visitor, tips, hotline, browser, …);
this file holds fixtures only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tipsite.core import keys
from tipsite.site.config import SiteConfig, load_config

from .support import markers
from .support.keyfiles import KeyFiles, write_key_files
from .support.servers import (
    STAFF_TOKEN,
    LiveServer,
    serving,
    site_in,
    start_gunicorn,
    stop_gunicorn,
)


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key files made in tests use Argon2id's 'interactive' cost (real, but quick)."""
    monkeypatch.setenv("HOTLINE_KDF_COST", "interactive")


@pytest.fixture(scope="session")
def keypair() -> keys.KeyPair:
    return keys.generate()


@pytest.fixture
def key_files(tmp_path: Path, keypair: keys.KeyPair) -> KeyFiles:
    return write_key_files(tmp_path / "keys", keypair)


@pytest.fixture
def site_env(tmp_path: Path, key_files: KeyFiles) -> dict[str, str]:
    """TIPSITE_* variables for a site with its own key, inbox and instance folder."""
    return {
        "TIPSITE_PUBLIC_KEY": str(key_files.public),
        "TIPSITE_INBOX": str(tmp_path / "inbox"),
        "TIPSITE_INSTANCE": str(tmp_path / "instance"),
    }


@pytest.fixture
def settings(site_env: dict[str, str]) -> SiteConfig:
    return load_config(site_env)


@pytest.fixture
def app(settings: SiteConfig):  # type: ignore[no-untyped-def]
    from tipsite.site.app import create_app

    return create_app(settings, TESTING=True)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def live_server(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    server = start_gunicorn(site_env, tmp_path / "gunicorn.log")
    yield server
    stop_gunicorn(server)


@pytest.fixture
def staff_server(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    """The site under gunicorn with the staff API on (it knows only the token's hash)."""
    digest = hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()
    server = start_gunicorn({**site_env, "TIPSITE_STAFF_TOKEN_SHA256": digest},
                            tmp_path / "staff-gunicorn.log")
    yield server
    stop_gunicorn(server)


@pytest.fixture(scope="module")
def shared_server(
    tmp_path_factory: pytest.TempPathFactory, keypair: keys.KeyPair
) -> Iterator[LiveServer]:
    """One gunicorn for a whole test module (limits off): for tests that only read it."""
    folder = tmp_path_factory.mktemp("shared")
    with serving(site_in(folder, keypair, TIPSITE_RATELIMIT_ENABLED="0"),
                 folder / "gunicorn.log") as server:
        yield server


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Chromium for every browser test of the session (started once, on first use)."""
    from .support.browser import launched

    with launched() as chromium:
        yield chromium


@pytest.fixture
def gunicorns(tmp_path: Path, site_env: dict[str, str]) -> Iterator[Callable[..., LiveServer]]:
    """Start gunicorns with this test's site (``site_env``) and extra ``env``; all are
    stopped after the test. ``port`` reuses an address (a restart)."""
    started: list[LiveServer] = []

    def start(port: int | None = None, **env: str) -> LiveServer:
        server = start_gunicorn({**site_env, **env}, tmp_path / f"g{len(started)}.log",
                                port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_gunicorn(server)


# --- markers: browser and live are declared, never guessed (tests/support/markers.py) ---


def pytest_configure(config: pytest.Config) -> None:
    markers.guard_servers()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    markers.check_markers(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    markers.running(item)
