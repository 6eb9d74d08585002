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


class AttachmentError(PayloadError):
    """An envelope opened, but its container of a document and photos is malformed."""


class PhotoError(TipsiteError):
    """An uploaded photo is refused; ``code`` says why, ``message`` says it to the tipster.

    ``message`` is an English gettext msgid, translated by the page that shows it;
    ``position`` is the photo's place among those sent (1 = first), 0 if none.
    """

    def __init__(self, code: str, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


class InboxError(TipsiteError):
    """The inbox folder cannot be used (missing, not writable, disk full)."""


class StoreError(TipsiteError):
    """The staff's local store cannot be used, or an operation on it does not make sense."""


class IdError(TipsiteError):
    """An id given on the command line names no tip, or more than one."""


class PullError(TipsiteError):
    """The site could not be reached or refused, or answered something unexpected."""

    def __init__(self, message: str, hint: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.hint = hint
        self.status = status  # the HTTP status, 0 if there was no answer


class ReplyError(TipsiteError):
    """A reply to a tipster cannot be written as asked (no receipt code, too long, empty)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class NotPrivate(StoreError):
    """A store, keys folder or token file that other users could read; the tool refuses it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
