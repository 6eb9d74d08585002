"""Response headers that keep the browser from leaking or loading anything."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, Response, request
from markupsafe import escape

from tipsite.site.config import site_config

# Nothing from anywhere but this site; no scripts at all; no framing.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


def add_headers(response: Response) -> Response:
    """Add the privacy and safety headers to every response, errors included."""
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"  # links out never tell where the reader came from
    h["Permissions-Policy"] = PERMISSIONS
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/static/"):
        # A page may hold a tipster's text or a form token: never keep it in a cache.
        h["Cache-Control"] = "no-store"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=63072000"
    onion = site_config().onion_address
    if onion and not request.host.endswith(".onion"):
        # Tor Browser offers the onion version of the same page. The path is
        # percent-encoded again (any text a link carried, bytes that are not UTF-8,
        # line breaks) and the query left out: a header holds only safe ASCII.
        h["Onion-Location"] = f"http://{onion}{safe_path(request.path)}"
    relative_location(response)
    return response


def safe_path(path: str) -> str:
    """``path`` percent-encoded: ASCII letters, digits and ``/-._~`` stay as they are."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/-._~")


def relative_location(response: Response) -> None:
    """Never send a redirect to the host the request named (``Host: evil.example``).

    Every redirect of this site stays on this site, so its Location is a path:
    Werkzeug's own slash redirects (``/da`` to ``/da/``) are built from the Host
    header and become relative here.
    """
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.scheme or parts.netloc:
            # Already percent-encoded by Werkzeug: keep its escapes, encode anything else.
            path = quote(parts.path or "/", safe="/-._~%!$&'()*+,;=:@")
            path = "/" + path.lstrip("/")  # "//evil.example/" would leave the site
            query = quote(parts.query, safe="/-._~%!$&'()*+,;=:@?")
            target = f"{path}?{query}" if query else path
            response.headers["Location"] = target
            # Werkzeug's redirect page repeats the absolute URL: say the path only.
            link = escape(target)
            response.set_data(f'<!doctype html>\n<a href="{link}">{link}</a>\n')
            response.content_type = "text/html; charset=utf-8"


def init_app(app: Flask) -> None:
    """Register the header hook on ``app``."""
    app.after_request(add_headers)
