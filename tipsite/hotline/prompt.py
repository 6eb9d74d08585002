"""Everything ``hotline`` asks a person: passphrases, yes or no, lines of text.

Questions go to the terminal the person sits at, not to standard input: in
``echo … | hotline reply ID`` standard input is the message, yet the passphrase
and the "send it?" are still typed at the keyboard. The terminal is standard
input when that is one, else the process's controlling terminal (``/dev/tty``).
A command with no terminal at all (cron, a pipeline without one) is never left
waiting: it gets :class:`NoTerminal` and says which variable or flag to use.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tipsite.core.errors import TipsiteError

TTY = "/dev/tty"
END_OF_TEXT = "."  # a line holding only this ends text typed line by line (as mail(1))


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


def ask_secret(prompt: str) -> str:
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
