"""Tips into the local store (docs/hotline.md, "Every morning", "Offline: a copied
inbox"): ``pull`` from the site's staff API, ``import`` from a copied inbox folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from tipsite.core.inbox import Inbox
from tipsite.hotline import screen, ui
from tipsite.hotline.commands.options import (
    allow_http_option,
    key_option,
    store_option,
    token_file_option,
)
from tipsite.hotline.connection import check_site_key, remember_site, site_client
from tipsite.hotline.problem import EXIT_KEY_MISMATCH
from tipsite.hotline.source import open_store
from tipsite.hotline.unlock import key_entries


@click.command(name="pull")
@click.argument("url", required=False)
@token_file_option
@click.option("--keep", is_flag=True, help="Leave the envelopes on the server too.")
@allow_http_option
@key_option
@store_option
def pull_command(url: str | None, token_file: Path | None, keep: bool, allow_http: bool,
                 key_files: Sequence[Path], store: Path | None) -> None:
    """Move every waiting tip and follow-up from the site at URL into the local store.

    Each envelope is deleted on the server only after the store holds it durably;
    an interrupted pull can simply be run again. Refuses if the site seals tips to
    a key that is not one of yours. Once the site has shown our key and taken the
    token, remembers URL and the token file's path (not the token), so the next
    morning 'hotline pull' needs no arguments. Sends replies an interrupted
    'hotline reply' left waiting.
    """
    # urllib, http.client and email load only for the commands that talk to the site.
    from tipsite.hotline.outbox import send_waiting
    from tipsite.hotline.pull import pull

    local = open_store(store)
    client = site_client(local, url, allow_http, token_file)
    entries = key_entries(local, key_files)
    check_site_key(client, entries)
    names = client.names()
    with local.locked():
        # The site answered with our key and took the token: remembered for the next
        # pull and for 'hotline reply' (the token file's path only, never the token).
        remember_site(local, client, allow_http, token_file)
        with click.progressbar(length=len(names), label="Pulling", file=sys.stderr) as bar:
            result = pull(client, local, names, {e.key_id for e in entries}, keep, bar.update)
        # Replies an interrupted 'hotline reply' kept go out with the next pull.
        sent = send_waiting(client, local)
    # Tips and follow-ups look alike until opened, and pull opens nothing: "envelopes".
    was = "was" if result.already == 1 else "were"
    click.echo(f"Pulled {screen.plural(result.added, 'new envelope')} (tips or follow-ups) "
               f"into {local.path} ({result.already} {was} already there); "
               f"{'kept on' if keep else 'deleted from'} the server: "
               f"{len(names) if keep else result.deleted}.")
    if sent.stored or sent.already:
        count = sent.stored + sent.already
        click.echo(f"Sent {screen.plural(count, 'waiting reply', 'waiting replies')} "
                   "to the site.")
    if result.foreign:
        ui.report(f"{result.foreign} of the new tips are sealed to a key you do not hold",
                  "the server's key may have been swapped earlier; compare fingerprints")
        raise click.exceptions.Exit(EXIT_KEY_MISMATCH)


@click.command(name="import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@store_option
def import_command(folder: Path, store: Path | None) -> None:
    """Copy every tip from a copied inbox FOLDER into the store (twice adds nothing)."""
    inbox, local = Inbox(folder), open_store(store)
    names = inbox.names()
    added = 0
    with local.locked(), click.progressbar(names, label="Importing", file=sys.stderr) as bar:
        for name in bar:
            added += local.add(name, inbox.read(name))
    click.echo(f"Imported {added} new tips into {local.path} "
               f"({len(names) - added} were already there).")


COMMANDS = [pull_command, import_command]
