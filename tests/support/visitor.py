"""A tipster's browser without JavaScript: real HTTP against a live server, cookies kept."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the form on a page."""
    match = CSRF_INPUT.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class Reply:
    status: int
    headers: Message
    body: str


class Visitor:
    """A tipster's browser without JavaScript: real HTTP, cookies kept, no redirects followed."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = headers or {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None, method: str | None = None) -> Reply:
        req = urllib.request.Request(  # noqa: S310 - loopback test server
            self.base_url + path, data=data, headers={**self.headers, **(headers or {})},
            method=method,
        )
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Reply(resp.status, resp.headers, resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as err:
            with err:  # closed here, so no ResourceWarning surfaces in a later test
                return Reply(err.code, err.headers, err.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Reply:
        return self.request(path)

    def post_form(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            path, body, {"Content-Type": "application/x-www-form-urlencoded"}, "POST"
        )

    def send_tip(self, fields: dict[str, str | list[str]], lang: str = "da") -> Reply:
        """Open the front page, then post ``fields`` with the page's CSRF token."""
        token = csrf_token_in(self.get(f"/{lang}/").body)
        pairs: list[tuple[str, str]] = [("csrf_token", token)]
        for name, value in fields.items():
            values = value if isinstance(value, list) else [value]
            pairs.extend((name, v) for v in values)
        return self.post_form(f"/{lang}/tip", pairs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
