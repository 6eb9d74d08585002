"""Finding conversations by what their tips say: every word, anywhere, any case.

A search for ``vestergade ab12345`` finds the conversations whose tip, follow-ups,
replies or notes hold both words. Case is ignored ("Ærø" finds "ærø") and
compatibility forms are unified (NFKC: a full-width "ＡＢ" is "ab"), so the words a
caller types and the words a tipster typed meet.
"""

from __future__ import annotations

import unicodedata
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
    """The folded text of each conversation, made once, searched many times."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        """``texts``: each conversation's id and its :func:`text_of`."""
        self._texts = {cid: fold(text) for cid, text in texts.items()}

    @classmethod
    def of(cls, conversations: Iterable[Conversation]) -> Index:
        """The index of ``conversations``."""
        return cls({c.id: text_of(c) for c in conversations})

    def matches(self, query: str) -> set[str]:
        """The ids of conversations holding every word of ``query`` (all, if it is empty)."""
        words = fold(query).split()
        return {cid for cid, text in self._texts.items() if all(w in text for w in words)}

    def text(self, conversation_id: str) -> str:
        """The folded text of one conversation."""
        return self._texts[conversation_id]
