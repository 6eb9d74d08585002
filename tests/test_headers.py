"""No trace of the tipster: headers, cookies and outside references, on a real gunicorn."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from flask import Flask

from tipsite.core import keys

from .support.keyfiles import KeyFiles
from .support.servers import LiveServer, serving, site_in, start_gunicorn, stop_gunicorn
from .support.tips import a_tip
from .support.visitor import Reply, Visitor

REQUIRED_CSP = {
    "default-src": "'none'",
    "style-src": "'self'",
    "img-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}
ONION = "a" * 56 + ".onion"
# Tests that only read a site share one gunicorn per kind of site (a module fixture);
# under xdist the group keeps them on one worker, so each server starts once.
shares_a_server = pytest.mark.xdist_group("test_headers_shared")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, keypair: keys.KeyPair
         ) -> Iterator[LiveServer]:
    """A site with the default settings, as live_server, shared by the reading tests."""
    folder = tmp_path_factory.mktemp("site")
    with serving(site_in(folder, keypair), folder / "gunicorn.log") as server:
        yield server


@pytest.fixture(scope="module")
def onion_site(tmp_path_factory: pytest.TempPathFactory, keypair: keys.KeyPair
               ) -> Iterator[LiveServer]:
    """A site that also has an onion address (TIPSITE_ONION_ADDRESS)."""
    folder = tmp_path_factory.mktemp("onion")
    with serving(site_in(folder, keypair, TIPSITE_ONION_ADDRESS=ONION),
                 folder / "gunicorn.log") as server:
        yield server


def assert_private_headers(reply: Reply, page: bool = True) -> None:
    """The headers every response carries; ``page``: a page that may hold a form or a tip."""
    csp = dict(
        (part.split()[0], " ".join(part.split()[1:]))
        for part in reply.headers["Content-Security-Policy"].split(";") if part.strip()
    )
    for directive, value in REQUIRED_CSP.items():
        assert csp.get(directive) == value, directive
    assert "script-src" not in csp  # falls back to default-src 'none': no script runs
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "camera=()" in reply.headers["Permissions-Policy"]
    assert "geolocation=()" in reply.headers["Permissions-Policy"]
    assert reply.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if page:
        assert reply.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in reply.headers  # plain HTTP here
    assert not re.search(r"\d", reply.headers.get("Server") or "")  # no version detail


@pytest.fixture
def error_server(tmp_path: Path, site_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """A gunicorn with a tiny rate limit, so 429 is one request away."""
    # Two: the oversized post below counts too, then one tip passes and one is refused.
    env = {**site_env, "TIPSITE_RATELIMITS": "2 per hour", "WEB_CONCURRENCY": "1"}
    server = start_gunicorn(env, tmp_path / "errors.log")
    yield server
    stop_gunicorn(server)


@pytest.mark.live
def test_every_kind_of_response_carries_the_headers(error_server: LiveServer) -> None:
    visitor = Visitor(error_server.url)
    front = visitor.get("/da/")
    assert_private_headers(front)
    assert_private_headers(visitor.get("/da/privacy"))
    assert_private_headers(visitor.get("/static/site.css"), page=False)
    assert_private_headers(visitor.get("/"), page=False)
    not_found = visitor.get("/da/nowhere")
    assert not_found.status == 404
    assert_private_headers(not_found)
    wrong_method = visitor.request("/da/tip", method="GET")
    assert wrong_method.status == 405
    assert_private_headers(wrong_method)
    too_large = visitor.post_form("/da/tip", [("description", "x" * 200_000)])
    assert too_large.status == 413
    assert_private_headers(too_large)
    assert visitor.send_tip(a_tip()).status == 303
    limited = visitor.send_tip(a_tip())
    assert limited.status == 429
    assert_private_headers(limited)


def test_a_500_page_carries_the_headers_and_no_traceback(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("secret detail of the failure")

    app.add_url_rule("/da/broken", "broken", broken)
    reply = app.test_client().get("/da/broken")
    assert reply.status_code == 500
    body = reply.get_data(as_text=True)
    assert "secret detail" not in body and "Traceback" not in body
    assert "70 20 25 50" in body
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.live
def test_a_503_when_the_key_vanishes_carries_the_headers(
    live_server: LiveServer, key_files: KeyFiles
) -> None:
    visitor = Visitor(live_server.url)
    token_page = visitor.get("/da/")
    key_files.public.rename(key_files.public.with_suffix(".gone"))
    from .support.visitor import csrf_token_in

    reply = visitor.post_form("/da/tip", [("csrf_token", csrf_token_in(token_page.body)),
                                          *a_tip().items()])  # type: ignore[list-item]
    assert reply.status == 503
    assert_private_headers(reply)
    assert "70 20 25 50" in reply.body


@pytest.mark.live
def test_https_adds_hsts_and_marks_the_cookie_secure_and_the_post_works(
    tmp_path: Path, site_env: dict[str, str], key_files: KeyFiles
) -> None:
    # Behind one trusted proxy that terminates TLS: X-Forwarded-Proto says https.
    env = {**site_env, "TIPSITE_PROXIES": "1"}
    server = start_gunicorn(env, tmp_path / "https.log")
    try:
        visitor = Visitor(server.url, {"X-Forwarded-Proto": "https"})
        front = visitor.get("/da/")
        assert front.headers["Strict-Transport-Security"].startswith("max-age=")
        cookie = front.headers["Set-Cookie"]
        assert "Secure" in cookie
        # urllib will not send a Secure cookie over http; send it as the browser would.
        name_value = cookie.split(";", 1)[0]
        from .support.visitor import csrf_token_in

        token = csrf_token_in(front.body)
        reply = visitor.request(
            "/da/tip",
            data=__import__("urllib.parse").parse.urlencode(
                {"csrf_token": token, **a_tip()}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": name_value},  # no Referer at all, as with no-referrer
            method="POST",
        )
        assert reply.status == 303
    finally:
        stop_gunicorn(server)
    assert ssl  # TLS itself is nginx's job (deploy/); the app trusts the proxy header


@pytest.mark.live
@shares_a_server
def test_onion_location_is_advertised_when_configured(onion_site: LiveServer) -> None:
    reply = Visitor(onion_site.url).get("/en/privacy")
    assert reply.headers["Onion-Location"] == f"http://{ONION}/en/privacy"


@pytest.mark.live
@pytest.mark.parametrize(
    ("path", "expected"),
    [("/da/followup%E2%80%9D", "/da/followup%E2%80%9D"), ("/da/%FF", "/da/%EF%BF%BD"),
     ("/da/a%0d%0aSet-Cookie:%20x=1", "/da/a%0D%0ASet-Cookie%3A%20x%3D1")],
)
@shares_a_server
def test_onion_location_is_percent_encoded_and_odd_paths_get_our_404(
    onion_site: LiveServer, path: str, expected: str
) -> None:
    """A link copied with its closing quote, or bytes that are not UTF-8: our 404, no 500."""
    reply = Visitor(onion_site.url).get(path)
    assert reply.status == 404
    assert "70 20 25 50" in reply.body
    assert_private_headers(reply)
    assert reply.headers["Onion-Location"] == f"http://{ONION}{expected}"
    assert "Set-Cookie" not in reply.headers


@pytest.mark.live
@shares_a_server
@pytest.mark.parametrize(("path", "status", "location"),
                         [("/", 302, "/en/"),  # no Accept-Language: English
                          ("/da", 308, "/da/"), ("//en", 308, "/en/"),
                          ("/en//privacy", 308, "/en/privacy")])
def test_redirects_never_name_the_host_the_request_gave(
    site: LiveServer, path: str, status: int, location: str
) -> None:
    host, port = site.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
                     .encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    text = answer.decode("utf-8", "replace")
    assert text.startswith(f"HTTP/1.1 {status}")
    assert f"\r\nLocation: {location}\r\n" in text
    assert "evil.example/" not in text.replace(f"Location: {location}", "").replace(
        f'"{location}">{location}<', "")


@pytest.mark.live
@shares_a_server
def test_no_onion_location_without_an_onion_address(site: LiveServer) -> None:
    assert "Onion-Location" not in Visitor(site.url).get("/da/").headers


# --- cookies -------------------------------------------------------------------


@pytest.mark.live
@shares_a_server
@pytest.mark.parametrize("path", ["/", "/da/thanks", "/da/privacy", "/en/signs", "/da/key",
                                  "/da/accessibility", "/static/site.css", "/da/nowhere"])
def test_a_page_without_a_form_sets_no_cookie(site: LiveServer, path: str) -> None:
    assert "Set-Cookie" not in Visitor(site.url).get(path).headers


@pytest.mark.live
@shares_a_server
def test_the_only_cookie_is_the_csrf_session_cookie(site: LiveServer) -> None:
    visitor = Visitor(site.url)
    cookie = visitor.get("/da/").headers.get_all("Set-Cookie")
    assert cookie is not None and len(cookie) == 1
    attributes = [a.strip().lower() for a in cookie[0].split(";")]
    assert attributes[0].startswith("csrf=")
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert not any(a.startswith(("expires", "max-age")) for a in attributes)
    # The token and the day it was made (replay.py), nothing else.
    assert sorted(session_data(cookie[0])) == ["csrf_born", "csrf_token"]


def session_data(cookie: str) -> dict[str, str]:
    """What a signed session cookie holds (signed, so readable: it must hold little)."""
    import base64
    import json
    import zlib

    value = cookie.split(";", 1)[0].removeprefix("csrf=")
    compressed = value.startswith(".")  # itsdangerous zips a payload when that is shorter
    value = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    data: dict[str, str] = json.loads(zlib.decompress(raw) if compressed else raw)
    return data


@pytest.mark.live
@shares_a_server
def test_after_a_tip_the_cookie_carries_the_receipt_once_then_is_deleted(
    site: LiveServer,
) -> None:
    visitor = Visitor(site.url)
    [cookie] = visitor.send_tip(a_tip()).headers.get_all("Set-Cookie") or []
    assert list(session_data(cookie)) == ["receipt"]  # the used token is gone
    [cookie] = visitor.get("/da/thanks").headers.get_all("Set-Cookie") or []
    # The receipt is gone; what remains is the form token of the page's language switch
    # (a small form that posts the code, issue 11), with its day-and-epoch stamp.
    assert sorted(session_data(cookie)) == ["csrf_born", "csrf_token"]
    assert "receipt" not in str(visitor.cookies)


# --- no outside references -----------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.refs.append(value)
            if name == "style" and value:
                self.refs.extend(re.findall(r"url\(([^)]*)\)", value))


@pytest.mark.live
@shares_a_server
def test_no_page_refers_to_anything_outside_the_site(site: LiveServer) -> None:
    visitor = Visitor(site.url)
    seen: set[str] = set()
    queue = ["/da/", "/en/", "/da/nowhere"]
    outside: list[tuple[str, str]] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        reply = visitor.get(path)
        if path.endswith(".css"):
            refs = re.findall(r"url\(([^)]*)\)", reply.body) + re.findall(r"@import", reply.body)
        else:
            parser = _Links()
            parser.feed(reply.body)
            refs = parser.refs
        for ref in refs:
            target = urlparse(urljoin(site.url + path, ref.strip("'\"")))
            if target.scheme == "tel":
                continue
            if target.netloc != urlparse(site.url).netloc:
                outside.append((path, ref))
            elif target.path not in seen and target.path.startswith(("/da/", "/en/", "/static/")):
                queue.append(target.path)
    assert outside == []
    assert {"/da/", "/en/", "/da/privacy", "/en/signs", "/da/key", "/static/site.css"} <= seen


@pytest.mark.live
@shares_a_server
def test_forwarding_headers_from_loopback_are_not_trusted_by_default(
    site: LiveServer,
) -> None:
    """gunicorn.conf.py trusts no forwarder and TIPSITE_PROXIES defaults to 0: behind Tor
    every client is 127.0.0.1, and none may turn on HTTPS behaviour or pick an address."""
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9",
              "X-Forwarded-Host": "evil.example", "Forwarded": "proto=https;for=198.51.100.9"}
    reply = Visitor(site.url, forged).get("/da/")
    assert "Strict-Transport-Security" not in reply.headers
    [cookie] = reply.headers.get_all("Set-Cookie") or []
    assert "secure" not in [a.strip().lower() for a in cookie.split(";")]
    redirect = Visitor(site.url, forged).get("/da")
    assert redirect.headers["Location"] == "/da/"
