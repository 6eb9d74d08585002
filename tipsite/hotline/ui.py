"""Everything ``hotline`` says to or asks of a person: errors, notices and questions.

Failures are an ``error:`` line and a ``hint:`` line on standard error, never a
traceback. Questions go to the terminal the person sits at, not to standard
input: in ``echo … | hotline reply ID`` standard input is the message, yet the
passphrase and the "send it?" are still typed at the keyboard. The terminal is
standard input when that is one, else the process's controlling terminal
(``/dev/tty``). A command with no terminal at all (cron, a pipeline without one)
is never left waiting: it gets :class:`NoTerminal` and says which variable or
flag to use.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, NoReturn, TextIO

import click

from tipsite.core.errors import TipsiteError
from tipsite.hotline.config import NO_PASSPHRASE, NO_PASSPHRASE_HINT
from tipsite.hotline.problem import EXIT_FAILURE, Problem
from tipsite.hotline.terminal import safe

if TYPE_CHECKING:
    # Not imported at run time: main() must be able to refuse Windows before anything
    # imports the store, which needs fcntl.
    from tipsite.hotline import reader

TTY = "/dev/tty"
END_OF_TEXT = "."  # a line holding only this ends text typed line by line (as mail(1))
TRIES = 3


# --- errors and notices ---------------------------------------------------------------


def report(message: str, hint: str = "") -> None:
    """Print an ``error:`` line (and a ``hint:``) on standard error."""
    click.echo(f"error: {safe(message, multiline=False)}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def fail(message: str, hint: str = "", code: int = EXIT_FAILURE) -> NoReturn:
    """Report a failure and exit with status ``code``."""
    report(message, hint)
    sys.exit(code)


def tell(notice: str) -> None:
    """A notice for the person on standard error (not a failure)."""
    click.echo(notice, err=True)


def report_unreadable(unreadable: Sequence[reader.Unreadable]) -> None:
    """Name every envelope that did not open, and why (the others are shown)."""
    for item in unreadable:
        report(f"tip {item.id} cannot be opened: {item.reason}")


class Failure(click.ClickException):
    """A service failure on its way out of a command: ``error:`` and ``hint:`` lines."""

    def __init__(self, message: str, hint: str = "", exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.hint = hint
        # click declares exit_code on the class; each failure here carries its own.
        setattr(self, "exit_code", exit_code)  # noqa: B010

    @classmethod
    def of(cls, exc: TipsiteError) -> Failure:
        """The failure that shows ``exc`` (a Problem keeps its exit status)."""
        if isinstance(exc, Problem):
            return cls(exc.message, exc.hint, exc.exit_code)
        return cls(str(exc), getattr(exc, "hint", ""))

    def show(self, file: IO[Any] | None = None) -> None:
        """Shown by click itself when a command runs in standalone mode (click's CliRunner)."""
        report(self.message, self.hint)


# --- the terminal -----------------------------------------------------------------------


class NoTerminal(TipsiteError):
    """A question needs a person at a terminal, and there is none."""


@contextmanager
def terminal() -> Iterator[tuple[TextIO, TextIO]]:
    """The terminal to ask on, as (input, output); NoTerminal if there is none."""
    if sys.stdin.isatty() and sys.stderr.isatty():
        yield sys.stdin, sys.stderr
        return
    try:
        # O_NOCTTY: asking must never make a terminal ours by accident.
        fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise NoTerminal("no terminal to ask on") from None
    encoding = sys.stdin.encoding or "utf-8"
    # Two file objects on the one terminal: a text file open for both cannot be (no seek).
    with open(fd, "w", encoding=encoding, errors="replace", buffering=1) as out, \
            open(os.dup(fd), encoding=encoding, errors="replace") as into:
        yield into, out


def has_terminal() -> bool:
    """True if a question can be asked now."""
    try:
        with terminal():
            return True
    except NoTerminal:
        return False


def read_secret(prompt: str) -> str:
    """A passphrase typed at the terminal without echo."""
    with terminal() as (_, out):
        if out is sys.stderr:
            return getpass.getpass(f"{prompt}: ", stream=sys.stderr)
    # getpass opens /dev/tty itself and turns echo off there.
    return getpass.getpass(f"{prompt}: ")


def confirm(question: str) -> bool:
    """Ask a yes-or-no question at the terminal; only a yes counts as yes."""
    with terminal() as (into, out):
        out.write(f"{question} [y/N] ")
        out.flush()
        answer = into.readline()
        if not answer:
            out.write("\n")
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def read_lines(intro: str) -> str | None:
    """Text typed line by line at the terminal, up to a lone ``.`` or Ctrl-D."""
    with terminal() as (into, out):
        out.write(intro + "\n")
        out.flush()
        lines = []
        while True:
            line = into.readline()
            if not line or line.rstrip("\r\n") == END_OF_TEXT:
                break
            lines.append(line.rstrip("\r\n"))
    return "\n".join(lines)


# --- passphrases ------------------------------------------------------------------------


def ask_secret(question: str, confirm: bool = False) -> str:
    """Ask for a passphrase without echo at the terminal (even when stdin is a pipe)."""
    try:
        for _ in range(TRIES):
            passphrase = read_secret(question)
            if not confirm or read_secret("Repeat it") == passphrase:
                return passphrase
            tell("The two did not match; once more.")
    except NoTerminal:
        # Never read a secret from the pipe: it would hang scripts or eat their input.
        raise Problem(NO_PASSPHRASE, NO_PASSPHRASE_HINT) from None
    raise Problem("the passphrases did not match")


def ask_new_passphrase(env_name: str, question: str) -> str:
    """A new passphrase from ``env_name`` or asked twice; never empty."""
    passphrase = os.environ.get(env_name, "")
    if not passphrase:
        passphrase = ask_secret(question, confirm=True)
    if not passphrase.strip():
        raise Problem("the passphrase is empty", "choose a long passphrase of several words")
    return passphrase
