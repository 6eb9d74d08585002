"""Is a passphrase strong enough to lock the key that opens every tip?

One small judge, shared by ``hotline keygen``, ``hotline passwd`` and (later) the
staff desk. zxcvbn estimates how many guesses an attacker who knows common
passwords, words, names, dates, keyboard patterns and substitutions needs; we ask
for its top score, 4: at least 10^10 guesses. A stolen ``centre.key`` is guessed
offline against Argon2id at 256 MiB per guess, a few guesses a second per GPU, so
10^10 guesses is decades of a GPU; five random words are far beyond that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zxcvbn import zxcvbn

MIN_SCORE = 4  # zxcvbn's scale is 0-4; 4 means an estimated 10^10 guesses or more
MIN_GUESSES_LOG10 = 10
SUGGESTION = ("use five or more random words, e.g. picked with dice from a word list "
              "('kalkun vindue snegl paraply fyrtårn'), and keep it in the team's safe")
# zxcvbn refuses longer input (ValueError); a longer phrase is judged by its start.
_CHECKED_CHARACTERS = 72


@dataclass(frozen=True)
class Weakness:
    """Why a passphrase is refused, and what to do instead."""

    reason: str
    suggestion: str


def judge(passphrase: str, known: Sequence[str] = ()) -> Weakness | None:
    """None if ``passphrase`` is strong enough; else why not and a suggestion.

    ``known`` are words an attacker could guess from context (the centre's name,
    a user name): zxcvbn counts them as easy.
    """
    if not passphrase.strip():
        return Weakness("the passphrase is empty", SUGGESTION)
    result = zxcvbn(passphrase[:_CHECKED_CHARACTERS], user_inputs=list(known))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    why = (feedback.get("warning") or "it is too easy to guess").rstrip(".")
    reason = (f"the passphrase is too weak: {why[:1].lower()}{why[1:]} (an estimated "
              f"10^{int(result['guesses_log10'])} guesses; 10^{MIN_GUESSES_LOG10} or more "
              "are needed)")
    hints = [*feedback.get("suggestions", []), SUGGESTION]
    return Weakness(reason, "; ".join(h.rstrip(".") for h in hints))
