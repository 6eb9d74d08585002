"""How the desk runs: where the store is, where it listens, how long a session lives.

Flags of ``hotline desk`` and ``HOTLINE_DESK_*`` variables set these; the checks
here refuse a desk that would be unsafe: one reachable from the network without
TLS, or one nobody can log in to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tipsite.core.errors import ConfigError
from tipsite.hotline.pull import is_loopback

DEFAULT_BIND = "127.0.0.1:5100"
DEFAULT_IDLE_MINUTES = 15


@dataclass(frozen=True)
class DeskConfig:
    """A checked desk configuration."""

    store: Path
    host: str
    port: int
    cert: Path | None = None
    key: Path | None = None
    idle_minutes: int = DEFAULT_IDLE_MINUTES
    kdf_cost: str = "moderate"
    pull_minutes: int = 5  # 0: no scheduled pulls (the button still pulls)
    retention_months: int = 12  # handled conversations older than this are offered for purging

    @property
    def tls(self) -> bool:
        return self.cert is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:5100`` for IPv6) as host and port, or ConfigError."""
    host, sep, port_text = bind.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"--bind {bind!r} is not HOST:PORT, e.g. 127.0.0.1:5100")
    return host, int(port_text)


def check(config: DeskConfig, accounts: int) -> None:
    """Refuse a desk that is unsafe or useless, with what to do instead."""
    if (config.cert is None) != (config.key is None):
        raise ConfigError("TLS needs both --cert FILE and --key FILE")
    for path in (config.cert, config.key):
        if path is not None and not path.is_file():
            raise ConfigError(f"no TLS file at {path}")
    if not config.loopback and not config.tls:
        # Tips and passphrases must never cross the office network in clear text.
        raise ConfigError(
            f"the desk would listen on {config.host}, reachable from the network, "
            "without TLS: give --cert FILE --key FILE (the centre's certificate for this "
            "machine), or bind to 127.0.0.1")
    if accounts == 0:
        raise ConfigError(
            "there is no staff account yet, so nobody could log in: add one with "
            "'hotline user add NAME --admin' (it asks for the centre key's passphrase)")
    if config.idle_minutes < 1:
        raise ConfigError("the idle lock must be at least 1 minute")
    if config.retention_months < 1:
        raise ConfigError("the retention period is at least 1 month")
    if config.pull_minutes < 0:
        raise ConfigError("the pull interval is a number of minutes, 0 for none")
