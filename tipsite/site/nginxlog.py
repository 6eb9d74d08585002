"""nginx's error log without client addresses: a syslog relay for the deploy kit.

nginx's error lines have no format to choose: each one that concerns a request ends
with ``, client: ADDRESS, server: NAME, request: "POST /da/tip HTTP/1.1", host: …``.
The kit's site file (deploy/nginx-tipsite.conf) sends them by syslog to a unix datagram
socket; this relay (deploy/tipsite-nginx-log.service) keeps what went wrong, drops who
and what: everything from ``, client:`` on, any address left in the text
(:func:`tipsite.site.gunicornlog.scrub`) and nginx's own timestamp. Control characters are
escaped, so no request can forge a line. Each message goes to stdout, one line, with a
journald priority prefix (``<4>`` for a warning).

Run: ``python -m tipsite.site.nginxlog /run/tipsite-nginx-log/log.sock``
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from tipsite.site.gunicornlog import scrub

MAX_LINE = 400  # an nginx message is short; anything longer is cut
_SYSLOG_HEADER = re.compile(r"^<(\d{1,3})>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )?")
_NGINX_TIME = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")
# Where nginx starts naming the request: client, server, request, host, referrer.
_CONTEXT = re.compile(r"(?:,|\bwhile [a-z ]+,)? client: .*$", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean(datagram: bytes) -> str:
    """One syslog message from nginx as a journald line without client details."""
    text = datagram.decode("utf-8", "replace")
    severity = 6  # info, if the header is missing
    header = _SYSLOG_HEADER.match(text)
    if header:
        severity = int(header.group(1)) & 7
        text = text[header.end():]
    tag, sep, rest = text.partition(": ")
    if sep and " " not in tag:  # the syslog tag ("nginx"), not part of the message
        text = rest
    text = _NGINX_TIME.sub("", text)
    text = _CONTEXT.sub("", text)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return f"<{severity}>{scrub(text).strip()[:MAX_LINE]}"


def receive(path: Path) -> Iterator[bytes]:
    """Datagrams sent to a unix socket at ``path`` (made anew, writable by nginx)."""
    path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        # nginx's workers run as another user; they may send, only we may read.
        os.chmod(path, 0o666)  # noqa: S103 - a write-only drop box, in a 0755 folder
        while True:
            yield sock.recv(8192)


def relay(path: Path, out: TextIO) -> None:
    """Print every message nginx sends to ``path``, cleaned, until stopped."""
    for datagram in receive(path):
        print(clean(datagram), file=out, flush=True)


def main(argv: list[str]) -> int:
    """Entry point: ``python -m tipsite.site.nginxlog SOCKET``."""
    if len(argv) != 2:
        print("usage: python -m tipsite.site.nginxlog SOCKET", file=sys.stderr)
        return 2
    try:
        relay(Path(argv[1]), sys.stdout)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
