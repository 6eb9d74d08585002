"""Nobody closes the form for others: junk from many addresses, then a real tipster.

The attack from the penetration test (issue 12): many source addresses post junk
(no token, a forged token, a replayed token, an invalid form, a bot's honeypot)
over and over. A real tipster who then comes from a new address must be thanked
and their tip stored; a tipster with the right receipt code must read their page.
Against a real gunicorn through the shipped gunicorn.conf.py with several workers,
no Redis (sources are distinct loopback addresses 127.0.0.x, as the kernel sees
them), and with Redis behind TIPSITE_PROXIES=1 (sources in X-Forwarded-For).
"""

from __future__ import annotations

import http.client
import http.cookies
import re
import threading
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from tipsite.site import limits

from .support.servers import LiveServer
from .support.tips import a_tip, envelopes_in
from .support.visitor import CSRF_INPUT
from .test_replay import Redis

SOURCES = [f"127.0.0.{n}" for n in range(10, 23)]  # 13 addresses, as in the report
ROUNDS = 3
CODE = re.compile(r"\b(\d{4}(?: \d{4}){4})\b")  # 20 digits in groups of four
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """A client on its own source address (or with its own X-Forwarded-For), keeping cookies."""

    server: LiveServer
    address: str
    forwarded: bool = False
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        port = urllib.parse.urlsplit(self.server.url).port
        sent = dict(headers or {})
        if self.forwarded:
            sent["X-Forwarded-For"] = self.address
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        else:  # the kernel's own source address: what gunicorn sees without a proxy
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                                    source_address=(self.address, 0))
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body, sent)
            response = connection.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                            response.read().decode("utf-8", "replace"))
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def post(self, path: str, fields: list[tuple[str, str]] | bytes) -> Answer:
        body = fields if isinstance(fields, bytes) else urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, FORM)

    def token(self, path: str = "/da/") -> str:
        match = CSRF_INPUT.search(self.request("GET", path).body)
        assert match
        return match.group(1)


def junk_from(browser: Browser, used: tuple[dict[str, str], list[tuple[str, str]]]) -> list[Answer]:
    """Every kind of junk once: none of it is a tip that would be stored."""
    tip = list(a_tip().items())
    cookie, replayed_body = used
    replayer = Browser(browser.server, browser.address, browser.forwarded, dict(cookie))
    return [
        browser.post("/da/tip", b"x=1"),
        browser.post("/da/tip", [("csrf_token", "forged"), *tip]),  # type: ignore[list-item]
        browser.post("/da/tip", [("csrf_token", browser.token()), ("setting", "flat")]),
        browser.post("/da/tip", [("csrf_token", browser.token()), *tip,  # type: ignore[list-item]
                                 ("website", "http://spam.example")]),  # the honeypot
        replayer.post("/da/tip", replayed_body),
        browser.post("/da/followup", b"x=1"),
        browser.post("/da/followup", [("csrf_token", "forged"), ("code", "1234")]),
    ]


def flood(server: LiveServer, forwarded: bool,
          used: tuple[dict[str, str], list[tuple[str, str]]]) -> Counter[int]:
    """Every source sends every kind of junk, ROUNDS times, all sources at once."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def attack(address: str) -> None:
        browser = Browser(server, address, forwarded)
        for _ in range(ROUNDS):
            for answer in junk_from(browser, used):
                assert answer.status in (303, 400, 429), answer.status
                if answer.status == 429:
                    assert int(answer.headers["retry-after"]) >= 1
                with lock:
                    statuses[answer.status] += 1

    with ThreadPoolExecutor(len(SOURCES)) as pool:
        list(pool.map(attack, SOURCES))
    return statuses


def a_used_form(server: LiveServer, address: str, forwarded: bool
                ) -> tuple[str, tuple[dict[str, str], list[tuple[str, str]]]]:
    """A tip sent for real (its receipt code), and its cookie and form to replay later."""
    sender = Browser(server, address, forwarded)
    fields = [("csrf_token", sender.token()), *a_tip().items()]
    cookie = dict(sender.cookies)
    assert sender.post("/da/tip", fields).status == 303  # type: ignore[arg-type]
    thanks = sender.request("GET", "/da/thanks")
    match = CODE.search(thanks.body)
    assert match, "the thank-you page shows a receipt code"
    return match.group(1), (cookie, fields)  # type: ignore[return-value]


def a_real_tipster_gets_through(server: LiveServer, address: str, forwarded: bool,
                                code: str, inbox: Path, before: int) -> None:
    """A new tipster is thanked and stored; the first tipster reads their follow-up page."""
    tipster = Browser(server, address, forwarded)
    description = "Kvinderne bor i klinikken; set under en oversvømmelse af skrald."
    fields = [("csrf_token", tipster.token()), *a_tip(description=description).items()]
    sent = tipster.post("/da/tip", fields)  # type: ignore[arg-type]
    assert sent.status == 303
    assert sent.headers["location"] == "/da/thanks"
    thanks = tipster.request("GET", "/da/thanks")
    assert thanks.status == 200 and CODE.search(thanks.body)
    assert len(envelopes_in(inbox)) == before + 1

    reader = Browser(server, address, forwarded)
    page = reader.post("/da/followup", [("csrf_token", reader.token("/da/followup")),
                                        ("code", code), ("action", "read")])
    assert page.status == 200


@pytest.fixture
def servers(gunicorns):  # type: ignore[no-untyped-def]
    # The shipped per-client default; a tiny global budget, which junk must not touch.
    return lambda **env: gunicorns(**{"WEB_CONCURRENCY": "3",
                                      "TIPSITE_RATELIMIT_GLOBAL": "3 per hour", **env})


@pytest.mark.slow
@pytest.mark.live
def test_a_flood_of_junk_from_many_addresses_leaves_the_form_open(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    server = servers()  # no Redis, no proxy: the shipped defaults
    inbox = Path(site_env["TIPSITE_INBOX"])
    code, used = a_used_form(server, "127.0.0.2", forwarded=False)

    statuses = flood(server, forwarded=False, used=used)
    assert statuses[429] > 0  # the flooders met their own limits
    assert sum(statuses.values()) == len(SOURCES) * ROUNDS * 7
    assert len(envelopes_in(inbox)) == 1  # junk stored nothing

    a_real_tipster_gets_through(server, "127.0.0.99", False, code, inbox, before=1)


@pytest.mark.slow
@pytest.mark.live
def test_with_redis_a_flood_of_junk_leaves_the_form_open(
    servers, site_env: dict[str, str], tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    redis = Redis(tmp_path)
    try:
        shared = {"TIPSITE_RATELIMIT_STORAGE": redis.url, "TIPSITE_PROXIES": "1",
                  "TIPSITE_SECRET_KEY": "s" * 64}
        first, second = servers(**shared), servers(**shared)
        inbox = Path(site_env["TIPSITE_INBOX"])
        code, used = a_used_form(first, "192.0.2.1", forwarded=True)

        statuses = flood(second, forwarded=True, used=used)
        assert statuses[429] > 0
        assert len(envelopes_in(inbox)) == 1

        a_real_tipster_gets_through(first, "192.0.2.200", True, code, inbox, before=1)
        stored = redis.cli("--scan")
        for address in ("192.0.2", "127.0.0.1"):
            assert address not in stored
    finally:
        redis.stop()


@pytest.mark.live
def test_the_global_budget_counts_only_stored_tips(
    servers, site_env: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    """Real tips from many addresses do meet the global limit, with Retry-After."""
    server = servers(WEB_CONCURRENCY="1", TIPSITE_RATELIMIT_GLOBAL="2 per minute")
    statuses = []
    for n in range(3):
        tipster = Browser(server, f"127.0.0.{30 + n}")
        fields = [("csrf_token", tipster.token()), *a_tip(location=f"Vej {n}").items()]
        answer = tipster.post("/da/tip", fields)  # type: ignore[arg-type]
        statuses.append(answer.status)
    assert statuses == [303, 303, 429]
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert "Vej 2" in answer.body  # the text comes back, the hotline number too
    assert "70 20 25 50" in answer.body
    assert len(envelopes_in(Path(site_env["TIPSITE_INBOX"]))) == 2


@pytest.mark.live
def test_an_over_limit_client_is_refused_before_its_body_is_read(
    servers,  # type: ignore[no-untyped-def]
) -> None:
    server = servers(WEB_CONCURRENCY="1", TIPSITE_RATELIMITS="1 per hour")
    tipster = Browser(server, "127.0.0.40")
    assert tipster.post("/da/tip", b"x=1").status == 400  # the one post of its budget
    # A real tipster over the limit gets the text back (a few times: a small budget)...
    fields = [("csrf_token", tipster.token()), *a_tip(location="Kirkevej 8").items()]
    answer = tipster.post("/da/tip", fields)  # type: ignore[arg-type]
    assert answer.status == 429 and "Kirkevej 8" in answer.body
    assert int(answer.headers["retry-after"]) >= 1
    # ...a body no form could send is never parsed to show it back: 60,000 fields.
    fields_body = b"&".join([b"x="] * 59_999 + [b"location=Markoer-9f2"])
    answer = tipster.post("/da/tip", fields_body)
    assert answer.status == 429
    assert "Markoer-9f2" not in answer.body and "70 20 25 50" in answer.body
    assert int(answer.headers["retry-after"]) >= 1
    # And once the echo budget is spent, even an honest-looking post gets the short page.
    for _ in range(limits.parse_many(limits.ECHO_LIMIT)[0].amount):
        answer = tipster.post("/da/tip", fields)  # type: ignore[arg-type]
    assert answer.status == 429 and "Kirkevej 8" not in answer.body
    assert "70 20 25 50" in answer.body


def test_argon2id_waits_for_a_free_slot_and_a_long_queue_gets_the_busy_answer(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "SLOT_WAIT_SECONDS", 0.05)
    with app.test_request_context():
        holding = threading.Event()
        done = threading.Event()

        def hold() -> None:
            with app.test_request_context(), limits.derivation_slot():
                holding.set()
                done.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        holding.wait(10)
        with pytest.raises(limits.SiteBusy) as refused, limits.derivation_slot():
            pass
        assert refused.value.retry_after == limits.BUSY_RETRY_SECONDS
        done.set()
        holder.join()
        with limits.derivation_slot():  # free again
            pass
