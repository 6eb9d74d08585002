"""Entry point for gunicorn: ``gunicorn wsgi:app``.

A configuration problem stops the process with a clear message; under gunicorn the
worker exits with code 3 (boot error), which makes the master stop the whole server
instead of respawning workers that fail.
"""

import sys

from tipsite.core.errors import ConfigError
from tipsite.site.app import create_app

try:
    app = create_app()
except ConfigError as exc:
    print(f"tipsite: refusing to start: {exc}", file=sys.stderr, flush=True)
    sys.exit(3)  # gunicorn's WORKER_BOOT_ERROR: the arbiter halts instead of respawning
