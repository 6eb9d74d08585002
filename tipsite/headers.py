"""Response headers that keep the browser from leaking or loading anything."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

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
    onion = current_app.config["TIPSITE"].onion_address
    if onion and not request.host.endswith(".onion"):
        # Tor Browser offers the onion version of the same page.
        h["Onion-Location"] = f"http://{onion}{request.full_path.rstrip('?')}"
    return response


def init_app(app: Flask) -> None:
    """Register the header hook on ``app``."""
    app.after_request(add_headers)
