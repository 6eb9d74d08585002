"""The key agent: unlock once per working session, as ssh-agent and gpg-agent do.

The first command that asks for a passphrase starts a small process that keeps
the opened private keys in memory and answers later commands of the same user,
so a morning of ``list``, ``show``, ``reply`` asks once, not once per command
(and once per key after a rotation). It forgets every key, and exits, after
``HOTLINE_AGENT_IDLE`` without a request (default 30 minutes), or at once on
``hotline lock``. A key is never written to disk; a killed agent simply forgets.

Not used when ``HOTLINE_PASSPHRASE`` is set (scripts give the passphrase each
time) or when ``HOTLINE_AGENT=0``.

Where it listens
    A unix socket ``agent.sock`` (0600) in a folder only the user can open
    (0700): ``$XDG_RUNTIME_DIR/tipsite-hotline/`` when that is the user's own
    tmpfs, else ``tipsite-hotline-UID/`` in the system temp folder. A folder of
    that name that is not ours alone is refused (another user could have made it
    to catch our keys). On Linux both ends also check the other's user id with
    ``SO_PEERCRED``; the agent asks the kernel not to let other processes read
    its memory (``PR_SET_DUMPABLE`` 0, which also prevents core dumps).

Protocol (version 1)
    One request per connection: the client sends one JSON object and a newline,
    the agent answers one JSON object and a newline, then closes. Keys travel as
    the base64 of the 32-byte X25519 private key, under their key id in hex.

    ``{"op": "get", "ids": ["3f2a91c05b7e0d44", …]}``
        -> ``{"keys": {"3f2a91c05b7e0d44": "BASE64", …}}`` (only the keys it holds)
    ``{"op": "add", "keys": {"3f2a…": "BASE64", …}}`` -> ``{"ok": true}``
    ``{"op": "ping"}`` -> ``{"ok": true, "held": 2}``
    ``{"op": "lock"}`` -> ``{"ok": true}``; the agent forgets every key and exits
    Anything else -> ``{"error": "…"}``. Every request, answered or not, restarts
    the idle time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

import nacl.public

from tipsite.core.errors import NotPrivate, TipsiteError
from tipsite.core.keys import KeyPair

ENV_AGENT = "HOTLINE_AGENT"
ENV_IDLE = "HOTLINE_AGENT_IDLE"
DEFAULT_IDLE = 30 * 60  # seconds: a coffee break keeps the keys, a lunch break not
SOCKET_NAME = "agent.sock"
FOLDER_NAME = "tipsite-hotline"
MAX_MESSAGE = 64 * 1024  # a request or answer is a few keys: anything longer is junk
REQUEST_TIMEOUT = 5.0  # seconds a connected client has to send its request
START_TIMEOUT = 10.0  # seconds a new agent has to say it listens
PR_SET_DUMPABLE = 4  # linux/prctl.h
UNITS = {"s": 1, "m": 60, "h": 3600}


class AgentError(TipsiteError):
    """The agent cannot be used as configured."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


# --- settings -------------------------------------------------------------------------


def enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """True unless HOTLINE_AGENT is 0/no/off, or the system has no unix sockets."""
    if os.name != "posix" or not hasattr(socket, "AF_UNIX"):
        return False  # no unix sockets: every command asks, as before
    return environ.get(ENV_AGENT, "1").strip().lower() not in ("0", "no", "off", "false")


def idle_seconds(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """HOTLINE_AGENT_IDLE as seconds: ``1800``, ``90s``, ``30m`` or ``1h``."""
    text = environ.get(ENV_IDLE, "").strip().lower()
    if not text:
        return DEFAULT_IDLE
    unit = UNITS.get(text[-1], 0)
    number = text[:-1] if unit else text
    if not number.isdigit() or int(number) == 0:
        raise AgentError(f"{ENV_IDLE}={text!r} is not a time",
                         "give seconds or minutes, e.g. 1800 or 30m")
    return int(number) * (unit or 1)


def folder() -> Path:
    """The user's private folder for the agent's socket."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / FOLDER_NAME
    return Path(tempfile.gettempdir()) / f"{FOLDER_NAME}-{os.getuid()}"


def socket_path() -> Path:
    return folder() / SOCKET_NAME


def _private_folder(path: Path, create: bool) -> bool:
    """True if ``path`` is a folder only we can open (made so if ``create``)."""
    if create:
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)  # whatever the umask
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    # lstat: a symlink planted in /tmp must not lead our keys into someone else's folder.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise NotPrivate(f"the agent's folder {path} is not yours alone",
                         f"remove it, or set HOTLINE_AGENT=0 (then: rm -r {path})")
    return True


def _peer_uid(conn: socket.socket) -> int | None:
    """The user id of the process at the other end (Linux), else None."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def _same_user(conn: socket.socket) -> bool:
    uid = _peer_uid(conn)
    return uid is None or uid == os.getuid()


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode("ascii") + b"\n")


def _receive(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_MESSAGE:
            raise ValueError("message too long")
    value = json.loads(data.decode("ascii"))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


# --- the client: what hotline commands use -----------------------------------------


def _encode(pair: KeyPair) -> str:
    return base64.b64encode(bytes(pair.private)).decode("ascii")


def _decode(text: str) -> KeyPair | None:
    try:
        return KeyPair(nacl.public.PrivateKey(base64.b64decode(text, validate=True)))
    except (binascii.Error, ValueError, TypeError):
        return None


class Agent:
    """Talks to the user's agent (starting it when keys are first added)."""

    def __init__(self, path: Path | None = None, idle: int | None = None) -> None:
        self.path = path or socket_path()
        self.idle = idle

    def _ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The agent's answer, or None if no agent listens."""
        if not _private_folder(self.path.parent, create=False):
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(REQUEST_TIMEOUT)
                conn.connect(str(self.path))
                if not _same_user(conn):  # a socket of another user's: never give it keys
                    return None
                _send(conn, request)
                return _receive(conn)
        except (FileNotFoundError, ConnectionRefusedError):
            return None  # no agent, or one that was killed and left its socket
        except (OSError, ValueError):
            return None  # an agent that does not answer well is as good as none

    def running(self) -> bool:
        return self._ask({"op": "ping"}) is not None

    def get(self, key_ids: Iterable[bytes]) -> list[KeyPair]:
        """The unlocked keys the agent holds among ``key_ids``."""
        wanted = {key_id.hex(): key_id for key_id in key_ids}
        if not wanted:
            return []
        answer = self._ask({"op": "get", "ids": sorted(wanted)})
        held = answer.get("keys") if answer else None
        if not isinstance(held, dict):
            return []
        pairs = []
        for hex_id, text in held.items():
            pair = _decode(text) if isinstance(text, str) else None
            # Only a key whose id matches what was asked for is believed.
            if pair is not None and wanted.get(hex_id) == pair.key_id:
                pairs.append(pair)
        return pairs

    def add(self, pairs: Iterable[KeyPair]) -> bool:
        """Give the agent these unlocked keys, starting it if needed; False if it failed."""
        message = {"op": "add", "keys": {p.key_id.hex(): _encode(p) for p in pairs}}
        if not message["keys"]:
            return True
        if self._ask(message) is not None:
            return True
        self.start()
        return self._ask(message) is not None

    def lock(self) -> bool:
        """Make the agent forget every key and exit; False if none was running."""
        return self._ask({"op": "lock"}) is not None

    def start(self) -> None:
        """Start an agent in a session of its own (it outlives this command, not the idle time)."""
        _private_folder(self.path.parent, create=True)
        idle = self.idle if self.idle is not None else idle_seconds()
        process = subprocess.Popen(  # noqa: S603 - our own module, with our own Python
            [sys.executable, "-m", "tipsite.hotline.agent", str(self.path), str(idle)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,  # closing this terminal does not stop it; idle time does
            close_fds=True,
        )
        if process.stdout is not None:
            with process.stdout:
                process.stdout.readline()  # "ready" once it listens (nothing if it failed)
        process.wait()  # the first process only forks the agent off and exits (main)


# --- the agent itself -------------------------------------------------------------------


def _not_dumpable() -> None:
    """Keep other processes (even the user's) from reading this one's memory; Linux only."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _listen(path: Path) -> socket.socket | None:
    """A listening socket at ``path`` (0600); None if a live agent has it already."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(2):
        old = os.umask(0o177)  # the socket is made 0600, never briefly open to others
        try:
            server.bind(str(path))
        except OSError:
            if Agent(path).running():
                server.close()
                return None  # started by another command a moment ago
            path.unlink(missing_ok=True)  # left by a killed agent
            continue
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        server.listen(16)
        return server
    server.close()
    raise OSError(f"cannot listen on {path}")


def _answer(request: dict[str, Any], held: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """The answer to ``request`` and whether the agent stops after it."""
    op = request.get("op")
    if op == "get":
        ids = request.get("ids")
        if not isinstance(ids, list):
            return {"error": "ids must be a list"}, False
        return {"keys": {i: held[i] for i in ids if isinstance(i, str) and i in held}}, False
    if op == "add":
        keys = request.get("keys")
        if not isinstance(keys, dict):
            return {"error": "keys must be an object"}, False
        for hex_id, text in keys.items():
            pair = _decode(text) if isinstance(text, str) else None
            if pair is not None and pair.key_id.hex() == hex_id:
                held[hex_id] = text
        return {"ok": True}, False
    if op == "ping":
        return {"ok": True, "held": len(held)}, False
    if op == "lock":
        held.clear()
        return {"ok": True}, True
    return {"error": "unknown op"}, False


def serve(path: Path, idle: float) -> None:
    """Run the agent on ``path`` until ``idle`` seconds pass without a request, or lock."""
    _not_dumpable()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # so the socket file goes too
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = _listen(path)
    print("ready", flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the starter stops reading
    if server is None:
        return
    held: dict[str, str] = {}  # key id (hex) -> the private key (base64), in memory only
    server.settimeout(idle)
    try:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                break  # idle long enough: forget
            with conn:
                if not _same_user(conn):
                    continue  # another user's process: not a word
                try:
                    conn.settimeout(REQUEST_TIMEOUT)
                    answer, done = _answer(_receive(conn), held)
                    _send(conn, answer)
                except (OSError, ValueError):
                    continue
                if done:
                    break
    finally:
        held.clear()
        server.close()
        with contextlib.suppress(OSError):
            # Only our own socket: a newer agent may have taken the name meanwhile.
            if path.exists() and not Agent(path).running():
                path.unlink()


def main(argv: list[str]) -> None:
    """``python -m tipsite.hotline.agent SOCKET IDLE_SECONDS`` (started by hotline, not by people).

    Forks once and lets the first process exit, as daemons do: the command that
    started it waits for that exit and leaves no child behind; the agent carries on.
    """
    if os.fork() > 0:
        os._exit(0)
    serve(Path(argv[0]), float(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
