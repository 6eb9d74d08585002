"""gunicorn settings for Tipsite: loaded by plain ``gunicorn wsgi:app`` from the checkout.

gunicorn reads ``./gunicorn.conf.py`` on its own, so the safe settings apply even when
nobody passes ``--config``; the systemd unit points at this same file. Command-line
flags and ``GUNICORN_CMD_ARGS`` still override anything here.

Environment:
  TIPSITE_BIND      where to listen (default 127.0.0.1:8000, loopback; the systemd unit
                    sets unix:/run/tipsite/gunicorn.sock, which only nginx may open)
  WEB_CONCURRENCY   number of worker processes (default: 2 per CPU core)

When gunicorn must refuse a request itself (a malformed request line or header, a
line too long), it answers with our bilingual page from ``deploy/errors/`` and our
headers instead of its bare English one: see :func:`write_error_page`.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from gunicorn import util


def worker_count() -> int:
    """WEB_CONCURRENCY if set, else two per core (each worker also waits on fsync)."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return 2 * (os.cpu_count() or 1)


# Loopback, or the kit's unix socket: nginx sits in front (tor feeds nginx); never all
# interfaces. (gunicorn's own default would bind 0.0.0.0 when a PORT variable is set.)
bind = [os.environ.get("TIPSITE_BIND", "").strip() or "127.0.0.1:8000"]
workers = worker_count()
# Threads let one worker wait on a slow client or an fsync while another thread works.
worker_class = "gthread"
threads = 4
# Build the app once, in the master, before forking: start-up checks (key, inbox) run
# once and a refusal stops gunicorn at once (exit 3); workers booting side by side, or
# one respawned after a crash, never clean inbox/tmp/ under another's delivery; and
# workers share the loaded code's memory.
preload_app = True

# nginx buffers whole requests and hands them over at once (tor too goes through
# nginx); the time a worker may take is for sealing and fsync, with room to spare.
timeout = 120
graceful_timeout = 30  # a restart lets a tip that is being sealed finish
keepalive = 5  # nginx reuses upstream connections; idle ones close soon after

# A form post is at most 128 KiB (tipsite.site.app.MAX_BODY); headers stay small. nginx
# refuses lines over 4 KiB itself (large_client_header_buffers), with our page.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190

# One place decides which proxy headers to believe: the app (TIPSITE_PROXIES and
# ProxyFix, for the one nginx the kit installs). gunicorn trusts nothing: no address
# (forwarded_allow_ips), and no scheme or forwarder header, since gunicorn would
# otherwise believe X-Forwarded-Proto from ANY peer on a unix socket.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""

# No access log: even without addresses, a line per POST would record the exact
# moment of each tip, which must exist only inside the sealed envelope.
accesslog = None
# If an operator turns the access log on anyway, this format carries no address,
# User-Agent or Referer (and the logger class blanks those atoms regardless).
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"  # stderr: journald under systemd
loglevel = "info"
# Scrubs client addresses from gunicorn's own messages ("Invalid request from ip=…")
# and carries the app's Python logging through the same scrubbed handlers.
logger_class = "tipsite.site.gunicornlog.ScrubbingLogger"

# gunicorn 27's control socket is not used; without it nothing is written to $HOME.
control_socket_disable = True
proc_name = "tipsite"


# --- gunicorn's own error answers -------------------------------------------------------
ERROR_PAGES = Path(__file__).resolve().parent / "deploy" / "errors"
# The headers nginx adds to the same pages (deploy/nginx-tipsite.conf); HSTS comes
# from nginx on HTTPS, for every answer.
ERROR_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("Connection", "close"),
)
# Read once, in the master, before the workers fork: a refusal never touches the disk.
_PAGES = {name: (ERROR_PAGES / name).read_bytes()
          for name in ("bad-request.html", "too-large.html", "unavailable.html")}


def error_page_for(status: int) -> bytes:
    """The page for a status gunicorn answers itself: 413, 5xx, or any other 4xx."""
    if status == 413:
        return _PAGES["too-large.html"]
    return _PAGES["unavailable.html" if status >= 500 else "bad-request.html"]


def write_error_page(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Answer like gunicorn.util.write_error, but with our page and headers.

    gunicorn's own page is English only, has no hotline number and no CSP, and
    quotes what the client sent (``mesg``); ours says neither.
    """
    body = error_page_for(status_int)
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in ERROR_HEADERS
    ) + f"Content-Length: {len(body)}\r\n\r\n"
    util.write_nonblock(sock, head.encode("latin-1") + body)


# gunicorn's workers answer a request they cannot parse through util.write_error
# (gunicorn.workers.base.Worker.handle_error); tests/test_deploy_live.py checks that
# a malformed request gets our page, so an upgrade that moves this is caught.
util.write_error = write_error_page
