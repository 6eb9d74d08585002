"""Bad input is expected: every kind gets a clear 4xx page, never a 500, never a partial tip."""

from __future__ import annotations

import html
import socket
import urllib.parse
from pathlib import Path

import pytest
from markupsafe import escape

from .support.servers import LiveServer
from .support.tips import a_tip, envelopes_in
from .support.visitor import Visitor, csrf_token_in

# Every test here starts a real server.
pytestmark = pytest.mark.live


@pytest.fixture
def live_server(shared_server: LiveServer) -> LiveServer:
    """These tests share one server; each checks how the inbox changed under it."""
    return shared_server


class InboxWatch:
    """The envelopes that arrived in the shared inbox since the test began."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.before = set(envelopes_in(path))

    def new(self) -> list[Path]:
        return sorted(set(envelopes_in(self.path)) - self.before)


@pytest.fixture
def inbox(shared_server: LiveServer) -> InboxWatch:
    return InboxWatch(Path(shared_server.env["TIPSITE_INBOX"]))


def token_for(visitor: Visitor) -> str:
    return csrf_token_in(visitor.get("/da/").body)


def post_raw(visitor: Visitor, body: bytes, content_type: str) -> tuple[int, str]:
    reply = visitor.request("/da/tip", body, {"Content-Type": content_type}, "POST")
    return reply.status, reply.body


def test_a_body_larger_than_any_tip_gets_413(live_server: LiveServer, inbox: InboxWatch) -> None:
    visitor = Visitor(live_server.url)
    fields = [("csrf_token", token_for(visitor)), *a_tip(description="ø" * 100_000).items()]
    reply = visitor.post_form("/da/tip", fields)  # type: ignore[arg-type]
    assert reply.status == 413
    assert "70 20 25 50" in reply.body
    assert inbox.new() == []


def test_too_many_form_parts_get_413(live_server: LiveServer, inbox: InboxWatch) -> None:
    visitor = Visitor(live_server.url)
    fields = [("csrf_token", token_for(visitor)), *a_tip().items()]
    fields += [("indicators", "A1")] * 500
    reply = visitor.post_form("/da/tip", fields)  # type: ignore[arg-type]
    assert reply.status == 413
    assert inbox.new() == []


def test_invalid_utf8_gets_400_and_the_rest_of_the_text_back(
    live_server: LiveServer, inbox: InboxWatch
) -> None:
    visitor = Visitor(live_server.url)
    body = (
        f"csrf_token={token_for(visitor)}&setting=flat&location=Havnevej+1"
        "&description=caf%C3%A9+%FF%FE+broken"
    ).encode()
    status, page = post_raw(visitor, body, "application/x-www-form-urlencoded")
    assert status == 400
    assert 'id="description-error"' in page
    assert "Havnevej 1" in page
    assert inbox.new() == []


@pytest.mark.parametrize("value", ["nul\x00byte", "esc\x1b]0;title\x07", "del\x7f"])
def test_control_characters_get_400(live_server: LiveServer, inbox: InboxWatch, value: str) -> None:
    reply = Visitor(live_server.url).send_tip(a_tip(description=value))
    assert reply.status == 400
    assert 'id="description-error"' in reply.body
    assert inbox.new() == []


def test_a_long_single_line_within_the_limit_is_a_normal_tip(
    live_server: LiveServer, inbox: InboxWatch
) -> None:
    reply = Visitor(live_server.url).send_tip(a_tip(description="ø" * 5000))
    assert reply.status == 303
    assert len(inbox.new()) == 1


def test_a_missing_csrf_token_gets_400_with_the_text_kept(
    live_server: LiveServer, inbox: InboxWatch
) -> None:
    visitor = Visitor(live_server.url)
    visitor.get("/da/")
    reply = visitor.post_form("/da/tip", list(a_tip().items()))  # type: ignore[arg-type]
    assert reply.status == 400
    assert html.escape("Hovedgaden 12, 4000 Roskilde") in reply.body
    assert csrf_token_in(reply.body)  # a fresh token: pressing Send again works
    assert inbox.new() == []


def test_a_token_from_another_session_is_refused(
    live_server: LiveServer, inbox: InboxWatch
) -> None:
    stolen = token_for(Visitor(live_server.url))
    victim = Visitor(live_server.url)
    victim.get("/da/")
    fields = [("csrf_token", stolen), *a_tip().items()]
    assert victim.post_form("/da/tip", fields).status == 400  # type: ignore[arg-type]
    assert inbox.new() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/da/tip"), ("PUT", "/da/tip"), ("DELETE", "/da/tip"), ("POST", "/da/"),
     ("POST", "/da/privacy"), ("PATCH", "/en/tip")],  # POST /thanks: the language switch
)
def test_wrong_methods_get_405(live_server: LiveServer, method: str, path: str) -> None:
    reply = Visitor(live_server.url).request(path, b"", method=method)
    assert reply.status == 405
    assert "<h1>" in reply.body


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/xml", "image/png", ""]
)
def test_odd_content_types_get_400(
    live_server: LiveServer, inbox: InboxWatch, content_type: str
) -> None:
    visitor = Visitor(live_server.url)
    body = urllib.parse.urlencode({"csrf_token": token_for(visitor), **a_tip()}).encode()
    status, page = post_raw(visitor, body, content_type)
    assert status == 400
    assert "<h1>" in page
    assert inbox.new() == []


def test_a_multipart_form_is_understood(live_server: LiveServer, inbox: InboxWatch) -> None:
    visitor = Visitor(live_server.url)
    boundary = "tipsiteboundary"
    parts = {"csrf_token": token_for(visitor), **a_tip()}
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in parts.items()
    ) + f"--{boundary}--\r\n"
    status, _ = post_raw(visitor, body.encode(), f"multipart/form-data; boundary={boundary}")
    assert status == 303
    assert len(inbox.new()) == 1


def test_an_absurd_request_line_is_refused_by_the_server(live_server: LiveServer) -> None:
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 4")


def test_whatever_a_tipster_types_is_shown_back_escaped(live_server: LiveServer) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    reply = Visitor(live_server.url).send_tip(
        {"location": hostile, "description": hostile, "people": hostile}
    )
    assert reply.status == 400
    assert "<script>alert(1)" not in reply.body
    assert "<img src=x" not in reply.body
    assert reply.body.count(str(escape(hostile))) == 3

