"""No trace of the tipster in any log: a real gunicorn, run through gunicorn.conf.py.

The server gets a real tip with a distinctive User-Agent, Referer and
X-Forwarded-For, a 404, malformed HTTP over a raw socket, and a failure the app
logs; then everything it printed and every file it wrote is searched.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipsite.gunicornlog import REDACTED, scrub

from .conftest import LiveServer, Visitor, a_tip, envelopes_in, start_gunicorn, stop_gunicorn

FORWARDED_FOR = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (SporingsTest; Zebraflet/4711)"
REFERER = "https://referer-sporingstest.example/hemmelig-side"
CLIENT = {"User-Agent": USER_AGENT, "Referer": REFERER, "X-Forwarded-For": FORWARDED_FOR}
TIP = a_tip(
    location="Blåbærvej 4711, Nordkøbing",
    description="Kvinderne sover i klinikken; unik-sporingstekst-8d1e5c",
    when="Hver nat omkring kl. 3, zebra-tidspunkt",
)
# What a tipster could be recognised by, and the forms of it a log might hold.
TRACES = [
    FORWARDED_FOR,
    USER_AGENT,
    "Zebraflet",
    REFERER,
    "referer-sporingstest",
    "Blåbærvej 4711",
    "Nordkøbing",
    "unik-sporingstekst-8d1e5c",
    "zebra-tidspunkt",
    urllib.parse.quote_plus("Blåbærvej 4711"),
]


def send_raw(url: str, data: bytes) -> bytes:
    """Send ``data`` over a plain socket and return what the server answers."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
        return answer


def everything_written(server: LiveServer, folder: Path) -> str:
    """What the server printed plus every file under ``folder`` (logs, inbox, instance)."""
    texts = [server.output()]
    texts += [p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file()]
    return "\n".join(texts)


@pytest.fixture(params=["shipped", "access-log-on"])
def logged_server(
    request: pytest.FixtureRequest, tmp_path: Path, site_env: dict[str, str]
) -> Iterator[LiveServer]:
    """gunicorn through gunicorn.conf.py; also with an operator's stock access log on."""
    # TIPSITE_PROXIES=1: the app takes X-Forwarded-For as the client, the harder case.
    env = {**site_env, "TIPSITE_PROXIES": "1", "WEB_CONCURRENCY": "1"}
    extra: tuple[str, ...] = ()
    if request.param == "access-log-on":
        # gunicorn's own default format prints %(h)s, %(f)s and %(a)s; debug adds more.
        extra = ("--access-logfile", str(tmp_path / "access.log"), "--log-level", "debug",
                 "--access-logformat",
                 '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
                 '%({x-forwarded-for}i)s %({remote_addr}e)s')
    server = start_gunicorn(env, tmp_path / "gunicorn.log", extra)
    yield server
    stop_gunicorn(server)


def test_logs_hold_no_address_agent_referer_or_tip(logged_server: LiveServer,
                                                   tmp_path: Path) -> None:
    url = logged_server.url
    visitor = Visitor(url, CLIENT)

    assert visitor.send_tip(TIP).status == 303
    assert len(envelopes_in(tmp_path / "inbox")) == 1
    assert visitor.get("/da/no-such-page").status == 404
    agent = USER_AGENT.encode()
    for malformed in (
        b"GARBAGE " + agent + b"\r\n\r\n",
        b"GET /da/ HTTP/1.1\r\nHost: x\r\nUser-Agent: " + agent + b"\r\nBad Header: 1\r\n\r\n",
        b"GET /da/ HTTP/9.9\r\nX-Forwarded-For: " + FORWARDED_FOR.encode() + b"\r\n\r\n",
    ):
        assert send_raw(url, malformed).startswith(b"HTTP/1.1 400")
    stop_gunicorn(logged_server)  # flush and close everything before reading it

    written = everything_written(logged_server, tmp_path)
    if (tmp_path / "access.log").exists():  # the operator's access log did record requests
        assert '"POST /da/tip HTTP/1.1" 303' in (tmp_path / "access.log").read_text()
    # The malformed requests were logged, without the address they came from.
    assert "Invalid request from ip=" + REDACTED in written
    assert "127.0.0.1" not in written
    for trace in TRACES:
        assert trace not in written, trace


def test_app_log_goes_through_the_scrubbed_log(live_server_with_proxy: LiveServer,
                                               key_files_path: Path) -> None:
    """A failure the app logs while a tip is in hand: logged, without the tipster."""
    key_files_path.unlink()  # the key is gone at run time: the app logs and says 503
    assert Visitor(live_server_with_proxy.url, CLIENT).send_tip(TIP).status == 503
    stop_gunicorn(live_server_with_proxy)

    printed = live_server_with_proxy.output()
    app_lines = [line for line in printed.splitlines() if "public key cannot be read" in line]
    assert len(app_lines) == 1
    assert "[ERROR]" in app_lines[0]  # gunicorn's format: it went through its handlers
    assert "127.0.0.1" not in printed
    for trace in TRACES:
        assert trace not in printed, trace


@pytest.fixture
def key_files_path(site_env: dict[str, str]) -> Path:
    return Path(site_env["TIPSITE_PUBLIC_KEY"])


@pytest.fixture
def live_server_with_proxy(tmp_path: Path, site_env: dict[str, str]) -> Iterator[LiveServer]:
    env = {**site_env, "TIPSITE_PROXIES": "1", "WEB_CONCURRENCY": "1"}
    server = start_gunicorn(env, tmp_path / "gunicorn.log")
    yield server
    stop_gunicorn(server)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Invalid request from ip=192.0.2.1: bad", f"Invalid request from ip={REDACTED}: bad"),
        ("Invalid request from ip=::1: bad", f"Invalid request from ip={REDACTED}: bad"),
        ("peer 2001:db8::8a2e:370:7334 left", f"peer {REDACTED} left"),
        ("mapped ::ffff:203.0.113.77", f"mapped {REDACTED}"),
        ("scoped fe80::1%eth0 link", f"scoped {REDACTED} link"),
        ("('198.51.100.9', 51234)", f"('{REDACTED}', 51234)"),
        ("at 10:19:03, gunicorn 27.0.1", "at 10:19:03, gunicorn 27.0.1"),  # not addresses
        ("std::string and deadbeef:cafe", "std::string and deadbeef:cafe"),
    ],
)
def test_scrub_replaces_addresses_and_nothing_else(line: str, expected: str) -> None:
    assert scrub(line) == expected
