"""Running the staff tool in tests: in-process with click's CliRunner (most tests), or
the installed ``hotline`` console script as a real process (a few, on purpose).

In-process runs see what the real process would see: exactly ``env`` as the
environment, ``cwd`` as the working folder, ``stdin`` as standard input (empty when
not given), standard output and standard error kept apart, no terminal to ask on, and
the exit status ``main`` gives. Environment, working folder and signal handlers are put
back afterwards, so nothing leaks into the next test.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import termios
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from click.testing import CliRunner

from .keyfiles import PASSPHRASE
from .servers import VENV_BIN

HOTLINE = VENV_BIN / "hotline"  # the installed console script
# Handlers the staff tool may set while it runs (the editor, the key agent's start).
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TIMEOUT = 120  # seconds a real hotline process may take before the test fails


def staff_env(tmp_path: Path, passphrase: str, **extra: str) -> dict[str, str]:
    """Environment for a hotline run with its own store and home folder."""
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share"),
        "HOTLINE_STORE": str(tmp_path / "store"),
        "HOTLINE_PASSPHRASE": passphrase,
        "HOTLINE_KDF_COST": "interactive",
    }
    env.update(extra)
    return env


def staff_worker_env(tmp_path: Path, private_key: Path, token: str, **extra: str
                     ) -> dict[str, str]:
    """A hotline worker: ``private_key`` in the keyring, ``token`` in a 0600 file."""
    env = staff_env(tmp_path, PASSPHRASE, **extra)
    assert hotline(["keys", "--add", str(private_key)], env).returncode == 0
    token_file = tmp_path / "staff.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return env


def hotline(args: Sequence[str], env: Mapping[str, str], stdin: str | bytes | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``hotline args`` in-process and return its status and output as text."""
    result = hotline_bytes(args, env, stdin, cwd)
    return subprocess.CompletedProcess(
        result.args, result.returncode,
        result.stdout.decode("utf-8", errors="replace"),
        result.stderr.decode("utf-8", errors="replace"),
    )


def hotline_bytes(args: Sequence[str], env: Mapping[str, str],
                  stdin: str | bytes | None = None,
                  cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``hotline args`` in-process, keeping standard output as bytes (exports)."""
    from tipsite.hotline.cli import main

    _no_controlling_terminal()
    # Since click 8.2 the runner keeps standard error apart from standard output.
    runner = CliRunner()
    with _process_state(env, cwd), runner.isolation(input=stdin) as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = _status(exit_.code, err)
        stdout, stderr = out.getvalue(), err.getvalue()
    return subprocess.CompletedProcess(["hotline", *args], code, stdout, stderr)


def hotline_process(args: Sequence[str], env: Mapping[str, str],
                    stdin: str | bytes | None = None,
                    cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script ``hotline`` as a real process, output as text.

    For what only a process shows: the entry point itself, imports (the Flask-less
    install), exit by signal. Most tests use :func:`hotline`, which is much cheaper.
    """
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [str(HOTLINE), *args], env=dict(env), input=data, capture_output=True,
        timeout=TIMEOUT, cwd=cwd,
        start_new_session=True,  # no controlling terminal: a prompt fails, never waits
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode,
        result.stdout.decode("utf-8", errors="replace"),
        result.stderr.decode("utf-8", errors="replace"),
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


@contextmanager
def _process_state(env: Mapping[str, str], cwd: Path | None) -> Iterator[None]:
    """Exactly ``env`` and ``cwd`` while the command runs; all put back after it."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_signals = {sig: signal.getsignal(sig) for sig in SIGNALS}
    os.environ.clear()
    os.environ.update(env)
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)


def _status(code: object, err: BinaryIO) -> int:
    """The exit status a process would have for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write(f"{code}\n".encode())  # sys.exit("message"): Python prints it, exits 1
    return 1


def _no_controlling_terminal() -> None:
    """Detach this test process from its terminal, as a hotline run from cron has none.

    A question must fail (NoTerminal) in tests, never wait at the developer's terminal
    the suite was started from. Only this process lets go; the session keeps the terminal.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return  # no terminal already (CI, cron, an earlier call)
    try:
        if os.getsid(0) == os.getpid():
            raise RuntimeError("the test process leads its session: run pytest from a shell")
        fcntl.ioctl(fd, termios.TIOCNOTTY)
    finally:
        os.close(fd)
