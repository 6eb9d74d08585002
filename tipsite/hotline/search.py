"""Finding conversations by what their tips say: every word, anywhere, any case.

A search for ``vestergade ab12345`` finds the conversations whose tip, follow-ups,
replies or notes hold both words. Case is ignored ("Ærø" finds "ærø") and
compatibility forms are unified (NFKC: a full-width "ＡＢ" is "ab"), so the words a
caller types and the words a tipster typed meet.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping

from tipsite.hotline.conversation import Conversation
from tipsite.hotline.reader import Followup, Reply, Tip


def fold(text: str) -> str:
    """``text`` without case, and with compatibility forms unified (NFKC)."""
    return unicodedata.normalize("NFKC", text).casefold()


def text_of(conversation: Conversation) -> str:
    """Everything a person could search for in ``conversation``, as one text."""
    parts: list[str] = [conversation.id]
    for entry in conversation.timeline():
        if isinstance(entry, Tip):
            for value in entry.fields.values():
                parts.extend(value if isinstance(value, list) else [str(value)])
        elif isinstance(entry, Followup | Reply):
            parts.append(entry.message)
        if isinstance(entry, Tip | Followup):
            parts.extend(note.text for note in entry.notes)
    return "\n".join(parts)


class Index:
    """The folded text of every conversation, made once, searched many times.

    The texts are kept as one string, each behind a NUL, so a word is looked for with
    ``str.find`` over all of them at once (C speed) instead of once per conversation.
    """

    def __init__(self, texts: Mapping[str, str]) -> None:
        """``texts``: each conversation's id and its :func:`text_of`."""
        self._ids = list(texts)
        folded = [fold(text).replace("\0", " ") for text in texts.values()]
        self._starts: list[int] = []
        position = 0
        for text in folded:
            self._starts.append(position)
            position += len(text) + 1
        self._texts = folded
        self._all = "\0".join(folded)

    @classmethod
    def of(cls, conversations: Iterable[Conversation]) -> Index:
        """The index of ``conversations``."""
        return cls({c.id: text_of(c) for c in conversations})

    def matches(self, query: str) -> set[str]:
        """The ids of conversations holding every word of ``query`` (all, if it is empty)."""
        # The longest word first: likely the rarest, so the fewest texts to check after.
        words = sorted(fold(query).split(), key=len, reverse=True)
        if not words:
            return set(self._ids)
        found = self._holding(words[0])
        for word in words[1:]:
            found = {n for n in found if word in self._texts[n]}
        return {self._ids[n] for n in found}

    def _holding(self, word: str) -> set[int]:
        """The numbers of the texts that contain ``word``."""
        holding: set[int] = set()
        position = self._all.find(word)
        while position != -1:
            number = bisect_right(self._starts, position) - 1
            holding.add(number)
            # Go on after this text: one hit per conversation is enough.
            following = self._starts[number + 1] if number + 1 < len(self._starts) else None
            if following is None:
                break
            position = self._all.find(word, following)
        return holding
