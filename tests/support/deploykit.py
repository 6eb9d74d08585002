"""The deploy kit, live: gunicorn (gunicorn.conf.py) on a unix socket, the nginx error-log
relay, and nginx (deploy/nginx-tipsite.conf inside Debian's nginx.conf), all in a temp
folder, with ports and paths moved there and nothing else changed.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tipsite.site.config import ROOT

from .programs import need, need_file
from .servers import VENV_BIN
from .visitor import Visitor

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-tipsite.conf"
UNIT = DEPLOY / "tipsite.service"
TORRC = DEPLOY / "torrc-tipsite"
HOST = "tip.example.dk"
ONION = "a" * 56 + ".onion"
HOTLINE = "70 20 25 50"
# What docs/deploy.md, step 6, has the operator set in /etc/nginx/nginx.conf.
WORKER_CONNECTIONS = 4096
WORKER_RLIMIT_NOFILE = 8192


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed_cert(folder: Path) -> None:
    """fullchain.pem and privkey.pem for HOST, made by openssl now."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={HOST}", "-keyout", str(folder / "privkey.pem"),
         "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True,
    )


@dataclass
class Nginx:
    conf: Path
    https_port: int
    http_port: int
    onion_port: int


def nginx_conf(tmp_path: Path, upstream: Path, log_socket: Path,
               timeouts: dict[str, str] | None = None) -> Nginx:
    """The shipped site inside Debian's nginx.conf, everything moved into tmp_path.

    ``upstream`` is gunicorn's unix socket, ``log_socket`` the error-log relay's;
    ``timeouts`` scales named timeouts down (the directives stay the shipped ones).
    """
    certs = tmp_path / "certs"
    certs.mkdir()
    self_signed_cert(certs)
    ports = Nginx(tmp_path / "nginx.conf", free_port(), free_port(), free_port())
    site = SITE.read_text()
    for old, new in [
        (f"/etc/letsencrypt/live/{HOST}/", f"{certs}/"),
        ("/opt/tipsite/deploy/errors", str(DEPLOY / "errors")),
        ("listen 443 ssl http2 default_server;",
         f"listen 127.0.0.1:{ports.https_port} ssl http2 default_server;"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports.https_port} ssl http2;"),
        ("listen 80 default_server;", f"listen 127.0.0.1:{ports.http_port} default_server;"),
        ("listen 80;", f"listen 127.0.0.1:{ports.http_port};"),
        ("listen 127.0.0.1:8081 ", f"listen 127.0.0.1:{ports.onion_port} "),
        ("server unix:/run/tipsite/gunicorn.sock;", f"server unix:{upstream};"),
        ("unix:/run/tipsite-nginx-log/log.sock", f"unix:{log_socket}"),
        ("ONION-ADDRESS-FROM-STEP-8.onion", ONION),
    ]:
        assert old in site, old  # the shipped file still has what docs/deploy.md describes
        site = site.replace(old, new)
    for name, value in (timeouts or {}).items():
        site, count = re.subn(rf"^{name} \S+;", f"{name} {value};", site, flags=re.M)
        assert count == 1, name
    site = re.sub(r"\n\s*listen \[::\].*;", "", site)  # no IPv6 needed on loopback
    (tmp_path / "site.conf").write_text(site)
    ports.conf.write_text(main_conf(tmp_path))
    return ports


DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
SITES_ENABLED = "include /etc/nginx/sites-enabled/*;"


def main_conf(tmp_path: Path) -> str:
    """Debian's own nginx.conf around the site (its logs, pid and user moved).

    The site must work inside the real thing: Debian's file already sets an access log
    and "gzip on" for the whole http block. Without it the test fails (package nginx).
    """
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temp = "".join(
        f"\n    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    debian = need_file(DEBIAN_NGINX_CONF, "nginx").read_text()
    assert SITES_ENABLED in debian, f"{DEBIAN_NGINX_CONF} no longer includes sites-enabled"
    conf = re.sub(r"^user .*;$", user, debian, flags=re.M)
    # docs/deploy.md, step 6: room for many slow clients, and the descriptors for them.
    conf = re.sub(r"worker_connections \d+;", f"worker_connections {WORKER_CONNECTIONS};", conf)
    conf = re.sub(r"^(pid .*;)$", rf"\1\nworker_rlimit_nofile {WORKER_RLIMIT_NOFILE};", conf,
                  flags=re.M)
    conf = re.sub(r"^pid .*;$", f"pid {tmp_path}/nginx.pid;", conf, flags=re.M)
    conf = conf.replace("/var/log/nginx/", f"{tmp_path}/")
    conf = conf.replace(SITES_ENABLED, f"include {tmp_path}/site.conf;")
    return conf.replace("http {", "http {" + temp, 1)


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("nginx"), "-t", "-c", str(conf), "-e", str(conf.parent / "nginx-t.log")],
        capture_output=True, text=True, check=False,
    )




def unit_environment() -> dict[str, str]:
    """The Environment= lines of deploy/tipsite.service."""
    return dict(v.split("=", 1) for v in re.findall(r"^Environment=(.*)$", UNIT.read_text(), re.M))


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: how nginx reaches gunicorn in the kit."""

    def __init__(self, path: Path, timeout: float = 10) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    socket: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_unix_gunicorn(env: dict[str, str], folder: Path) -> Gunicorn:
    """``gunicorn wsgi:app`` with gunicorn.conf.py and the unit's TIPSITE_BIND, moved here."""
    bind = unit_environment()["TIPSITE_BIND"]
    assert bind.startswith("unix:"), bind
    sock = folder / Path(bind.removeprefix("unix:")).name
    log = folder / "gunicorn.log"
    full_env = {**os.environ, "WEB_CONCURRENCY": "2", **env,
                "TIPSITE_BIND": f"unix:{sock}", "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        process = subprocess.Popen([str(VENV_BIN / "gunicorn"), "wsgi:app"], cwd=ROOT,
                                   env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Gunicorn(process, sock, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.output()}")
        conn = UnixHTTPConnection(sock, timeout=2)
        try:
            conn.request("GET", "/da/privacy")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    server.stop()
    raise RuntimeError(f"gunicorn did not answer:\n{server.output()}")


@dataclass
class LogRelay:
    process: subprocess.Popen[bytes]
    socket: Path
    output: Path

    def lines(self) -> list[str]:
        return self.output.read_text(errors="replace").splitlines()


def start_log_relay(folder: Path) -> LogRelay:
    """tipsite.site.nginxlog, as deploy/tipsite-nginx-log.service runs it."""
    sock, output = folder / "nginx-log.sock", folder / "nginx-errors.log"
    with output.open("ab") as out:
        relay = [str(VENV_BIN / "python"), "-m", "tipsite.site.nginxlog", str(sock)]
        process = subprocess.Popen(relay, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not sock.exists():
        assert process.poll() is None and time.monotonic() < deadline, "relay did not start"
        time.sleep(0.05)
    return LogRelay(process, sock, output)


@dataclass
class Kit:
    """nginx in front of gunicorn over a unix socket, with the error-log relay."""

    nginx: Nginx
    gunicorn: Gunicorn
    relay: LogRelay
    process: subprocess.Popen[bytes]
    folder: Path


@contextlib.contextmanager
def running_kit(env: dict[str, str], timeouts: dict[str, str] | None = None) -> Iterator[Kit]:
    """The whole kit in a short temp folder (unix socket paths must stay short)."""
    folder = Path(tempfile.mkdtemp(prefix="kit-", dir="/tmp"))
    gunicorn = start_unix_gunicorn(env, folder)
    relay = start_log_relay(folder)
    nginx = nginx_conf(folder, gunicorn.socket, relay.socket, timeouts)
    process = subprocess.Popen([need("nginx"), "-c", str(nginx.conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(nginx.https_port, process)
        yield Kit(nginx, gunicorn, relay, process, folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        gunicorn.stop()
        relay.process.terminate()
        relay.process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "nginx exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not listen")


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


class TlsVisitor(Visitor):
    """A Visitor over HTTPS to the test's nginx, asking for HOST, from address ``source``."""

    def __init__(self, port: int, headers: dict[str, str] | None = None,
                 source: str = "127.0.0.1") -> None:
        super().__init__(f"https://127.0.0.1:{port}", {"Host": HOST, **(headers or {})})
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            _SourceHTTPSHandler(source),
            _NoRedirect(),
        )


class _SourceHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, source: str) -> None:
        super().__init__(context=tls_context())
        self.source = source

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(_NamedHTTPSConnection, source=self.source)
        return self.do_open(factory, req)  # type: ignore[arg-type]


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that asks for HOST in the TLS handshake (SNI), as a browser does."""

    def __init__(self, host: str, source: str, **kwargs: object) -> None:
        super().__init__(host, context=tls_context(), source_address=(source, 0),
                         timeout=kwargs.get("timeout", 30))  # type: ignore[arg-type]

    def connect(self) -> None:
        self.sock = tls_socket(int(self.port or 443), str(self.source_address[0]))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def tls_socket(port: int, source: str = "127.0.0.1", name: str = HOST,
               quiet: bool = False) -> ssl.SSLSocket:
    """A TLS connection to nginx from ``source``, asking for ``name`` (SNI).

    ``quiet``: TLS 1.2, where the server sends nothing after the handshake until it
    answers (TLS 1.3 sends session tickets, which make a socket look answered).
    """
    context = tls_context()
    if quiet:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    raw = socket.create_connection(("127.0.0.1", port), timeout=10,
                                   source_address=(source, 0))
    try:
        return context.wrap_socket(raw, server_hostname=name)
    except OSError:
        raw.close()
        raise


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or resets) the connection."""
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def curl(*args: str) -> tuple[int, dict[str, str], str]:
    """curl -k against the test's nginx: (status, headers in lower case, body)."""
    done = subprocess.run(["curl", "-sk", "-D", "-", "--max-time", "20", *args],
                          capture_output=True, check=False)
    head, _sep, body = done.stdout.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP") else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return status, headers, body
