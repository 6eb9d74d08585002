"""A tipster's side for the benchmarks: fetch the form, keep its cookie, post a tip."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from dataclasses import dataclass

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# About 2 KB of description, as a detailed tip; plain text takes sanitise's fast path.
PLAIN_TEXT = (
    "Der kommer mange mænd til klinikken om aftenen, også efter lukketid. "
    "Kvinderne ser ud til at bo i lokalerne; der hænger vasketøj i baglokalet. "
) * 14
# The same with markup characters: every field then goes through bleach.
MARKUP_TEXT = PLAIN_TEXT.replace("klinikken", "<b>klinikken</b> & co", 4)


@dataclass
class Pair:
    """A CSRF cookie and the token of the form it came with."""

    cookie: str
    token: str


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def fetch_pair(port: int, headers: dict[str, str] | None = None) -> Pair:
    """GET /da/ and return the session cookie and the form's token."""
    conn = connect(port)
    try:
        conn.request("GET", "/da/", headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    token = CSRF_FIELD.search(body)
    cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
    if response.status != 200 or not token or not cookie:
        raise RuntimeError(f"no form token from GET /da/ ({response.status})")
    return Pair(cookie, token.group(1))


def tip_body(pair: Pair, description: str = PLAIN_TEXT) -> str:
    """A complete, valid form post for ``pair``."""
    return urllib.parse.urlencode([
        ("csrf_token", pair.token),
        ("setting", "massage_clinic"),
        ("location", "Hovedgaden 12, 4000 Roskilde"),
        ("description", description),
        ("when", "Hver aften efter kl. 22"),
        ("indicators", "A1"),
        ("indicators", "A3"),
        ("website", ""),
    ])


def post_tip(port: int, pair: Pair, headers: dict[str, str] | None = None) -> int:
    """POST one tip with ``pair``; return the status (303 means thanked)."""
    conn = connect(port)
    try:
        conn.request("POST", "/da/tip", body=tip_body(pair), headers={
            **(headers or {}),
            "Cookie": pair.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        })
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
