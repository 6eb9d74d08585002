"""Options several commands share, each declared once, and the tips they name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tipsite.core.vocabulary import SETTING_IDS
from tipsite.hotline import source, ui
from tipsite.hotline.config import ENV_STORE, ENV_TOKEN
from tipsite.hotline.source import Source, open_store
from tipsite.hotline.store import STATUSES

LANGS = ("da", "en")

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

store_option: Decorator = click.option(
    "--store", type=click.Path(file_okay=False, path_type=Path), envvar=ENV_STORE,
    help=f"The local store (default: your data folder; env {ENV_STORE}).")
key_option: Decorator = click.option(
    "--key", "key_files", multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A private key file (centre.key), besides the store's keyring. Repeatable.")
inbox_option: Decorator = click.option(
    "--inbox", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read a copied inbox folder (holding new/) instead of the store.")
lang_option: Decorator = click.option(
    "--lang", type=click.Choice(LANGS), default="da", show_default=True,
    help="Language of setting, sign and relation labels.")
filter_options: list[Decorator] = [
    click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
                 help="Only tips with this status. Repeatable."),
    click.option("--setting", type=click.Choice(sorted(SETTING_IDS)),
                 help="Only tips about this setting."),
]
token_file_option: Decorator = click.option(
    "--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"File holding the staff token (or set {ENV_TOKEN}).")
allow_http_option: Decorator = click.option(
    "--allow-http", is_flag=True,
    help="Allow plain http:// to another machine (only for a Tor onion address).")


def with_options(*decorators: Decorator) -> Decorator:
    """Apply several click options at once, in the order given (as --help lists them)."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def source_for(store: Path | None, inbox: Path | None, key_files: Sequence[Path]) -> Source:
    """The tips the options --store, --inbox and --key name; passphrases asked at the terminal."""
    return source.source_for(store, inbox, key_files, ui.ask_secret, ui.tell)


def store_source(store: Path | None, key_files: Sequence[Path]) -> Source:
    """The local store's tips (never a copied inbox); passphrases asked at the terminal."""
    return source.Source(open_store(store), None, key_files, ui.ask_secret, ui.tell)
