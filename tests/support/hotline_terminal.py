"""Running ``hotline`` the way a person does: at a terminal (a pseudo-terminal here).

The process gets a pty as its controlling terminal, so ``/dev/tty`` works in it as
it does for a worker at a desk; the test reads the screen and types the answers.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import nacl.public

from tipsite.core import envelope, payload, receipt
from tipsite.core.inbox import Inbox

from .hotline import HOTLINE
from .tips import START, tip_fields

PASSPHRASE_PROMPT = "Passphrase for key"
CODE = "1234 5678 9012 3456 7890"
SALT = b"a test site salt"  # 16 bytes, as a site makes its own


def seal_tip_with_code(public: nacl.public.PublicKey, code: str = CODE, minutes: int = 0,
                       **fields: object) -> bytes:
    """A tip as the site seals it since receipt codes: it carries the reply key."""
    derived = receipt.derive(code, SALT)
    document = payload.tip_document(
        tip_fields(**fields), "da", START + timedelta(minutes=minutes),
        reply_to=derived.reply_to())
    return envelope.seal(document, public, payload.KIND_TIP)


def deliver_with_code(inbox_path: Path, public: nacl.public.PublicKey, **fields: object) -> str:
    inbox = Inbox(inbox_path)
    inbox.prepare()
    return inbox.deliver(seal_tip_with_code(public, **fields))


@dataclass
class Terminal:
    """A hotline process whose controlling terminal is a pty the test holds."""

    process: subprocess.Popen[bytes]
    master: int
    screen: str = ""
    _answered: int = field(default=0, repr=False)

    def read(self, timeout: float = 0.2) -> bool:
        """Read what the process wrote, waiting up to ``timeout``; False at its end."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every end of the terminal is closed
            return False
        if not data:
            return False
        self.screen += data.decode("utf-8", errors="replace")
        return True

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Read until ``text`` is on the screen (after the last answer)."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self._answered:]:
            if time.monotonic() > deadline or not self.read():
                raise AssertionError(f"never saw {text!r}; the screen:\n{self.screen}")

    def type(self, line: str) -> None:
        self._answered = len(self.screen)
        os.write(self.master, line.encode() + b"\n")

    def finish(self, answers: Sequence[tuple[str, str]] = (), timeout: float = 120) -> int:
        """Answer each prompt that appears (by its text) until the process ends."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.screen[self._answered:]
            for question, answer in answers:
                if question in pending:
                    self.type(answer)
                    break
            if not self.read():
                break
            if self.process.poll() is not None:
                while self.read(0.05) and select.select([self.master], [], [], 0)[0]:
                    pass
                break
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"hotline did not finish; the screen:\n{self.screen}")
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code

    @property
    def prompts(self) -> int:
        """How many times a passphrase was asked for."""
        return self.screen.count(PASSPHRASE_PROMPT)


def _take_terminal(slave_name: str) -> None:
    """In the child: a session of its own with the pty as controlling terminal."""
    os.setsid()
    fd = os.open(slave_name, os.O_RDWR)
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    os.close(fd)


def at_terminal(args: Sequence[str], env: Mapping[str, str], stdin: bytes | None = None,
                cwd: Path | None = None, program: Sequence[str] | None = None) -> Terminal:
    """Start ``hotline ARGS`` at a terminal; ``stdin`` given: piped in instead (``echo | …``)."""
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)
    process = subprocess.Popen(
        [*(program or [str(HOTLINE)]), *args], env=dict(env), cwd=cwd,
        stdin=subprocess.PIPE if stdin is not None else slave, stdout=slave, stderr=slave,
        preexec_fn=lambda: _take_terminal(slave_name),
    )
    os.close(slave)
    if stdin is not None and process.stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
    return Terminal(process, master)
