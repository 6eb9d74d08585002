"""Where the staff tool keeps things, and the ``HOTLINE_*`` environment variables it reads.

Defaults live here, in code; each variable overrides one of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from tipsite.core import keys
from tipsite.hotline.problem import Problem

# Names of environment variables, not secrets:
ENV_PASSPHRASE = "HOTLINE_PASSPHRASE"  # noqa: S105
ENV_NEW_PASSPHRASE = "HOTLINE_NEW_PASSPHRASE"  # noqa: S105
ENV_TOKEN = "HOTLINE_TOKEN"  # noqa: S105 - the name of a variable, not a token
ENV_STORE = "HOTLINE_STORE"
ENV_KDF_COST = "HOTLINE_KDF_COST"

# When a passphrase is needed and nobody can be asked:
NO_PASSPHRASE = "no passphrase given (there is no terminal to ask on)"  # noqa: S105 - a message
NO_PASSPHRASE_HINT = (f"set {ENV_PASSPHRASE} (and {ENV_NEW_PASSPHRASE} for a new one) "
                      "for scripts")


def default_store() -> Path:
    """The store in the user's data folder.

    platformdirs gives the place each system expects (~/.local/share on Linux,
    ~/Library/Application Support on macOS).
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("tipsite-hotline", appauthor=False))


def kdf_cost() -> str:
    """The Argon2id cost for new key files, from HOTLINE_KDF_COST (default moderate)."""
    cost = os.environ.get(ENV_KDF_COST, "").strip() or keys.DEFAULT_KDF_COST
    if cost not in keys.KDF_COSTS:
        raise Problem(f"{ENV_KDF_COST}={cost!r} is not a cost level",
                      f"use one of: {', '.join(keys.KDF_COSTS)}")
    return cost


def passphrase_from_environment() -> str:
    """HOTLINE_PASSPHRASE, or "" when it is not set (then a person is asked)."""
    return os.environ.get(ENV_PASSPHRASE, "")
