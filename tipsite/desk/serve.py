"""Serving the desk: gunicorn in one process, with TLS when it is on the network.

One process, because the keys people opened live in its memory; a few threads, so
one person's slow export does not hold up another's inbox. gunicorn rather than
Flask's development server: it is the same server the site runs on, with TLS built
in (``--cert``/``--key``) and a clean stop on Ctrl-C.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from tipsite.desk.app import create_desk
from tipsite.desk.config import DeskConfig

THREADS = 4  # a small team: a few requests at once, each mostly waiting on the disk


class _DeskServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with our options only: no config file, no command line of its own."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def options_for(config: DeskConfig) -> dict[str, Any]:
    """gunicorn's settings for ``config``."""
    host = f"[{config.host}]" if ":" in config.host else config.host
    options: dict[str, Any] = {
        "bind": [f"{host}:{config.port}"],
        "workers": 1,  # opened keys live in this one process's memory
        "worker_class": "gthread",
        "threads": THREADS,
        "accesslog": None,  # the audit trail says who did what; no addresses in a log
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "hotline-desk",
        "when_ready": lambda server: announce(config),
    }
    if config.tls:
        options.update(certfile=str(config.cert), keyfile=str(config.key))
    return options


def announce(config: DeskConfig) -> None:
    """Say where the desk is, once it listens."""
    print(f"The staff desk is at {config.url} (Ctrl-C stops it).", flush=True)
    sys.stdout.flush()


def run(config: DeskConfig) -> None:
    """Serve the desk until stopped (Ctrl-C or SIGTERM)."""
    _DeskServer(create_desk(config), options_for(config)).run()
