"""The deployment kit stays honest: deploy/ and gunicorn.conf.py checked by the real tools.

nginx runs the shipped site file (ports, sockets and certificate paths moved into a temp
folder) in front of a real gunicorn on a unix socket; systemd-analyze and tor check their
files where the binaries exist.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipsite.site.app import MAX_BODY
from tipsite.site.config import LANGUAGES, ROOT
from tipsite.site.nginxlog import clean

from .support.deploykit import (
    HOTLINE,
    ONION,
    SITE,
    TORRC,
    UNIT,
    Kit,
    TlsVisitor,
    nginx_conf,
    nginx_test,
    running_kit,
)
from .support.errorpages import read_error_page
from .support.keyfiles import KeyFiles
from .support.programs import need
from .support.servers import VENV_BIN, LiveServer
from .support.tips import a_tip, envelopes_in, open_all
from .support.visitor import Visitor


def gunicorn_settings(env: dict[str, str], unset: tuple[str, ...] = ()) -> dict[str, str]:
    """The settings gunicorn resolves from gunicorn.conf.py under ``env``."""
    full_env = {k: v for k, v in {**os.environ, **env}.items() if k not in unset}
    done = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--print-config", "wsgi:app"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, check=True,
    )
    pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.live
def test_gunicorn_conf_is_safe_by_default(site_env: dict[str, str]) -> None:
    env = {**site_env, "WEB_CONCURRENCY": "3", "TIPSITE_BIND": ""}
    resolved = gunicorn_settings(env)
    assert resolved["bind"] == "['127.0.0.1:8000']"  # loopback, behind nginx
    assert resolved["workers"] == "3"  # WEB_CONCURRENCY is honoured
    assert resolved["accesslog"] == "None"
    assert resolved["logger_class"] == "tipsite.site.gunicornlog.ScrubbingLogger"
    assert resolved["forwarded_allow_ips"] == "[]"  # only the app decides (TIPSITE_PROXIES)
    # Not even a unix-socket peer may set the scheme through gunicorn.
    assert resolved["secure_scheme_headers"] == "{}"
    assert resolved["forwarder_headers"] == "[]"
    assert int(resolved["timeout"]) >= 60  # slow Tor circuits


@pytest.mark.live
def test_gunicorn_conf_takes_workers_from_cpus_and_bind_from_env(
    site_env: dict[str, str],
) -> None:
    env = {**site_env, "TIPSITE_BIND": "127.0.0.1:8999"}
    resolved = gunicorn_settings(env, unset=("WEB_CONCURRENCY",))
    assert resolved["workers"] == str(2 * (os.cpu_count() or 1))
    assert resolved["bind"] == "['127.0.0.1:8999']"


@pytest.mark.live
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


@pytest.mark.live
def test_nginx_site_passes_nginx_t() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kit-", dir="/tmp"))
    try:
        ports = nginx_conf(folder, folder / "gunicorn.sock", folder / "log.sock")
        done = nginx_test(ports.conf)
    finally:
        shutil.rmtree(folder)
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
    # Errors from "warn" up, through the relay that cuts addresses (tipsite.site.nginxlog).
    assert re.search(r"^error_log syslog:server=unix:/run/tipsite-nginx-log/log.sock,\S+ warn;",
                     site, re.M)
    relay_unit = (SITE.parent / "tipsite-nginx-log.service").read_text()
    assert "tipsite.site.nginxlog /run/tipsite-nginx-log/log.sock" in relay_unit


def test_nginx_error_lines_lose_client_request_and_forged_lines() -> None:
    line = (b'<12>Dec  1 05:00:00 nginx: 2026/12/01 05:00:00 [warn] 12#12: *5 limiting '
            b'connections by zone "tipsite_client", client: 203.0.113.9, server: tip.example.dk, '
            b'request: "POST /da/tip HTTP/1.1", host: "tip.example.dk"')
    assert clean(line) == '<4>[warn] 12#12: *5 limiting connections by zone "tipsite_client"'
    forged = clean(b'<11>nginx: open() "/var/www/html/x\nFAKE 198.51.100.4" failed')
    assert "\n" not in forged and "\\x0a" in forged and "198.51.100.4" not in forged


@pytest.fixture
def proxied_site(site_env: dict[str, str]) -> Iterator[Kit]:
    """nginx (shipped site) in front of gunicorn (shipped config), as the unit runs it."""
    env = {**site_env, "TIPSITE_PROXIES": "1", "TIPSITE_ONION_ADDRESS": ONION}
    with running_kit(env) as kit:
        yield kit


@pytest.mark.live
def test_tip_through_nginx_and_gunicorn_over_https(
    proxied_site: Kit, tmp_path: Path, key_files: KeyFiles
) -> None:
    nginx = proxied_site.nginx
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
    # Debian's http-level access log (moved into the kit's folder) stayed empty.
    folder = proxied_site.folder
    access_logs = list(folder.glob("access*.log"))
    assert access_logs, "Debian's nginx.conf sets an access log; the kit moved none here"
    assert all(log.read_text() == "" for log in access_logs)
    assert "198.51.100.1" not in "".join(p.read_text() for p in folder.glob("*.log"))


@pytest.mark.live
def test_nginx_refuses_an_oversized_body_with_the_hotline_number(
    proxied_site: Kit, tmp_path: Path
) -> None:
    nginx = proxied_site.nginx
    body = urllib.parse.urlencode({"description": "x" * (MAX_BODY + 1024)}).encode()
    reply = TlsVisitor(nginx.https_port).request("/da/tip", body, method="POST")
    assert reply.status == 413
    assert HOTLINE in reply.body
    assert envelopes_in(tmp_path / "inbox") == []


@pytest.mark.live
def test_nginx_shows_the_hotline_number_when_gunicorn_is_down(
    proxied_site: Kit,
) -> None:
    nginx = proxied_site.nginx
    proxied_site.gunicorn.stop()
    reply = TlsVisitor(nginx.https_port).get("/da/")
    assert reply.status == 502
    assert HOTLINE in reply.body and "112" in reply.body
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Strict-Transport-Security"]


def test_every_error_page_speaks_every_language_and_loads_nothing() -> None:
    """nginx's pages cannot know the reader's language, so each shows all of them."""
    pages = sorted((ROOT / "deploy" / "errors").glob("*.html"))
    assert [p.name for p in pages] == [
        "bad-request.html", "too-large.html", "too-many.html", "unavailable.html"]
    for path in pages:
        page = read_error_page(path)
        assert page.html_lang == "da", path.name
        assert page.unclosed == [], path.name
        # Danish first, then the others in the order of LANGUAGES, each in its own block.
        assert tuple(lang for lang in page.text if lang) == LANGUAGES, path.name
        for lang in LANGUAGES:
            assert HOTLINE in page.text[lang], (path.name, lang)
            assert "tel:+4570202550" in page.links[lang], (path.name, lang)
        # Served when the site itself is down: nothing from outside, nothing that runs.
        assert page.loading_tags == [], path.name
        outside = [a for a in page.addresses if re.match(r"\s*(https?:)?//", a, re.I)]
        assert outside == [], path.name


@pytest.mark.live
def test_onion_server_takes_tor_circuits_as_clients(
    proxied_site: Kit, tmp_path: Path
) -> None:
    """tor's PROXY line reaches the app as the client; the onion gets no HSTS."""
    nginx = proxied_site.nginx
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
    assert env["TIPSITE_BIND"] == "unix:/run/tipsite/gunicorn.sock"  # only nginx gets in
    for setting in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
                    "User=tipsite", "CapabilityBoundingSet=", "RuntimeDirectory=tipsite",
                    # Plaintext tips in memory never reach the disk by a crash or by swap.
                    "LimitCORE=0", "MemorySwapMax=0"):
        assert re.search(rf"^{setting}$", UNIT.read_text(), re.M), setting
    assert "--config /opt/tipsite/gunicorn.conf.py" in unit_values("ExecStart")[0]


@pytest.mark.parametrize("shipped", [UNIT, UNIT.parent / "tipsite-nginx-log.service"],
                         ids=lambda p: p.name)
def test_unit_passes_systemd_analyze(tmp_path: Path, shipped: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's venv.
    unit = tmp_path / shipped.name
    unit.write_text(shipped.read_text().replace("/opt/tipsite/.venv/bin/", f"{VENV_BIN}/"))
    verify = subprocess.run([need("systemd-analyze"), "verify", str(unit)],
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stderr
    assert shipped.name not in verify.stderr  # no warning about our unit either
    # Exposure score 0 (locked down) to 10 (unprotected); ours must stay at 2 or below.
    security = subprocess.run(
        [need("systemd-analyze"), "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True, text=True, check=False,
    )
    assert security.returncode == 0, security.stdout[-2000:]


# --- tor ------------------------------------------------------------------------------


def test_torrc_is_a_v3_onion_with_proof_of_work_into_nginx() -> None:
    torrc = TORRC.read_text()
    assert re.search(r"^HiddenServicePoWDefensesEnabled 1$", torrc, re.M)
    assert re.search(r"^HiddenServiceVersion 3$", torrc, re.M)
    assert re.search(r"^HiddenServiceExportCircuitID haproxy$", torrc, re.M)
    # One circuit may not hold more connections than nginx allows it (slow bodies).
    [streams] = re.findall(r"^HiddenServiceMaxStreams (\d+)$", torrc, re.M)
    assert f"limit_conn tipsite_circuit {streams};" in SITE.read_text()
    [target] = re.findall(r"^HiddenServicePort 80 (\S+)$", torrc, re.M)
    assert f"listen {target} proxy_protocol;" in SITE.read_text()


def test_torrc_passes_tor_verify_config(tmp_path: Path) -> None:
    torrc = tmp_path / "torrc"
    torrc.write_text(TORRC.read_text().replace("/var/lib/tor/tipsite/", f"{tmp_path}/hs/")
                     + f"DataDirectory {tmp_path}/data\n")
    done = subprocess.run([need("tor"), "--verify-config", "-f", str(torrc)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert "Configuration was valid" in done.stdout
    warnings = [line for line in done.stdout.splitlines()
                if "[warn]" in line and "running Tor as root" not in line]
    assert warnings == []
