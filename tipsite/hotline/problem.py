"""``Problem``: a failure the staff tool explains with a message and a hint.

The service modules raise it; they never print. The command line turns it into an
``error:`` line, a ``hint:`` line and an exit status (``tipsite.hotline.ui``), and
the staff desk can show the same two lines in a page.
"""

from __future__ import annotations

from tipsite.core.errors import TipsiteError

EXIT_FAILURE = 1
EXIT_KEY_MISMATCH = 3  # pull refused: the site's key is not ours (scripts may alert on it)


class Problem(TipsiteError):
    """What went wrong (``message``), what to do about it (``hint``), and an exit status."""

    def __init__(self, message: str, hint: str = "", exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
