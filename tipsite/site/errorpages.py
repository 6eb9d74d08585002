"""The deploy kit's static error pages, written from the site's configuration.

nginx (and gunicorn, for a request it cannot parse) serve ``deploy/errors/*.html``
when the app cannot answer, so those pages cannot read the configuration at run
time. ``tipsite error-pages`` writes them at deploy time from
``templates/deploy-errors/`` with the configured hotline number; the copies in the
repository are the output for the default configuration (a test keeps them so).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from tipsite.site.config import ROOT, SiteConfig

SOURCE = ROOT / "templates" / "deploy-errors"
FOLDER = ROOT / "deploy" / "errors"  # where deploy/nginx-tipsite.conf and gunicorn.conf.py look
PAGES = ("bad-request.html", "too-large.html", "too-many.html", "unavailable.html")
PAGE_MODE = 0o644  # nginx's own user reads them


def render_pages(config: SiteConfig) -> dict[str, str]:
    """Every error page's HTML, by file name, for ``config``'s centre."""
    env = Environment(loader=FileSystemLoader(SOURCE), autoescape=True,
                      keep_trailing_newline=True)
    hotline = Markup('<a href="{}">{}</a>').format(config.phone_link, config.phone_shown)
    return {name: env.get_template(name).render(hotline=hotline) for name in PAGES}


def write_pages(config: SiteConfig, folder: Path = FOLDER) -> list[Path]:
    """Write the pages into ``folder``, each replaced whole (nginx may be serving it)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, html in render_pages(config).items():
        target = folder / name
        temp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            temp.write_text(html, encoding="utf-8")
            temp.chmod(PAGE_MODE)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        written.append(target)
    return written


def stale_pages(config: SiteConfig, folder: Path = FOLDER) -> list[str]:
    """Names of pages in ``folder`` that differ from what ``config`` would write."""
    stale = []
    for name, html in render_pages(config).items():
        try:
            if (folder / name).read_text(encoding="utf-8") != html:
                stale.append(name)
        except OSError:
            stale.append(name)
    return stale
