"""Search across opened tips: every word, any case, in tips, follow-ups, replies and notes."""

from __future__ import annotations

from tipsite.hotline.conversation import Conversation
from tipsite.hotline.reader import Followup, Note, ReplyTo, Tip
from tipsite.hotline.search import Index

BOUND = ReplyTo("lookup", "key", "argon2id", bound=True)


def tip(tip_id: str, **fields: object) -> Tip:
    base = {"setting": "flat", "location": "", "description": "", "indicators": [], "when": "",
            "people": "", "vehicles": "", "relation": "", "contact": ""}
    return Tip(tip_id, "2026-12-01T09:00:00+00:00", "da", {**base, **fields}, "new", "",
               [Note("2026-12-02T10:00:00+00:00", "Ring til udlejer Jensen")], BOUND)


def test_every_word_must_match_in_any_case_and_any_part() -> None:
    first = Conversation(tip("a" * 32, location="Ærøvej 3, Marstal", vehicles="AB 12 345"))
    second = Conversation(tip("b" * 32, description="Polske arbejdere"),
                          [Followup("c" * 32, "2026-12-03T08:00:00+00:00", "da",
                                    "Bilen med ab 12 345 kom igen", BOUND)])
    index = Index.of([first, second])
    assert index.matches("ærøvej") == {"a" * 32}
    assert index.matches("AB 12 345") == {"a" * 32, "b" * 32}  # the follow-up counts
    assert index.matches("polske 345") == {"b" * 32}
    assert index.matches("jensen") == {"a" * 32, "b" * 32}  # staff notes count too
    assert index.matches("ＡＢ") == {"a" * 32, "b" * 32}  # full-width letters are letters
    assert index.matches("kiosk") == set()
    assert index.matches("  ") == {"a" * 32, "b" * 32}


def test_a_word_is_found_once_per_conversation_and_never_across_two() -> None:
    index = Index({"a": "slutter med ves", "b": "tergade 12 begynder her", "c": "vestergade"})
    assert index.matches("vestergade") == {"c"}  # "ves" + "tergade" in the next text: no
    assert index.matches("e") == {"a", "b", "c"}
    assert Index({}).matches("x") == set() and Index({}).matches("") == set()
