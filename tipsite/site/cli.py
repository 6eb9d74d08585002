"""``tipsite``: operator commands for the site (dev server, deployment check, error pages)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click

from tipsite.core import keys
from tipsite.core.errors import ConfigError
from tipsite.site.config import load_config

# A development key only, printed on screen; real keys come from hotline keygen.
DEV_PASSPHRASE = "development"  # noqa: S105


def ensure_dev_keys(public_path: Path, staff_dir: Path) -> None:
    """Make a development key pair if the site has no public key yet, and say where."""
    if public_path.exists():
        return
    pair = keys.generate()
    staff_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = staff_dir / "centre.key"
    keys.write_new_file(private_path, keys.private_key_text(pair, DEV_PASSPHRASE, "interactive"),
                        0o600)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    keys.write_new_file(public_path, keys.public_key_text(pair.public), 0o644)
    click.echo(
        f"Made a DEVELOPMENT key pair (fingerprint {pair.fingerprint}).\n"
        f"  public key (for the site): {public_path}\n"
        f"  private key (for hotline): {private_path}, passphrase '{DEV_PASSPHRASE}'\n"
        "  Never use this pair for real tips: make one with 'hotline keygen'."
    )


@click.group()
def main() -> None:
    """Operator commands for the Tipsite web site."""


@main.command()
def check() -> None:
    """Audit this deployment; exit non-zero if a promise is broken."""
    site_installed()
    from tipsite.site.audit import FAIL, WARN, audit  # reads the limits' storage: the site's

    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    findings = audit(config, os.environ)
    for finding in findings:
        click.echo(f"{finding.level:<4}  {finding.text}")
    failures = sum(f.level == FAIL for f in findings)
    warnings = sum(f.level == WARN for f in findings)
    if failures:
        click.echo(f"error: {failures} finding(s) break a promise; see SECURITY.md", err=True)
        sys.exit(1)
    if warnings:
        click.echo(f"All promises checked; {warnings} warning(s) above deserve a look.")
    else:
        click.echo("All promises checked.")


@main.command("error-pages")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder to write into (default: deploy/errors of this checkout)")
def error_pages(out: Path | None) -> None:
    """Write the deploy kit's static error pages with the configured hotline (TIPSITE_CENTRE_*)."""
    site_installed()
    from tipsite.site import errorpages  # Jinja: the web side only

    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for path in errorpages.write_pages(config, out or errorpages.FOLDER):
        click.echo(f"wrote {path}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def dev(host: str, port: int) -> None:
    """Serve the site for development, making a development key pair if none exists."""
    site_installed()
    config = load_config()
    ensure_dev_keys(config.public_key, config.instance / "dev-staff")
    from tipsite.site.app import create_app  # the web side only when serving

    try:
        app = create_app(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    # The tool's full path: `make run` does not put the venv on PATH, and a command
    # that fails as printed teaches nothing.
    tool = shlex.quote(str(Path(sys.executable).parent / "hotline"))
    click.echo(
        f"Tips go to {config.inbox}. Read them with:\n"
        f"  HOTLINE_PASSPHRASE={DEV_PASSPHRASE} {tool} list "
        f"--inbox {shlex.quote(str(config.inbox))} "
        f"--key {shlex.quote(str(config.instance / 'dev-staff' / 'centre.key'))}"
    )
    app.run(host=host, port=port, debug=False, load_dotenv=False,
            request_handler=quiet_handler())


def site_installed() -> None:
    """Stop with a plain message where only the staff tool is installed (no Flask)."""
    try:
        import flask  # noqa: F401
        import limits  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "the web site is not installed here (this looks like a staff machine). "
            "Install it with: pip install --require-hashes -r requirements/site.txt"
        ) from None


def quiet_handler() -> type:
    """The development server's request handler without its access log (it shows addresses)."""
    from werkzeug.serving import WSGIRequestHandler  # the web side only when serving

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Log nothing about requests: no address, not even in development."""

    return QuietHandler




if __name__ == "__main__":
    main()
