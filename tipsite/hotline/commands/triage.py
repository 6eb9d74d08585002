"""Reading and triage (docs/hotline.md, "Every morning", "Retention"): ``list``,
``show``, ``done``, ``note`` and ``purge``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from tipsite.hotline import screen, shortid, triage, ui
from tipsite.hotline.commands.options import (
    filter_options,
    inbox_option,
    key_option,
    lang_option,
    source_for,
    store_option,
    store_source,
    with_options,
)
from tipsite.hotline.source import open_store
from tipsite.hotline.terminal import safe


@click.command(name="list")
@with_options(inbox_option, key_option, store_option, lang_option, *filter_options)
@click.pass_context
def list_command(ctx: click.Context, inbox: Path | None, key_files: Sequence[Path],
                 store: Path | None, lang: str, statuses: Sequence[str],
                 setting: str | None) -> None:
    """One line per conversation: id, status, time, setting, location, what is new.

    A tip's follow-ups are counted on its line, not listed apart; a conversation
    with an unread follow-up counts as new. A follow-up whose tip is not here (a
    mistyped receipt code, or a purged tip) gets a line of its own.
    """
    source = source_for(store, inbox, key_files)
    conversations, unreadable = source.conversations()
    width = shortid.short_length(source.names())
    rows = [screen.list_columns(c, width, lang)
            for c in triage.select(conversations, statuses, setting)]
    if rows and sys.stdout.isatty():
        # A header for people; a pipe (grep, a script) gets only the tips' lines.
        rows.insert(0, screen.list_header(lang, with_status=source.inbox is None))
    for line in screen.aligned(rows):
        click.echo(safe(line, multiline=False))
    ui.report_unreadable(unreadable)
    if not conversations and not unreadable:
        click.echo("No tips.", err=True)
    if unreadable:
        ctx.exit(1)


@click.command()
@click.argument("tip_id")
@with_options(inbox_option, key_option, store_option, lang_option)
def show(tip_id: str, inbox: Path | None, key_files: Sequence[Path], store: Path | None,
         lang: str) -> None:
    """Show TIP_ID's whole conversation (tip, follow-ups, replies) and mark it read.

    TIP_ID is any unique start of the id of the tip or of one of its follow-ups.
    """
    source = source_for(store, inbox, key_files)
    _, conversation = source.conversation(tip_id)
    click.echo(safe(screen.conversation_text(conversation, lang)))
    source.mark_read(conversation)


@click.command()
@click.argument("tip_ids", nargs=-1, required=True)
@store_option
def done(tip_ids: Sequence[str], store: Path | None) -> None:
    """Mark tips as handled (today). 'hotline purge' can remove them later."""
    local = open_store(store)
    names = local.names()
    today = date.today()
    for tip_id in tip_ids:
        name = triage.mark_handled(local, tip_id, today, names)
        click.echo(f"{name[:shortid.SHOWN]} handled on {today.isoformat()}")


@click.command()
@click.argument("tip_id")
@click.argument("text", required=False)
@key_option
@store_option
def note(tip_id: str, text: str | None, key_files: Sequence[Path], store: Path | None) -> None:
    """Add a staff note to a tip (TEXT, or standard input). Notes are sealed at rest."""
    local = open_store(store)
    name = shortid.resolve(tip_id, local.names())
    if text is None:
        text = sys.stdin.read()
    triage.add_note(local, name, text, key_files)
    click.echo(f"Note added to {name[:shortid.SHOWN]}.")


@click.command()
@click.option("--handled-before", "before",
              type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Remove tips marked handled on or before this date (YYYY-MM-DD).")
@click.option("--older-than", "days", type=click.IntRange(min=0),
              help="Remove tips marked handled DAYS days ago or earlier (0: today too).")
@with_options(key_option, store_option)
def purge(before: datetime | None, days: int | None, key_files: Sequence[Path],
          store: Path | None) -> None:
    """Remove handled tips for good, with their follow-ups, notes and replies.

    Give --handled-before DATE (handled on or before that day) or --older-than
    DAYS. A handled tip that has an unread follow-up is kept (and named): new
    details are never deleted unseen. Tips are opened to find their follow-ups,
    so this needs the key.
    """
    if (before is None) == (days is None):
        raise click.UsageError("give either --handled-before DATE or --older-than DAYS")
    cutoff = (before.date() if before is not None
              else date.today() - timedelta(days=days or 0)).isoformat()
    source = store_source(store, key_files)
    conversations, unreadable = source.conversations()
    plan = triage.plan_purge(source.local, conversations, unreadable, cutoff)
    for kept in plan.kept:
        short = kept[:shortid.SHOWN]
        # Working as meant, not a failure: a notice, and the exit status stays 0.
        ui.tell(f"note: kept {short}: it is handled, but has an unread follow-up; "
                f"read it with 'hotline show {short}'")
    triage.remove(source.local, plan.doomed)
    removed = screen.plural(len(plan.doomed), "tip or follow-up", "tips and follow-ups")
    click.echo(f"Removed {removed} handled on or before {cutoff}.")


COMMANDS = [list_command, show, done, note, purge]
