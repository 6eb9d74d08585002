"""``hotline``: the hotline staff's tool for keys and tips (click; never Flask).

Tips reach the staff still sealed, either pulled from the site's staff API into a
local store or read from a copied inbox folder; they are opened in memory with a
passphrase-locked private key, shown, triaged and exported. See docs/hotline.md.

This module holds the command group and the entry point; the commands live in
``tipsite.hotline.commands``, one module per section of docs/hotline.md, thin over
the service modules. Every failure is one ``error:`` line (plus a ``hint:``), exit
status non-zero, never a traceback; no text from a tip reaches the terminal unescaped.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import click

from tipsite.core.errors import TipsiteError
from tipsite.hotline import editor, ui

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by Ctrl-C
# The modules of tipsite.hotline.commands, each with its COMMANDS.
COMMAND_MODULES = ("keys", "intake", "triage", "reply", "export", "users", "desk")


class HotlineGroup(click.Group):
    """The command group; a service failure leaves a command as ``error:``/``hint:`` lines.

    The translation happens here, inside click, so a command invoked by click's own
    runner (tests) fails exactly as ``main`` shows it.
    """

    _loaded = False

    def _load_commands(self) -> None:
        # Loaded when first looked up, not when this module is imported: main() must
        # refuse Windows before anything imports the store (it needs fcntl).
        if not self._loaded:
            self._loaded = True
            for name in COMMAND_MODULES:
                module = importlib.import_module(f"tipsite.hotline.commands.{name}")
                for command in module.COMMANDS:
                    self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_commands()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TipsiteError as exc:
            raise ui.Failure.of(exc) from None


@click.group(name="hotline", cls=HotlineGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Read and triage the tips sent to the centre's anonymous tip site.

    \b
    The first time:
      hotline pull https://tips.example.dk --token-file ~/hotline.token
    Every morning (the passphrase is asked once; 'hotline lock' forgets it):
      hotline pull
      hotline list
      hotline show 3f2a91c0
      hotline reply 3f2a91c0
      hotline done 3f2a91c0
      hotline lock
    From a copied inbox folder (offline machine):
      hotline import /media/usb/inbox
      hotline list --inbox /media/usb/inbox --key centre.key
    """



def main(argv: Sequence[str] | None = None) -> None:
    """Run ``hotline``; every failure becomes an ``error:`` line, never a traceback."""
    if sys.platform == "win32":
        # The store locks with fcntl and the inbox opens folders with O_DIRECTORY: a
        # plain refusal, not an ImportError's traceback.
        ui.fail("hotline runs on Linux and macOS, not on Windows",
                "use it on a Linux or macOS machine; office PCs reach tips through "
                "the staff desk in a browser (hotline desk)", EXIT_USAGE)
    try:
        code = cli.main(args=argv, prog_name="hotline", standalone_mode=False)
    except ui.Failure as exc:
        ui.fail(exc.message, exc.hint, exc.exit_code)
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "hotline"
        ui.fail(exc.format_message(), f"see '{path} --help'", EXIT_USAGE)
    except click.ClickException as exc:
        ui.fail(exc.format_message(), code=exc.exit_code)
    except TipsiteError as exc:
        ui.fail(str(exc), getattr(exc, "hint", ""))
    except (click.Abort, KeyboardInterrupt, EOFError):
        ui.fail("interrupted", code=EXIT_INTERRUPTED)
    except editor.Stopped as stopped:
        # The draft is gone already (its finally ran); the terminal may be gone too.
        with suppress(OSError):
            ui.report("stopped; the reply was not sent, and its draft is removed")
        sys.exit(editor.exit_code(stopped))
    except BrokenPipeError:
        sys.exit(1)  # the reader went away (hotline export | head); nothing to say
    except OSError as exc:
        ui.fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    sys.exit(code if isinstance(code, int) else 0)
