"""Replying to a tipster (docs/hotline.md, "Conversations: follow-ups and replies"):
``reply``, with the message from a file, standard input or the person's editor."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from tipsite.hotline import editor, replies, screen, shortid, ui
from tipsite.hotline.commands.options import (
    allow_http_option,
    key_option,
    store_option,
    store_source,
    token_file_option,
    with_options,
)
from tipsite.hotline.connection import site_client
from tipsite.hotline.problem import Problem
from tipsite.hotline.terminal import safe

REPLY_TEMPLATE = """

# Write your reply to {tip} above. Lines starting with # are left out.
# Only the person holding this tip's receipt code can read it, on the site's
# follow-up page. Write nothing that would harm them if someone else saw it.
"""


@click.command()
@click.argument("tip_id")
@click.option("--message-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the reply from this file (else standard input, else $EDITOR).")
@click.option("--url", help="The site (default: the one the last 'hotline pull' used).")
@token_file_option
@allow_http_option
@click.option("--yes", "-y", is_flag=True,
              help="Send without showing the reply and asking first (for scripts).")
@with_options(key_option, store_option)
def reply(tip_id: str, message_file: Path | None, url: str | None, token_file: Path | None,
          allow_http: bool, yes: bool, key_files: Sequence[Path], store: Path | None) -> None:
    """Reply to the tipster of TIP_ID; only their receipt code opens the reply.

    TIP_ID may name the tip or one of its follow-ups: the reply always goes to the
    key inside the original tip, never to a key in a follow-up (which a forger who
    can write the server's inbox could have chosen). The reply is sealed to the
    tipster's reply key (from inside the tip) and, for
    your records, to the centre's key; both are stored before it is uploaded. If
    the upload is cut off, run the same command again (or the next pull): it is
    sent once. The same text twice to one tip is one reply. Before sending, the reply
    and its conversation are shown and you are asked (--yes: not asked).
    """
    from tipsite.hotline import outbox

    if not yes and not ui.has_terminal():
        raise Problem("there is no terminal to ask 'send this reply?' on",
                      "add --yes to send without asking (scripts)")
    source = store_source(store, key_files)
    local = source.local
    client = site_client(local, url, allow_http, token_file,  # fail before the typing
                         "'hotline pull URL --token-file FILE' (or --url URL)")
    name, conversation = source.conversation(tip_id)
    reply_to = replies.reply_key(conversation)
    root = conversation.root.id
    if name != root:
        ui.tell(f"Replying to the tipster of tip {root[:shortid.SHOWN]} (the key in the "
                "original tip), not to a key in the follow-up.")
    message = outbox.clean_message(message_text(message_file, root[:shortid.SHOWN]))
    if not message:
        raise Problem("the reply is empty; nothing was sent")
    if not yes:
        confirm_reply(screen.reply_target(conversation.root), message)
    centre = replies.centre_key(source.entries(), local.read(root))
    sent = replies.keep_and_send(local, client, root, reply_to, message,
                                 source.unlocker.pairs, centre, ui.tell)
    click.echo(f"Reply to {root[:shortid.SHOWN]} {sent_phrase(sent.stored, sent.already)}. "
               "The tipster reads it with their receipt code.")


def sent_phrase(stored: int, already: int) -> str:
    """How a reply command's upload went, in words that fit every count."""
    if not stored and not already:
        return "was on the site already; nothing needed sending"
    parts = [f"{stored} sent now"] if stored else []
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} there already")
    return f"is on the site ({', '.join(parts)})"


def message_text(message_file: Path | None, tip_id: str) -> str:
    """The reply from --message-file, standard input (not a terminal) or $EDITOR."""
    if message_file is not None:
        return message_file.read_text(encoding="utf-8")
    if not sys.stdin.isatty():
        return sys.stdin.read()
    # The editor's file lives in a private folder that goes on every ordinary ending
    # (editor.py); nothing else of the reply is ever written unsealed.
    typed = editor.edit(REPLY_TEMPLATE.format(tip=tip_id))
    if typed is None:
        raise Problem("the editor closed without saving; nothing was sent")
    return typed


def confirm_reply(conversation_line: str, message: str) -> None:
    """Show what goes to whom and ask before sending; Problem if the answer is no."""
    ui.tell(f"To the tipster of {conversation_line}")
    ui.tell(safe(screen.indent(message)))
    try:
        if ui.confirm("Send this reply?"):
            return
    except ui.NoTerminal:
        pass  # checked before anything was typed; the terminal went away since
    raise Problem("not sent; nothing was stored",
                  "run the command again when the reply is as you want it")


COMMANDS = [reply]
