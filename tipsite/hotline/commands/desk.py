"""The staff desk in a browser (docs/desk.md): ``hotline desk``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from tipsite.core.errors import ConfigError
from tipsite.hotline.accounts import Accounts
from tipsite.hotline.commands.options import store_option
from tipsite.hotline.config import kdf_cost
from tipsite.hotline.problem import Problem
from tipsite.hotline.source import open_store

ENV_BIND = "HOTLINE_DESK_BIND"
ENV_CERT = "HOTLINE_DESK_CERT"
ENV_KEY = "HOTLINE_DESK_KEY"
ENV_IDLE = "HOTLINE_DESK_IDLE"
ENV_PULL = "HOTLINE_DESK_PULL_MINUTES"
ENV_RETENTION = "HOTLINE_DESK_RETENTION_MONTHS"


@click.command()
@click.option("--bind", envvar=ENV_BIND, default="127.0.0.1:5100", show_default=True,
              help=f"HOST:PORT to listen on (env {ENV_BIND}). Anything but loopback needs TLS.")
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path), envvar=ENV_CERT,
              help=f"TLS certificate (PEM) for this machine's name (env {ENV_CERT}).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path),
              envvar=ENV_KEY, help=f"The certificate's private key (PEM) (env {ENV_KEY}).")
@click.option("--idle", "idle_minutes", type=click.IntRange(min=1), envvar=ENV_IDLE,
              default=15, show_default=True,
              help=f"Minutes without use before a session locks (env {ENV_IDLE}).")
@click.option("--pull-every", "pull_minutes", type=click.IntRange(min=0), envvar=ENV_PULL,
              default=5, show_default=True,
              help=f"Minutes between pulls from the site, 0 for none (env {ENV_PULL}).")
@click.option("--retention", "retention_months", type=click.IntRange(min=1),
              envvar=ENV_RETENTION, default=12, show_default=True,
              help=f"Months a handled conversation is kept before the retention page offers "
                   f"to purge it (env {ENV_RETENTION}).")
@store_option
def desk(bind: str, cert: Path | None, key_file: Path | None, idle_minutes: int,
         pull_minutes: int, retention_months: int, store: Path | None) -> None:
    """Serve the staff desk: the store's tips in a browser, for logged-in staff.

    By default for one person on this machine (http://127.0.0.1:5100/); with --bind
    on the centre's network, with --cert and --key. Add accounts first with
    'hotline user add NAME --admin'. Ctrl-C stops it; the opened tips and keys
    live in its memory only and go with it.
    """
    try:
        # The desk's web parts are an extra: a laptop that only pulls and exports
        # runs hotline without Flask.
        from tipsite.desk import config as desk_config
        from tipsite.desk.serve import run
    except ImportError as exc:
        raise Problem(f"the desk's web parts are not installed ({exc.name} is missing)",
                      "install them: pip install 'tipsite[desk]' "
                      "(or requirements/desk.txt)") from None
    local = open_store(store)
    try:
        host, port = desk_config.parse_bind(bind)
        config = desk_config.DeskConfig(local.path, host, port, cert, key_file, idle_minutes,
                                        kdf_cost(), pull_minutes, retention_months)
        desk_config.check(config, len(Accounts(local.path).list()))
    except ConfigError as exc:
        raise Problem(str(exc)) from None
    os.umask(0o077)  # anything the server writes (it should write nothing) is ours alone
    run(config)


COMMANDS = [desk]
