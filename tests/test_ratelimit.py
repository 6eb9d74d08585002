"""Floods and bots: per-client and global limits, on a real gunicorn (and a real Redis)."""

from __future__ import annotations

import html
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tipsite.site import limits

from .support.programs import need
from .support.replaying import first_form, replay
from .support.servers import LiveServer, free_port
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor


@pytest.fixture
def server_with(gunicorns):  # type: ignore[no-untyped-def]
    """Start gunicorns with extra settings; all are stopped after the test.

    In-memory limits are counted per worker process, so these servers run one
    worker unless a test says otherwise (README: use Redis for exact limits).
    """
    return lambda **env: gunicorns(**{"WEB_CONCURRENCY": "1", **env})


def client(server: LiveServer, address: str) -> Visitor:
    return Visitor(server.url, {"X-Forwarded-For": address})


@pytest.mark.live
def test_one_client_is_limited_while_another_still_gets_through(
    server_with, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_PROXIES="1", TIPSITE_RATELIMITS="2 per hour")
    flooder = client(server, "198.51.100.7")
    assert [flooder.send_tip(a_tip()).status for _ in range(3)] == [303, 303, 429]
    assert client(server, "198.51.100.8").send_tip(a_tip()).status == 303
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 3


@pytest.mark.live
def test_the_429_page_shows_the_text_back_escaped_in_the_page_language(
    server_with,  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_RATELIMITS="1 per hour")
    visitor = Visitor(server.url)
    visitor.send_tip(a_tip(), lang="en")
    text = "Vans at 5 am <script>alert(1)</script> near Æblevej"
    reply = visitor.send_tip(a_tip(description=text), lang="en")
    assert reply.status == 429
    assert '<html lang="en">' in reply.body
    assert "70 20 25 50" in reply.body
    assert "try again later" in reply.body
    assert html.escape(text) in reply.body
    assert "<script>alert(1)</script>" not in reply.body


@pytest.mark.live
def test_forwarded_addresses_are_ignored_unless_a_proxy_is_configured(
    server_with,  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_RATELIMITS="2 per hour")  # TIPSITE_PROXIES unset: 0
    statuses = [client(server, f"198.51.100.{i}").send_tip(a_tip()).status for i in range(3)]
    assert statuses == [303, 303, 429]  # a forged header does not buy a fresh limit


@pytest.mark.live
def test_the_global_limit_holds_when_every_client_looks_different(
    server_with,  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_PROXIES="1", TIPSITE_RATELIMITS="100 per hour",
                         TIPSITE_RATELIMIT_GLOBAL="3 per hour")
    statuses = [client(server, f"203.0.113.{i}").send_tip(a_tip()).status for i in range(4)]
    assert statuses == [303, 303, 303, 429]


@pytest.mark.live
def test_limits_can_be_turned_off_for_benchmarks(
    server_with, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_RATELIMITS="1 per hour", TIPSITE_RATELIMIT_ENABLED="0")
    visitor = Visitor(server.url)
    assert {visitor.send_tip(a_tip()).status for _ in range(4)} == {303}
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 4


def test_the_rate_limit_key_is_a_keyed_hash_not_the_address(app: Flask) -> None:
    address = "198.51.100.23"
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        key = limits.client_key()
        assert address not in key and "198" not in key
        assert len(key) == 32 and int(key, 16) >= 0
        assert limits.client_key() == key  # stable within the period
        now = limits.hash_key(10)
        assert limits.hash_key(11) != now  # and it rotates


# --- a shared store -------------------------------------------------------------


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on loopback, nothing written to disk."""
    binary = need("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60  # a loaded machine starts servers slowly
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                         check=False).stdout.strip() != b"PONG":
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.live
def test_two_servers_share_limits_through_redis(
    server_with, redis_url: str  # type: ignore[no-untyped-def]
) -> None:
    shared = {"TIPSITE_RATELIMIT_STORAGE": redis_url, "TIPSITE_RATELIMITS": "2 per hour",
              "TIPSITE_PROXIES": "1", "TIPSITE_SECRET_KEY": "s" * 64,
              "WEB_CONCURRENCY": "2"}
    first, second = server_with(**shared), server_with(**shared)
    address = "192.0.2.44"
    assert client(first, address).send_tip(a_tip()).status == 303
    assert client(second, address).send_tip(a_tip()).status == 303
    assert client(first, address).send_tip(a_tip()).status == 429
    assert client(second, "192.0.2.45").send_tip(a_tip()).status == 303
    port = redis_url.rsplit(":", 1)[1]
    stored = subprocess.run(["redis-cli", "-p", port, "--scan"], capture_output=True,
                            check=True, text=True).stdout
    assert stored.strip(), "the limits live in redis"
    assert "192.0.2" not in stored and "127.0.0.1" not in stored


@pytest.mark.live
def test_a_replayed_cookie_and_token_cannot_send_a_tip_twice(
    server_with, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = server_with(TIPSITE_RATELIMIT_ENABLED="0")
    cookie, body = first_form(server)
    statuses = [replay(server, cookie, body).status for _ in range(3)]
    assert statuses == [303, 400, 400]
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 1


@pytest.mark.live
def test_replays_are_refused_across_servers_sharing_redis(
    server_with, redis_url: str, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    shared = {"TIPSITE_RATELIMIT_STORAGE": redis_url, "TIPSITE_SECRET_KEY": "s" * 64,
              "WEB_CONCURRENCY": "2"}
    first, second = server_with(**shared), server_with(**shared)
    cookie, body = first_form(first)
    statuses = [replay(server, cookie, body).status for server in (first, second, second)]
    assert statuses == [303, 400, 400]
    reply = replay(first, cookie, body)
    assert html.escape("Hovedgaden 12, 4000 Roskilde") in reply.body  # the text is kept
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 1


@pytest.mark.live
def test_redis_counters_do_not_reverse_with_the_secret_key_and_their_key_expires(
    server_with, redis_url: str  # type: ignore[no-untyped-def]
) -> None:
    """The pen test reversed 26 of 26 Redis keys with instance/secret_key; now it cannot."""
    import hashlib
    import hmac

    secret = "s" * 64
    server = server_with(TIPSITE_RATELIMIT_STORAGE=redis_url, TIPSITE_PROXIES="1",
                         TIPSITE_SECRET_KEY=secret)
    address = "192.0.2.77"
    assert client(server, address).send_tip(a_tip()).status == 303
    port = redis_url.rsplit(":", 1)[1]

    def cli(*args: str) -> str:
        return subprocess.run(["redis-cli", "-p", port, *args], capture_output=True,
                              check=True, text=True).stdout.strip()

    stored = cli("--scan")
    now = int(time.time())
    for period in {now // 86400, now // 3600}:  # the old derivation, by day or by hour
        old_key = hmac.new(secret.encode(), f"ratelimit:{period}".encode(), "sha256").digest()
        guess = hmac.new(old_key, address.encode(), hashlib.sha256).hexdigest()[:32]
        assert guess not in stored
    [key_name] = [k for k in stored.split() if k.startswith("tipsite:ratelimit-key:")]
    assert 0 < int(cli("ttl", key_name)) <= 2 * limits.ROTATION_SECONDS  # it vanishes soon
    counters = [k for k in stored.split() if k.startswith("LIMITS")]
    assert counters
    for counter in counters:
        assert 0 < int(cli("ttl", counter)) <= 3600  # no counter outlives its window


@pytest.mark.live
def test_with_redis_gone_tips_are_still_received(
    server_with, redis_url: str, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    """A lost tip is worse than a looser limit or a possible duplicate for a while."""
    server = server_with(TIPSITE_RATELIMIT_STORAGE=redis_url, TIPSITE_SECRET_KEY="s" * 64)
    port = redis_url.rsplit(":", 1)[1]
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True,
                   check=False)
    visitor = Visitor(server.url)
    for _ in range(2):
        assert visitor.send_tip(a_tip()).status == 303
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 2
    assert "Traceback" not in server.output()
