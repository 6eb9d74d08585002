"""The deployment kit stays honest: deploy/ and gunicorn.conf.py checked by the real tools.

nginx runs the shipped site file (ports and certificate paths moved into tmp_path)
in front of a real gunicorn; systemd-analyze and tor check their files where the
binaries exist.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tipsite.app import MAX_BODY
from tipsite.config import ROOT

from .conftest import (
    VENV_BIN,
    KeyFiles,
    LiveServer,
    Visitor,
    a_tip,
    envelopes_in,
    free_port,
    open_all,
    start_gunicorn,
    stop_gunicorn,
)

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-tipsite.conf"
UNIT = DEPLOY / "tipsite.service"
TORRC = DEPLOY / "torrc-tipsite"
HOST = "tip.example.dk"
ONION = "a" * 56 + ".onion"
HOTLINE = "70 20 25 50"


def gunicorn_settings(env: dict[str, str], unset: tuple[str, ...] = ()) -> dict[str, str]:
    """The settings gunicorn resolves from gunicorn.conf.py under ``env``."""
    full_env = {k: v for k, v in {**os.environ, **env}.items() if k not in unset}
    done = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--print-config", "wsgi:app"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, check=True,
    )
    pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_gunicorn_conf_is_safe_by_default(site_env: dict[str, str]) -> None:
    env = {**site_env, "WEB_CONCURRENCY": "3", "TIPSITE_BIND": ""}
    resolved = gunicorn_settings(env)
    assert resolved["bind"] == "['127.0.0.1:8000']"  # loopback, behind nginx
    assert resolved["workers"] == "3"  # WEB_CONCURRENCY is honoured
    assert resolved["accesslog"] == "None"
    assert resolved["logger_class"] == "tipsite.gunicornlog.ScrubbingLogger"
    assert resolved["forwarded_allow_ips"] == "[]"  # only the app decides (TIPSITE_PROXIES)
    assert int(resolved["timeout"]) >= 60  # slow Tor circuits


def test_gunicorn_conf_takes_workers_from_cpus_and_bind_from_env(
    site_env: dict[str, str],
) -> None:
    env = {**site_env, "TIPSITE_BIND": "127.0.0.1:8999"}
    resolved = gunicorn_settings(env, unset=("WEB_CONCURRENCY",))
    assert resolved["workers"] == str(2 * (os.cpu_count() or 1))
    assert resolved["bind"] == "['127.0.0.1:8999']"


def test_shipped_gunicorn_config_boots_the_app_and_stores_a_tip(
    live_server: LiveServer, tmp_path: Path, key_files: KeyFiles
) -> None:
    reply = Visitor(live_server.url).send_tip(a_tip(description="Sendt gennem gunicorn.conf.py"))
    assert reply.status == 303
    assert len(envelopes_in(tmp_path / "inbox")) == 1
    [tip] = open_all(tmp_path / "inbox", key_files.pair)
    assert "Sendt gennem gunicorn.conf.py" in str(tip)
    # gunicorn 27 names itself without a version; nothing else says what runs here.
    assert Visitor(live_server.url).get("/da/privacy").headers["Server"] == "gunicorn"


# --- nginx ----------------------------------------------------------------------------


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


def nginx_conf(tmp_path: Path, upstream_port: int = 8000) -> Nginx:
    """The shipped site inside a minimal nginx.conf, everything moved into tmp_path."""
    certs = tmp_path / "certs"
    certs.mkdir()
    self_signed_cert(certs)
    ports = Nginx(tmp_path / "nginx.conf", free_port(), free_port(), free_port())
    site = SITE.read_text()
    for old, new in [
        (f"/etc/letsencrypt/live/{HOST}/", f"{certs}/"),
        ("/var/log/nginx/", f"{tmp_path}/"),
        ("/opt/tipsite/deploy/errors", str(DEPLOY / "errors")),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports.https_port} ssl http2;"),
        ("listen 80 default_server;", f"listen 127.0.0.1:{ports.http_port} default_server;"),
        ("listen 127.0.0.1:8081 ", f"listen 127.0.0.1:{ports.onion_port} "),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
    ]:
        assert old in site, old  # the shipped file still has what docs/deploy.md describes
        site = site.replace(old, new)
    site = re.sub(r"\n\s*listen \[::\].*;", "", site)  # no IPv6 needed on loopback
    (tmp_path / "site.conf").write_text(site)
    ports.conf.write_text(main_conf(tmp_path))
    return ports


DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
SITES_ENABLED = "include /etc/nginx/sites-enabled/*;"


def main_conf(tmp_path: Path) -> str:
    """Debian's own nginx.conf around the site (its logs, pid and user moved), if present.

    The site must work inside the real thing: Debian's file already sets an access log
    and "gzip on" for the whole http block. Without it, a minimal nginx.conf.
    """
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temp = "".join(
        f"\n    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    debian = DEBIAN_NGINX_CONF.read_text() if DEBIAN_NGINX_CONF.exists() else ""
    if SITES_ENABLED not in debian:
        return (f"{user}\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/nginx-main.log;\n"
                f"events {{}}\nhttp {{{temp}\n    include {tmp_path}/site.conf;\n}}\n")
    conf = re.sub(r"^user .*;$", user, debian, flags=re.M)
    conf = re.sub(r"^pid .*;$", f"pid {tmp_path}/nginx.pid;", conf, flags=re.M)
    conf = conf.replace("/var/log/nginx/", f"{tmp_path}/")
    conf = conf.replace(SITES_ENABLED, f"include {tmp_path}/site.conf;")
    return conf.replace("http {", "http {" + temp, 1)


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nginx", "-t", "-c", str(conf), "-e", str(conf.parent / "nginx-t.log")],
        capture_output=True, text=True, check=False,
    )


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None,
                                 reason="nginx is not installed (.ci/run installs it)")


@needs_nginx
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    ports = nginx_conf(tmp_path)
    done = nginx_test(ports.conf)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_nginx_body_limit_matches_the_app() -> None:
    limits = re.findall(r"^\s*client_max_body_size\s+(\d+)k;", SITE.read_text(), re.M)
    assert limits == [str(MAX_BODY // 1024)]
    # Bodies stay in memory up to the limit, never in nginx's temp files in plain text.
    assert re.search(rf"^\s*client_body_buffer_size\s+{MAX_BODY // 1024}k;", SITE.read_text(),
                     re.M)


def test_nginx_logs_no_addresses() -> None:
    site = SITE.read_text()
    assert re.search(r"^access_log off;", site, re.M)
    assert "log_format" not in site
    assert re.search(r"^error_log \S+ emerg;", site, re.M)


@pytest.fixture
def proxied_site(
    tmp_path: Path, site_env: dict[str, str]
) -> Iterator[tuple[Nginx, LiveServer]]:
    """nginx (shipped site) in front of gunicorn (shipped config), as the unit runs it."""
    port = free_port()
    env = {**site_env, "TIPSITE_PROXIES": "1", "TIPSITE_ONION_ADDRESS": ONION,
           "WEB_CONCURRENCY": "1"}
    server = start_gunicorn(env, tmp_path / "gunicorn.log", port=port)
    nginx = nginx_conf(tmp_path, upstream_port=port)
    process = subprocess.Popen(["nginx", "-c", str(nginx.conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(nginx.https_port, process)
        yield nginx, server
    finally:
        process.terminate()
        process.wait(timeout=10)
        stop_gunicorn(server)


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, "nginx exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not listen")


class TlsVisitor(Visitor):
    """A Visitor over HTTPS to the test's self-signed nginx, asking for HOST."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"https://127.0.0.1:{port}", {"Host": HOST, **(headers or {})})
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=context),
            NoRedirect(),
        )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@needs_nginx
def test_tip_through_nginx_and_gunicorn_over_https(
    proxied_site: tuple[Nginx, LiveServer], tmp_path: Path, key_files: KeyFiles
) -> None:
    nginx, _ = proxied_site
    visitor = TlsVisitor(nginx.https_port, {"X-Forwarded-For": "198.51.100.1"})
    front = visitor.get("/da/")
    assert front.status == 200
    assert front.headers["Server"] == "nginx"  # no version, gunicorn's header hidden
    assert front.headers["Strict-Transport-Security"]  # the app saw HTTPS via the proxy
    assert front.headers["Onion-Location"] == f"http://{ONION}/da/"
    assert "Secure" in front.headers["Set-Cookie"]
    assert visitor.send_tip(a_tip(description="Gennem nginx og TLS")).status == 303
    [tip] = open_all(tmp_path / "inbox", key_files.pair)
    assert "Gennem nginx og TLS" in str(tip)
    # Debian's http-level access log (moved into tmp_path) stayed empty: "access_log off".
    access_logs = list(tmp_path.glob("access*.log"))
    assert access_logs or not DEBIAN_NGINX_CONF.exists()
    assert all(log.read_text() == "" for log in access_logs)
    assert "198.51.100.1" not in "".join(p.read_text() for p in tmp_path.glob("*.log"))


@needs_nginx
def test_nginx_refuses_an_oversized_body_with_the_hotline_number(
    proxied_site: tuple[Nginx, LiveServer], tmp_path: Path
) -> None:
    nginx, _ = proxied_site
    body = urllib.parse.urlencode({"description": "x" * (MAX_BODY + 1024)}).encode()
    reply = TlsVisitor(nginx.https_port).request("/da/tip", body, method="POST")
    assert reply.status == 413
    assert HOTLINE in reply.body
    assert envelopes_in(tmp_path / "inbox") == []


@needs_nginx
def test_nginx_shows_the_hotline_number_when_gunicorn_is_down(
    proxied_site: tuple[Nginx, LiveServer],
) -> None:
    nginx, server = proxied_site
    stop_gunicorn(server)
    reply = TlsVisitor(nginx.https_port).get("/da/")
    assert reply.status == 502
    assert HOTLINE in reply.body and "112" in reply.body


@needs_nginx
def test_onion_server_takes_tor_circuits_as_clients(
    proxied_site: tuple[Nginx, LiveServer], tmp_path: Path
) -> None:
    """tor's PROXY line reaches the app as the client; the onion gets no HSTS."""
    nginx, _ = proxied_site
    request = (
        "PROXY TCP6 fc00:dead:beef:4dad::0:2a ::1 42 80\r\n"
        f"GET /da/ HTTP/1.1\r\nHost: {ONION}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", nginx.onion_port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 200")
    assert "strict-transport-security" not in head
    assert "onion-location" not in head  # already on the onion
    assert "secure" not in head.split("set-cookie:", 1)[1].split("\r\n", 1)[0]


# --- systemd --------------------------------------------------------------------------


def unit_values(key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", UNIT.read_text(), re.M)


def test_unit_writes_only_inbox_and_instance() -> None:
    env = dict(v.split("=", 1) for v in unit_values("Environment"))
    assert unit_values("ReadWritePaths") == [f"{env['TIPSITE_INBOX']} {env['TIPSITE_INSTANCE']}"]
    assert env["TIPSITE_PROXIES"] == "1"  # nginx in front, exactly one proxy
    for setting in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
                    "User=tipsite", "CapabilityBoundingSet="):
        assert re.search(rf"^{setting}$", UNIT.read_text(), re.M), setting
    assert "--config /opt/tipsite/gunicorn.conf.py" in unit_values("ExecStart")[0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed on this machine")
def test_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's gunicorn.
    unit = tmp_path / "tipsite.service"
    unit.write_text(UNIT.read_text().replace("/opt/tipsite/.venv/bin/", f"{VENV_BIN}/"))
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)],
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stderr
    assert "tipsite.service" not in verify.stderr  # no warning about our unit either
    # Exposure score 0 (locked down) to 10 (unprotected); ours must stay at 2 or below.
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True, text=True, check=False,
    )
    assert security.returncode == 0, security.stdout[-2000:]


# --- tor ------------------------------------------------------------------------------


def test_torrc_is_a_v3_onion_with_proof_of_work_into_nginx() -> None:
    torrc = TORRC.read_text()
    assert re.search(r"^HiddenServicePoWDefensesEnabled 1$", torrc, re.M)
    assert re.search(r"^HiddenServiceVersion 3$", torrc, re.M)
    assert re.search(r"^HiddenServiceExportCircuitID haproxy$", torrc, re.M)
    [target] = re.findall(r"^HiddenServicePort 80 (\S+)$", torrc, re.M)
    assert f"listen {target} proxy_protocol;" in SITE.read_text()


@pytest.mark.skipif(shutil.which("tor") is None, reason="tor is not installed on this machine")
def test_torrc_passes_tor_verify_config(tmp_path: Path) -> None:
    torrc = tmp_path / "torrc"
    torrc.write_text(TORRC.read_text().replace("/var/lib/tor/tipsite/", f"{tmp_path}/hs/")
                     + f"DataDirectory {tmp_path}/data\n")
    done = subprocess.run(["tor", "--verify-config", "-f", str(torrc)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert "Configuration was valid" in done.stdout
    warnings = [line for line in done.stdout.splitlines()
                if "[warn]" in line and "running Tor as root" not in line]
    assert warnings == []
