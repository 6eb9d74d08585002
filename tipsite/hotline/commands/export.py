"""Exports (docs/hotline.md, "Exports"): ``export`` as JSON, CSV or HTML, to a file
readable by its owner alone or to standard output."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from tipsite.hotline import exports, triage, ui
from tipsite.hotline.commands.options import (
    filter_options,
    inbox_option,
    key_option,
    lang_option,
    source_for,
    store_option,
    with_options,
)
from tipsite.hotline.problem import Problem


@click.command(name="export")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="json",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (0600) instead of standard output.")
@with_options(inbox_option, key_option, store_option, lang_option, *filter_options)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, out: Path | None, inbox: Path | None,
                   key_files: Sequence[Path], store: Path | None, lang: str,
                   statuses: Sequence[str], setting: str | None) -> None:
    """Export every tip, with its follow-ups and replies, as JSON, CSV (for Excel) or HTML.

    JSON: one object per tip with a ``followups`` and a ``replies`` list. CSV: one
    row per tip; follow-ups and replies one per line in their own cells. A
    follow-up whose tip is not here is exported on its own (kind ``followup``).
    """
    if out is None and fmt != "json" and sys.stdout.isatty():
        # CSV and HTML keep tip text as it is; only JSON is escaped for a terminal.
        raise Problem(f"{fmt.upper()} is not for the terminal", "add --out FILE")
    source = source_for(store, inbox, key_files)
    with exports.cyclic_gc_paused():
        conversations, unreadable = source.conversations()
        # Oldest first as gathered, not the listing's triage order: an export is a record.
        chosen = [c for c in conversations if triage.matches(c, statuses, setting)]
        count = len(chosen)
        data = exports.render(chosen, fmt, lang)
        # Freed while the collector still sleeps: woken with them alive, it would walk
        # every opened tip once more to find nothing (docs/performance.md).
        del conversations, chosen
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        warn_if_redirected()
    else:
        exports.write_export(out, data)
        click.echo(f"Exported {count} tips (with their follow-ups) to {out}", err=True)
    ui.report_unreadable(unreadable)
    if unreadable:
        ctx.exit(1)


def warn_if_redirected() -> None:
    """Warn when standard output is a file: ``> tips.json`` leaves opened tips as the
    shell made the file (usually 0644, readable by every user); ``--out`` makes it 0600."""
    try:
        regular = stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError):  # no real descriptor (captured output): nothing to say
        return
    if regular:
        ui.tell("warning: the export went to a file the shell made, which other users "
                "may be able to read")
        ui.tell("hint: use --out FILE instead: it makes the file readable by you alone "
                "(0600)")


COMMANDS = [export_command]
