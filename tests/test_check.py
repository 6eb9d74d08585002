"""`tipsite check` tells an operator, line by line, whether the deployment keeps its promises."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tipsite.site.app import create_app
from tipsite.site.config import load_config

from .support.deploykit import ONION, SITE, start_unix_gunicorn, unit_environment
from .support.keyfiles import KeyFiles
from .support.programs import need
from .support.servers import VENV_BIN, free_port


def run_check(env: dict[str, str], core_dumps: bool = False) -> subprocess.CompletedProcess[str]:
    def allow_core_dumps() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    return subprocess.run(
        [str(VENV_BIN / "tipsite"), "check"],
        env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=60,
        check=False, preexec_fn=allow_core_dumps if core_dumps else None,
    )


@pytest.fixture
def deployed(site_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A deployment that keeps every promise: started once, as the kit's unit runs it."""
    unit = unit_environment()
    site = tmp_path / "nginx-site.conf"
    site.write_text(SITE.read_text().replace("ONION-ADDRESS-FROM-STEP-8.onion", ONION))
    env = {**site_env, "TIPSITE_PROXIES": unit["TIPSITE_PROXIES"],
           "TIPSITE_BIND": unit["TIPSITE_BIND"], "TIPSITE_NGINX_SITE": str(site),
           "WEB_CONCURRENCY": "1"}
    create_app(load_config(env))  # creates the inbox and the secret key
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
        ("tcp_with_proxies", "any local process can choose its rate-limit key"),
        ("unix_without_proxies", "every visitor looks alike"),
        ("other_upstream", "nginx sends requests to unix:/run/tipsite/gunicorn.sock"),
        ("onion_placeholder", "ONION-ADDRESS-FROM-STEP-8.onion"),
        ("core_dumps", "ulimit -c"),
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
    elif change == "tcp_with_proxies":
        env["TIPSITE_BIND"] = "127.0.0.1:8000"
    elif change == "unix_without_proxies":
        env["TIPSITE_PROXIES"] = "0"
        env["TIPSITE_ONION_ADDRESS"] = ONION  # still a secure transport
    elif change == "other_upstream":
        env["TIPSITE_BIND"] = "unix:/run/elsewhere/gunicorn.sock"
    elif change == "onion_placeholder":
        env["TIPSITE_ONION_ADDRESS"] = ONION
        env["TIPSITE_NGINX_SITE"] = str(SITE)  # the shipped file, step 8 not done
    result = run_check(env, core_dumps=change == "core_dumps")
    assert result.returncode == 1
    assert expected in result.stdout
    assert "error:" in result.stderr


def test_onion_named_alike_in_site_and_nginx_passes(deployed: dict[str, str]) -> None:
    result = run_check({**deployed, "TIPSITE_ONION_ADDRESS": ONION})
    assert result.returncode == 0, result.stdout
    assert "names the same onion" in result.stdout


def test_several_workers_without_a_shared_store_is_a_warning(deployed: dict[str, str]) -> None:
    result = run_check({**deployed, "WEB_CONCURRENCY": "4"})
    assert result.returncode == 0, result.stdout
    assert "WARN  4 gunicorn workers and no shared store" in result.stdout
    assert "1 warning(s)" in result.stdout or "warning(s) above" in result.stdout


@pytest.mark.live
def test_core_dumps_are_read_from_the_running_site(
    deployed: dict[str, str], tmp_path: Path
) -> None:
    """The site's own processes are found by their inbox; their limit is what counts."""
    folder = Path(tempfile.mkdtemp(prefix="chk-", dir="/tmp"))
    server = start_unix_gunicorn(deployed, folder)
    try:
        result = run_check(deployed, core_dumps=True)  # this shell may; the site may not
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    assert "core dumps off in the running site" in result.stdout, result.stdout
    assert "ulimit -c" not in result.stdout


# --- Redis, the real one ------------------------------------------------------------------



@pytest.fixture
def redis_server() -> Iterator[Callable[..., str]]:
    """Start real redis-servers with given settings; each call gives its storage URI."""
    started: list[subprocess.Popen[bytes]] = []
    folders: list[Path] = []

    def start(*settings: str, password: str = "", unix: bool = False) -> str:
        folder = Path(tempfile.mkdtemp(prefix="redis-", dir="/tmp"))
        folders.append(folder)
        port = 0 if unix else free_port()
        args = [need("redis-server"), "--port", str(port), "--dir", str(folder), *settings]
        if password:
            args += ["--requirepass", password]
        if unix:
            args += ["--unixsocket", str(folder / "redis.sock"), "--unixsocketperm", "700"]
        started.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 60  # a loaded machine starts servers slowly
        while True:
            try:
                if unix:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(str(folder / "redis.sock"))
                else:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        if unix:
            return f"redis+unix://{folder}/redis.sock"
        auth = f":{password}@" if password else ""
        return f"redis://{auth}127.0.0.1:{port}/0"

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


MEMORY_ONLY = ("--save", "", "--appendonly", "no")


@pytest.mark.live
def test_redis_with_a_password_and_no_persistence_passes(
    deployed: dict[str, str], redis_server: Callable[..., str]
) -> None:
    storage = redis_server(*MEMORY_ONLY, password="a-long-redis-password")
    result = run_check({**deployed, "TIPSITE_RATELIMIT_STORAGE": storage})
    assert result.returncode == 0, result.stdout
    assert "Redis keeps its keys in memory only" in result.stdout
    assert "a-long-redis-password" not in result.stdout  # the password is never shown


@pytest.mark.live
def test_redis_on_a_unix_socket_needs_no_password(
    deployed: dict[str, str], redis_server: Callable[..., str]
) -> None:
    storage = redis_server(*MEMORY_ONLY, unix=True)
    result = run_check({**deployed, "TIPSITE_RATELIMIT_STORAGE": storage})
    assert result.returncode == 0, result.stdout
    assert "Redis keeps its keys in memory only" in result.stdout


@pytest.mark.live
@pytest.mark.parametrize(
    ("settings", "password", "expected"),
    [
        (MEMORY_ONLY, "", "without a password"),
        (("--save", "3600 1", "--appendonly", "no"), "pw-for-this-test", 'save "3600 1"'),
        (("--save", "", "--appendonly", "yes"), "pw-for-this-test", "appendonly yes"),
    ],
)
def test_redis_that_writes_to_disk_or_lets_anyone_in_fails(
    deployed: dict[str, str], redis_server: Callable[..., str], settings: tuple[str, ...],
    password: str, expected: str,
) -> None:
    storage = redis_server(*settings, password=password)
    result = run_check({**deployed, "TIPSITE_RATELIMIT_STORAGE": storage})
    assert result.returncode == 1, result.stdout
    assert "FAIL" in result.stdout and expected in result.stdout
