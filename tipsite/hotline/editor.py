"""Writing a reply in the person's editor without leaving its plaintext on disk.

The editor needs a file. It is made in a folder of its own that only the user can
open (0700; on tmpfs under ``$XDG_RUNTIME_DIR`` when there is one, so it never
reaches a disk), and the folder goes with the file on every ordinary ending:
the editor closing, an error, Ctrl-C, the terminal closing (SIGHUP) and SIGTERM.
The two signals are turned into an exception while the editor is open, so the
same ``finally`` cleans up; the editor itself is stopped too. Only SIGKILL and a
power cut leave a folder behind: the next reply removes folders whose process
is gone.

Which editor: ``$VISUAL``, else ``$EDITOR``, else ``nano`` if installed, else
the text is typed line by line at the terminal. Never Debian's ``editor``
chooser, which greets a social worker with a choice of ``ed`` and ``vim``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from tipsite.core.errors import TipsiteError
from tipsite.hotline import ui

PREFIX = "hotline-reply-"
FALLBACK_EDITORS = ("nano",)  # simple, shows its keys on screen
STOPPING = (signal.SIGHUP, signal.SIGTERM) if hasattr(signal, "SIGHUP") else (signal.SIGTERM,)
EDITOR_GRACE = 5  # seconds the stopped editor gets to exit before it is killed


class Stopped(BaseException):  # a BaseException, like KeyboardInterrupt: not an error
    """The process got SIGHUP or SIGTERM while a draft existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class EditorError(TipsiteError):
    """The editor could not be started, or failed."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def editor_command() -> list[str] | None:
    """The editor to run, as arguments; None when text is to be typed at the terminal."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    for fallback in FALLBACK_EDITORS:
        found = shutil.which(fallback)
        if found:
            return [found]
    return None


def drafts_base() -> Path:
    """Where draft folders go: $XDG_RUNTIME_DIR (tmpfs, the user's own) or the temp dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and _ours_only(Path(runtime)):
        return Path(runtime)
    return Path(tempfile.gettempdir())


def _ours_only(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    return folder.is_dir() and info.st_uid == os.getuid() and info.st_mode & 0o077 == 0


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While inside, SIGHUP and SIGTERM raise :class:`Stopped`, so ``finally`` blocks run."""

    def raise_stopped(signum: int, frame: FrameType | None) -> None:
        for sig in STOPPING:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, raise_stopped) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def private_draft(text: str) -> Iterator[Path]:
    """A 0600 file holding ``text`` in a new 0700 folder; both are gone afterwards."""
    base = drafts_base()
    remove_abandoned(base)
    # mkdtemp makes the folder 0700 under a random name, refusing one that exists.
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    try:
        path = folder / "reply.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(base: Path) -> None:
    """Remove our draft folders whose hotline process is gone (killed with SIGKILL)."""
    with suppress(OSError):
        for folder in base.glob(f"{PREFIX}*"):
            pid = folder.name[len(PREFIX):].split("-")[0]
            if pid.isdigit() and folder.stat().st_uid == os.getuid() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process took the number: not ours to judge
    return True


def edit(template: str) -> str | None:
    """The text the person wrote from ``template``; None if they left without saving."""
    command = editor_command()
    if command is None:
        return ui.read_lines(
            "No editor is set ($EDITOR). Type the reply; end with a line holding only "
            f"'{ui.END_OF_TEXT}' (or Ctrl-D).")
    with stop_signals_raise(), private_draft(template) as path:
        before = path.stat().st_mtime_ns
        _run(command, path)
        if path.stat().st_mtime_ns == before:
            return None
        return path.read_text(encoding="utf-8")


def _run(command: list[str], path: Path) -> None:
    """Run the editor on ``path`` and wait; stop it too if this process is stopped."""
    # As git does: while the editor owns the terminal, Ctrl-C is the editor's to handle.
    # Ignored here before the editor starts (a Ctrl-C right after it starts must not
    # stop hotline and leave the editor holding the terminal); the editor itself gets
    # the default back before it runs.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        editor = subprocess.Popen(  # noqa: S603 - the user's own editor
            [*command, str(path)], preexec_fn=_default_ctrl_c)
    except OSError as exc:
        signal.signal(signal.SIGINT, previous)
        raise EditorError(f"cannot start the editor {command[0]}: {exc.strerror}",
                          "set EDITOR to an editor that is installed, e.g. EDITOR=nano") from None
    try:
        code = editor.wait()
    except Stopped:
        _stop(editor)
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if code < 0:
        raise EditorError(f"the editor was stopped (signal {-code}); nothing was sent")
    if code != 0:
        raise EditorError(f"the editor exited with status {code}; nothing was sent")


def _default_ctrl_c() -> None:
    """In the editor's process, before it runs: Ctrl-C back to the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(editor: subprocess.Popen[bytes]) -> None:
    """Stop an editor still holding the draft (its file is about to be removed)."""
    with suppress(OSError):
        editor.terminate()
        try:
            editor.wait(timeout=EDITOR_GRACE)
        except subprocess.TimeoutExpired:
            editor.kill()
            editor.wait()


def exit_code(stopped: Stopped) -> int:
    """The exit status of a process ended by a signal: 128 + its number, as shells report."""
    return 128 + stopped.signum


__all__ = ["EditorError", "Stopped", "edit", "editor_command", "exit_code"]
