"""The one exception hierarchy of Tipsite.

The web layer turns these into a page, the staff tool into an ``error:`` line;
no traceback ever reaches a tipster or a hotline worker.
"""


class TipsiteError(Exception):
    """Root of every error Tipsite raises on purpose."""


class ConfigError(TipsiteError):
    """The site's configuration is missing or unsafe; the site must not start."""


class KeyFileError(TipsiteError):
    """A key file is missing, unreadable, malformed or of the wrong kind."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not unlock the private key file."""


class EnvelopeError(TipsiteError):
    """An envelope cannot be opened: corrupt, truncated, unknown version or other key."""


class PayloadError(EnvelopeError):
    """An envelope opened, but what it holds is not a tip document we understand."""


class InboxError(TipsiteError):
    """The inbox folder cannot be used (missing, not writable, disk full)."""
