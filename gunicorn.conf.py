"""gunicorn settings for Tipsite: loaded by plain ``gunicorn wsgi:app`` from the checkout.

gunicorn reads ``./gunicorn.conf.py`` on its own, so the safe settings apply even when
nobody passes ``--config``; the systemd unit points at this same file. Command-line
flags and ``GUNICORN_CMD_ARGS`` still override anything here.

Environment:
  TIPSITE_BIND      where to listen (default 127.0.0.1:8000, loopback behind nginx)
  WEB_CONCURRENCY   number of worker processes (default: 2 per CPU core)
"""

from __future__ import annotations

import os


def worker_count() -> int:
    """WEB_CONCURRENCY if set, else two per core (each worker also waits on fsync)."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return 2 * (os.cpu_count() or 1)


# Loopback only: nginx (TLS) and tor sit in front; never listen on all interfaces.
# (gunicorn's own default would bind 0.0.0.0 when a PORT variable happens to be set.)
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

# Slow Tor circuits: nginx buffers whole requests, but gunicorn may also be reached
# directly (tor -> gunicorn); give a tipster on a slow circuit time to finish.
timeout = 120
graceful_timeout = 30  # a restart lets a tip that is being sealed finish
keepalive = 5  # nginx reuses upstream connections; idle ones close soon after

# A form post is at most 128 KiB (tipsite.app.MAX_BODY); headers stay small.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# One place decides which proxy headers to believe: the app (TIPSITE_PROXIES and
# ProxyFix). Behind Tor every client is 127.0.0.1, so gunicorn must not trust it.
forwarded_allow_ips = ""

# No access log: even without addresses, a line per POST would record the exact
# moment of each tip, which DESIGN keeps only inside the sealed envelope.
accesslog = None
# If an operator turns the access log on anyway, this format carries no address,
# User-Agent or Referer (and the logger class blanks those atoms regardless).
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"  # stderr: journald under systemd
loglevel = "info"
# Scrubs client addresses from gunicorn's own messages ("Invalid request from ip=…")
# and carries the app's Python logging through the same scrubbed handlers.
logger_class = "tipsite.gunicornlog.ScrubbingLogger"

# gunicorn 27's control socket is not used; without it nothing is written to $HOME.
control_socket_disable = True
proc_name = "tipsite"
