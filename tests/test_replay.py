"""One form token, one tip: with the shipped gunicorn.conf.py, across restarts, with Redis.

A script that keeps an old cookie and token posts it again and again, at once and
later. Exactly one tip may be stored, however many workers answer, and whether
the server or Redis restarted in between.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tipsite.core.inbox import list_quietly

from .support.programs import need
from .support.replaying import first_form, replay
from .support.servers import LiveServer, free_port, stop_gunicorn
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor, csrf_token_in

WORKERS = "4"
ATTEMPTS = 16


def replay_at_once(server: LiveServer, cookie: str, body: bytes) -> list[int]:
    """``ATTEMPTS`` posts of the same cookie and token, all in flight together."""
    with ThreadPoolExecutor(ATTEMPTS) as pool:
        return sorted(pool.map(lambda _: replay(server, cookie, body).status, range(ATTEMPTS)))


@pytest.fixture
def servers(gunicorns):  # type: ignore[no-untyped-def]
    """Start gunicorns through the shipped gunicorn.conf.py with four workers."""

    def start(port: str = "", **env: str) -> LiveServer:
        return gunicorns(int(port) if port else None, **{
            "WEB_CONCURRENCY": WORKERS, "TIPSITE_RATELIMIT_ENABLED": "0", **env})

    return start


@pytest.mark.live
def test_a_replayed_token_stores_one_tip_with_four_workers_and_no_redis(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = servers()
    cookie, body = first_form(server)
    statuses = replay_at_once(server, cookie, body)
    assert statuses == [303] + [400] * (ATTEMPTS - 1)
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 1


@pytest.mark.live
def test_a_replay_after_a_restart_is_still_refused(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = servers()
    cookie, body = first_form(server)
    assert replay(server, cookie, body).status == 303
    stop_gunicorn(server)
    restarted = servers()
    reply = replay(restarted, cookie, body)
    assert reply.status == 400
    assert html.escape("Hovedgaden 12, 4000 Roskilde") in reply.body  # the text is kept
    assert replay_at_once(restarted, cookie, body) == [400] * ATTEMPTS
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 1


@pytest.mark.live
def test_a_lost_memory_of_tokens_renews_old_forms_and_the_tipster_sends_again(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    """The used-token folder wiped: old tokens cannot send, their holders can resend."""
    server = servers()
    cookie, body = first_form(server)
    assert replay(server, cookie, body).status == 303
    tipster = Visitor(server.url)
    token = csrf_token_in(tipster.get("/da/").body)  # a form opened before the wipe
    shutil.rmtree(Path(site_env["TIPSITE_INSTANCE"]) / "used-tokens")

    assert replay_at_once(server, cookie, body) == [400] * ATTEMPTS
    fields = [("csrf_token", token), *a_tip(location="Strandvej 3").items()]
    refused = tipster.post_form("/da/tip", fields)  # type: ignore[arg-type]
    assert refused.status == 400
    assert "Strandvej 3" in refused.body  # nothing lost: the text is on the page
    fresh = csrf_token_in(refused.body)
    assert fresh != token
    fields[0] = ("csrf_token", fresh)
    assert tipster.post_form("/da/tip", fields).status == 303  # type: ignore[arg-type]
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 2


@pytest.mark.live
def test_used_token_records_carry_no_time_but_the_day(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = servers()
    cookie, body = first_form(server)
    assert replay(server, cookie, body).status == 303
    root = Path(site_env["TIPSITE_INSTANCE"]) / "used-tokens"
    day = int(time.time() // 86400)
    bucket = root / str(day)  # named for the day the form was opened, nothing finer
    times = [(p.stat().st_atime, p.stat().st_mtime) for p in (root, bucket, root / "epoch")]
    [name] = list_quietly(bucket)
    record = bucket / name
    assert len(name) == 32 and record.stat().st_size == 0
    times.append((record.stat().st_atime, record.stat().st_mtime))
    assert times == [(day * 86400, day * 86400)] * 4


# --- Redis ------------------------------------------------------------------------


class Redis:
    """A real redis-server on loopback that the test may restart, with nothing on disk."""

    def __init__(self, folder: Path) -> None:
        binary = need("redis-server")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        # As docs/deploy.md sets it up: no persistence, so a restart forgets everything.
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60  # a loaded machine starts servers slowly
        while self.cli("ping").strip() != "PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                              check=False, text=True).stdout


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    yield server
    server.stop()


@pytest.mark.live
def test_with_redis_a_replay_stores_one_tip_across_a_redis_restart(
    servers, redis: Redis, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    shared = {"TIPSITE_RATELIMIT_STORAGE": redis.url, "TIPSITE_SECRET_KEY": "s" * 64}
    first, second = servers(**shared), servers(**shared)
    cookie, body = first_form(first)
    assert replay_at_once(first, cookie, body) == [303] + [400] * (ATTEMPTS - 1)
    assert replay(second, cookie, body).status == 400  # another node knows it too

    keys = redis.cli("--scan", "--pattern", "tipsite:used-token:*").split()
    assert len(keys) == 1
    ttl = int(redis.cli("ttl", keys[0]))
    # It expires at midnight UTC, give or take the second or two that Redis's rounding
    # of the remaining time and the clock between the two readings may add or take.
    offset = (ttl + int(time.time())) % 86400
    assert min(offset, 86400 - offset) <= 2

    redis.stop()
    redis.start()  # everything it remembered is gone
    assert replay_at_once(second, cookie, body) == [400] * ATTEMPTS
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 1
    # A tipster who opens the form now is not hindered.
    assert Visitor(first.url).send_tip(a_tip()).status == 303


# --- the journey: a tipster whose form outlived the memory of used tokens -------------


@pytest.mark.live
@pytest.mark.browser
def test_a_tipster_whose_form_outlived_the_token_memory_sends_again_and_loses_nothing(
    servers, site_env: dict[str, str], browser  # type: ignore[no-untyped-def]
) -> None:
    """Chromium, JavaScript off: the site restarts with its used-token folder wiped
    while the form is open; Send shows the text again with a fresh token; Send works."""
    server = servers()
    port = int(server.url.rsplit(":", 1)[1])
    inbox = Path(site_env["TIPSITE_INBOX"])
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server.url}/en/")
    page.check("#setting-massage_clinic")
    page.fill("#location", "Strandvej 3, 3000 Helsingør")
    page.fill("#description", "Lys i vinduerne hele natten; nye kvinder hver uge.")

    stop_gunicorn(server)
    shutil.rmtree(Path(site_env["TIPSITE_INSTANCE"]) / "used-tokens")
    servers(port=str(port))  # the same address, a fresh memory of used tokens

    with page.expect_navigation():
        page.click("#send")
    assert "Your text is kept: please press Send again." in page.content()
    assert page.input_value("#location") == "Strandvej 3, 3000 Helsingør"
    assert page.input_value("#description").startswith("Lys i vinduerne")
    assert envelopes_in(inbox) == []
    with page.expect_navigation():
        page.click("#send")
    assert page.url.endswith("/en/thanks")
    context.close()
    assert len(envelopes_in(inbox)) == 1


def test_disk_records_are_once_only_forgettable_and_expire_by_day(tmp_path: Path) -> None:
    from tipsite.site.replay import TOKEN_DAYS, DiskTokens, today

    store = DiskTokens(tmp_path / "used-tokens")
    (tmp_path / "used-tokens").mkdir()
    epoch = store.epoch()
    assert len(epoch) == 32 and store.epoch() == epoch  # made once, then kept
    day = today()
    assert store.record("a" * 32, day) is True
    assert store.record("a" * 32, day) is False  # the second use
    store.forget("a" * 32, day)  # the tip was not stored after all
    assert store.record("a" * 32, day) is True
    old = day - TOKEN_DAYS - 2  # a day whose tokens are renewed anyway
    assert store.record("b" * 32, old) is True
    store.record("c" * 32, day)  # any record sweeps the expired days
    assert sorted(list_quietly(tmp_path / "used-tokens")) == sorted([str(day), "epoch"])
