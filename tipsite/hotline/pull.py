"""Fetching sealed envelopes from the site's staff API into the local store.

The order of steps is the whole point: an envelope is deleted on the server only
after the store holds it durably, so a pull cut off at any moment loses nothing,
and a rerun skips what the store already has (same name), so nothing is doubled.

Uses ``urllib`` from the standard library: a few GET/DELETE calls (and the PUT
of a reply, see outbox.py) with a bearer token need no HTTP dependency.
Redirects are refused (a redirect must not carry the token elsewhere), and plain
``http://`` is refused except to this machine.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tipsite.core.envelope import envelope_key_id
from tipsite.core.errors import EnvelopeError, PullError
from tipsite.core.inbox import is_envelope_name
from tipsite.core.protocol import (
    API_PREFIX,
    ENVELOPES_PATH,
    KEY_PATH,
    REPLIES_PATH,
    envelope_path,
    reply_path,
)
from tipsite.hotline.store import Store

TIMEOUT = 60  # seconds per request; a slow Tor circuit still gets through
USER_AGENT = "tipsite-hotline/1"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (plain HTTP stays on this machine)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_http: bool) -> str:
    """The site's base URL without a trailing slash, if it is safe to send a token to."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PullError(f"{url!r} is not a web address", "give the site's address, "
                        "e.g. https://tips.example.dk")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        # The token and every envelope would cross the network readable and alterable.
        raise PullError(f"refusing plain http:// to {parts.hostname}: the token would travel "
                        "unprotected", "use https://, or --allow-http for a Tor onion address")
    return url.rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the redirect surfaces as an HTTPError and is refused


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class StaffClient:
    """The site's staff API, spoken with a bearer token."""

    base: str
    token: str

    def __repr__(self) -> str:  # the token never reaches a traceback or log
        return f"StaffClient({self.base!r})"

    def _call(self, method: str, path: str, auth: bool = True) -> bytes:
        return self._send(method, path, auth=auth)[1]

    def _send(self, method: str, path: str, data: bytes | None = None, auth: bool = True
              ) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - check_url allowed only http(s)
            self.base + API_PREFIX + path, data=data, method=method)
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/octet-stream")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with _opener.open(request, timeout=TIMEOUT) as response:
                body: bytes = response.read()
                return int(response.status), body
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection; the body says nothing we show
            raise _http_error(exc.code, method, path) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PullError(f"cannot reach {self.base}: {reason}",
                            "check the address and the network connection") from None

    def fingerprint(self) -> str:
        """The fingerprint of the key the site seals tips to, as the site publishes it."""
        return str(self._json("GET", KEY_PATH, auth=False).get("fingerprint", ""))

    def names(self) -> list[str]:
        """Names of the envelopes waiting on the server."""
        names = self._json("GET", ENVELOPES_PATH).get("envelopes")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise PullError("the site's list of envelopes is malformed")
        return names

    def fetch(self, name: str) -> bytes:
        """The bytes of envelope ``name``."""
        return self._call("GET", envelope_path(name))

    def delete(self, name: str) -> None:
        """Delete envelope ``name`` on the server (already gone is fine)."""
        try:
            self._call("DELETE", envelope_path(name))
        except PullError as exc:
            if exc.status != 404:  # gone already: an earlier, interrupted pull did it
                raise

    def put_reply(self, lookup: str, name: str, envelope: bytes) -> bool:
        """Upload a reply envelope; True if the site stored it now, False if it had it."""
        status, _ = self._send("PUT", reply_path(lookup, name), envelope)
        return status == 201

    def _json(self, method: str, path: str, auth: bool = True) -> dict[str, Any]:
        try:
            value = json.loads(self._call(method, path, auth))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PullError(f"{self.base} did not answer like a Tipsite staff API") from None
        if not isinstance(value, dict):
            raise PullError(f"{self.base} did not answer like a Tipsite staff API")
        return value


def _http_error(code: int, method: str, path: str) -> PullError:
    error = _describe(code, method, path)
    error.status = code
    return error


def _describe(code: int, method: str, path: str) -> PullError:
    # A reply's path holds a lookup id: never on the staff's screen or in their logs.
    shown = API_PREFIX + (f"{REPLIES_PATH}/…" if path.startswith(REPLIES_PATH) else path)
    if code == 401:
        return PullError("the site refused the staff token (401)",
                         "check --token-file or HOTLINE_TOKEN against the site's "
                         "TIPSITE_STAFF_TOKEN_SHA256")
    if code == 429:
        return PullError("the site is refusing for a while after failed logins (429)",
                         "wait a minute, then try again with the right token")
    if code == 404 and path in (KEY_PATH, ENVELOPES_PATH):
        return PullError("the site has no staff API (404)",
                         "the operator turns it on with TIPSITE_STAFF_TOKEN_SHA256")
    if code == 404 and path.startswith(REPLIES_PATH):
        return PullError("the site does not take replies (404)",
                         "the site may run an older version; ask its operator to update it")
    if code == 413:
        return PullError("the site refused the reply as too large (413)",
                         "write a shorter reply")
    if 300 <= code < 400:
        return PullError(f"the site redirected {method} {shown} ({code}); not followed",
                         "give the site's final https:// address")
    return PullError(f"the site answered {code} to {method} {shown}")


@dataclass
class PullResult:
    """What a pull did."""

    added: int = 0
    already: int = 0
    deleted: int = 0
    foreign: int = 0  # envelopes sealed to a key the staff do not hold


def pull(
    client: StaffClient,
    store: Store,
    names: Iterable[str],
    own_key_ids: set[bytes],
    keep: bool = False,
    progress: Callable[[int], None] = lambda n: None,
) -> PullResult:
    """Move every envelope in ``names`` from the site into ``store`` (call under its lock)."""
    result = PullResult()
    for name in names:
        if not is_envelope_name(name):
            raise PullError(f"the site offered an envelope with a malformed name {name!r}")
        if store.has(name):
            result.already += 1  # stored by an earlier pull that was cut off before deleting
        else:
            data = client.fetch(name)
            store.add(name, data)  # durable (fsync, rename, fsync) before any delete
            result.added += 1
            if not _sealed_to(data, own_key_ids):
                result.foreign += 1
        if not keep:
            client.delete(name)
            result.deleted += 1
        progress(1)
    return result


def _sealed_to(data: bytes, key_ids: set[bytes]) -> bool:
    try:
        return envelope_key_id(data) in key_ids
    except EnvelopeError:
        return True  # damaged, not foreign: reported when it is opened
