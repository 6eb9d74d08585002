"""No trace of the tipster in any log: a real gunicorn, run through gunicorn.conf.py.

The server gets a real tip with a distinctive User-Agent, Referer and
X-Forwarded-For, a 404, malformed HTTP over a raw socket, and a failure the app
logs; then everything it printed and every file it wrote is searched.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipsite.site.gunicornlog import REDACTED, AddressScrubber, escape_controls, scrub

from .support.servers import LiveServer, start_gunicorn, stop_gunicorn
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor

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


@pytest.mark.live
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


@pytest.mark.live
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


# --- requests that once gave a 500, forged log lines or logged request data -------

ONION = "a" * 56 + ".onion"
STAFF_TOKEN = "staff-token-for-the-log-test-5c1d"
LOOKUP = "5f3a9c0e7b2d4816a0c3e5f7091b2d4e"
NAME = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
HOSTILE_PATHS = [
    "/da/followup%E2%80%9D",  # a link copied with its closing quote
    "/da/%FF",  # a byte that is not UTF-8
    "/da/x%0aFORGED-LINE-7f3e%0a[2026-01-01%2000:00:00%20+0000]%20[1]%20[INFO]%20fake",
    "/da/followup%0d%0aSet-Cookie:%20forged-cookie-77=1",
    "/en/%C0%AF%E2%80%A8forged-u2028",
]


@pytest.fixture(params=["shipped", "access-log-on"])
def onion_server(request: pytest.FixtureRequest, tmp_path: Path,
                 site_env: dict[str, str]) -> Iterator[LiveServer]:
    """Deploy step 8: an onion address set, the staff API on; also with an access log."""
    env = {**site_env, "TIPSITE_ONION_ADDRESS": ONION, "WEB_CONCURRENCY": "2",
           "TIPSITE_STAFF_TOKEN_SHA256": hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()}
    extra: tuple[str, ...] = ()
    if request.param == "access-log-on":  # the shipped access_log_format, turned on
        extra = ("--access-logfile", str(tmp_path / "access.log"))
    server = start_gunicorn(env, tmp_path / "gunicorn.log", extra)
    yield server
    stop_gunicorn(server)


def raw_get(url: str, path: str, extra: str = "") -> tuple[str, bytes]:
    """The status line's code and the headers of a GET sent byte for byte."""
    answer = send_raw(url, f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"
                      .encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b" ", 2)[1].decode(), head + b"\r\n\r\n" + body


@pytest.mark.live
def test_no_request_gets_a_500_forges_a_log_line_or_logs_request_data(
    onion_server: LiveServer, tmp_path: Path
) -> None:
    auth = f"Authorization: Bearer {STAFF_TOKEN}\r\n"
    for path in HOSTILE_PATHS:
        status, answer = raw_get(onion_server.url, path)
        assert status == "404", (path, answer[:300])
        assert b"70 20 25 50" in answer  # our page, in our words
        head = answer.split(b"\r\n\r\n", 1)[0]
        [onion] = [line for line in head.split(b"\r\n") if line.startswith(b"Onion-Location:")]
        assert onion.isascii() and b"forged-cookie" not in head.replace(onion, b"")
        assert b"\nSet-Cookie: forged" not in head
    status, _ = raw_get(onion_server.url, f"/staff/v1/envelopes/{NAME}", auth)
    assert status == "404"
    put = (f"PUT /staff/v1/replies/{LOOKUP}/{NAME} HTTP/1.1\r\nHost: x\r\n{auth}"
           "Content-Length: 3\r\nConnection: close\r\n\r\nabc").encode()
    assert send_raw(onion_server.url, put).startswith(b"HTTP/1.1 400")
    stop_gunicorn(onion_server)

    printed = onion_server.output()
    for trace in ("FORGED-LINE", "fake", "forged", "followup", "%FF", "%E2", LOOKUP, NAME,
                  "Traceback", "Internal Server Error"):
        assert trace not in printed, trace
    # A 500 as a number of its own: a worker's pid such as 15500 once matched a bare "500".
    assert not re.search(r"(?<!\d)500(?!\d)", printed), printed
    for line in printed.splitlines():  # every line is one of gunicorn's records
        assert line.startswith("[20"), line
    assert LOOKUP not in everything_written(onion_server, tmp_path)
    assert NAME not in everything_written(onion_server, tmp_path)
    if (tmp_path / "access.log").exists():  # an operator's choice: paths, one line each
        access = (tmp_path / "access.log").read_text().splitlines()
        assert len(access) == 1 + len(HOSTILE_PATHS) + 2  # the start-up probe; none forged
        assert '"GET /da/x\\nFORGED-LINE-7f3e\\n[2026' in access[3]
        assert '"PUT /staff/v1/replies/*" 400' in access[-1]


def test_a_traceback_keeps_its_frames_and_loses_what_the_client_sent() -> None:
    try:
        try:
            raise ValueError("path /da/x\nFORGED 203.0.113.77")
        except ValueError:
            raise RuntimeError("header value\r\nInjected: 1") from None
    except RuntimeError:
        import sys

        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                   "Error handling request %s", ("/da/%0a",), sys.exc_info())
    AddressScrubber().filter(record)
    text = logging.Formatter().format(record)
    assert "RuntimeError: [request text withheld]" in text
    assert 'raise RuntimeError("header value' in text  # where it happened: the frame stays
    assert "Injected: 1" not in text.replace('"header value\\r\\nInjected: 1"', "")
    assert "/da/%0a" not in text and "203.0.113.77" not in text
    assert record.getMessage() == "Error handling request [request text withheld]"


@pytest.mark.parametrize(
    ("message", "expected"),
    [("a\nb", "a\\nb"), ("tab\there", "tab\\there"), ("nul\x00", "nul\\x00"),
     ("line\u2028sep", "line\\u2028sep"), ("æøå ok", "æøå ok")],
)
def test_one_record_is_one_line(message: str, expected: str) -> None:
    assert escape_controls(message) == expected
