"""A script that replays a form post with a copied cookie, as an attacker would."""

from __future__ import annotations

import urllib.parse

from .servers import LiveServer
from .tips import a_tip
from .visitor import Reply, Visitor, csrf_token_in


def replay(server: LiveServer, cookie: str, body: bytes) -> Reply:
    """Post ``body`` with a fixed cookie, as a script that ignores Set-Cookie would."""
    return Visitor(server.url).request(
        "/da/tip", body, {"Content-Type": "application/x-www-form-urlencoded",
                          "Cookie": cookie}, "POST")


def first_form(server: LiveServer) -> tuple[str, bytes]:
    """The cookie and a filled-in body of one front-page visit."""
    visitor = Visitor(server.url)
    token = csrf_token_in(visitor.get("/da/").body)
    cookie = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies)
    return cookie, urllib.parse.urlencode({"csrf_token": token, **a_tip()}).encode()
