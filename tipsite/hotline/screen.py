"""What ``hotline`` prints for people: one line per conversation, a whole conversation.

Everything here returns plain text; the caller passes it through
:func:`tipsite.hotline.terminal.safe` before it reaches a terminal.
"""

from __future__ import annotations

from tipsite.hotline import exports
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.reader import Followup, Reply, Tip

LOCATION_WIDTH = 40
COLUMN_GAP = "  "

# The words around the tip's own text, in the language --lang asks for. The values
# (settings, signs, relations) come from the site's catalogs (exports.*_label); these
# few are the tool's own. Statuses stay as typed on the command line (--status new).
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tip": "Tip", "status": "Status", "received": "Received",
        "form_lang": "form language", "setting": "Setting", "location": "Location",
        "description": "Description", "signs": "Signs", "none_ticked": "none ticked",
        "when": "When", "people": "People", "vehicles": "Vehicles", "relation": "Relation",
        "contact": "Contact (the tipster chose to give it)", "replies": "Replies",
        "reply_possible": "possible: hotline reply {id}",
        "reply_impossible": "not possible (sent before receipt codes)",
        "followup": "Follow-up", "received_lower": "received",
        "orphan_note": "Its tip is not here: a mistyped receipt code, or the tip was purged.",
        "reply_from": "Reply from the centre, written",
        "not_sent": "NOT SENT yet (the next reply or pull sends it)", "sent": "sent",
        "note": "Note", "on_followup": "on follow-up",
        "orphan": "follow-up, tip not here",
        "followups": "follow-up|follow-ups", "new": "new", "reply_count": "reply|replies",
        "not_sent_count": "not sent",
        "head_id": "ID", "head_status": "STATUS", "head_received": "RECEIVED",
        "head_setting": "SETTING", "head_location": "LOCATION",
        "reply_key": "reply key",
        "reply_unbound": "no reply possible: its lookup id does not belong to its reply key "
                         "(not made from a receipt code)",
        "suspicious_note": "It may be forged by whoever could write the server's inbox. Replies\n"
                           "never go to its key; check its content before you trust it.",
    },
    "da": {
        "tip": "Tip", "status": "Status", "received": "Modtaget",
        "form_lang": "formularens sprog", "setting": "Område", "location": "Sted",
        "description": "Beskrivelse", "signs": "Tegn", "none_ticked": "ingen markeret",
        "when": "Hvornår", "people": "Personer", "vehicles": "Køretøjer",
        "relation": "Relation", "contact": "Kontakt (tipgiveren valgte at oplyse den)",
        "replies": "Svar", "reply_possible": "muligt: hotline reply {id}",
        "reply_impossible": "ikke muligt (sendt før kvitteringskoder)",
        "followup": "Opfølgning", "received_lower": "modtaget",
        "orphan_note": "Tippet er her ikke: en forkert kvitteringskode, eller tippet er "
                       "slettet.",
        "reply_from": "Svar fra centret, skrevet",
        "not_sent": "IKKE SENDT endnu (næste reply eller pull sender det)",
        "sent": "sendt", "note": "Notat", "on_followup": "til opfølgning",
        "orphan": "opfølgning, tippet er her ikke",
        "followups": "opfølgning|opfølgninger", "new": "ny|nye",
        "reply_count": "svar|svar", "not_sent_count": "ikke sendt",
        "head_id": "ID", "head_status": "STATUS", "head_received": "MODTAGET",
        "head_setting": "OMRÅDE", "head_location": "STED",
        "reply_key": "svarnøgle",
        "reply_unbound": "svar ikke muligt: opslags-id'et hører ikke til svarnøglen "
                         "(ikke lavet ud fra en kvitteringskode)",
        "suspicious_note": "Den kan være forfalsket af nogen, der kunne skrive i serverens\n"
                           "indbakke. Svar går aldrig til dens nøgle; tjek indholdet, før du\n"
                           "stoler på det.",
    },
}


def label(name: str, lang: str) -> str:
    """The label ``name`` in ``lang`` (English for a language without a table)."""
    return LABELS.get(lang, LABELS["en"])[name]


def counted(count: int, name: str, lang: str) -> str:
    """``2 follow-ups`` from a ``singular|plural`` label."""
    one, _, many = label(name, lang).partition("|")
    return f"{count} {one if count == 1 else many or one}"


def when(received_at: str) -> str:
    """``2026-11-28T10:15:03Z`` as ``2026-11-28 10:15 UTC``."""
    return received_at.replace("T", " ")[:16] + " UTC" if "T" in received_at else received_at


def indent(text: str) -> str:
    """``text`` indented by two spaces; only ``\\n`` breaks lines (``\\r`` gets escaped)."""
    return "\n".join("  " + line for line in text.split("\n"))


def shorten(text: str, width: int = LOCATION_WIDTH) -> str:
    """The start of ``text``, cut with an ellipsis to ``width`` characters."""
    return text[: width - 1] + "…" if len(text) > width else text


def plural(count: int, word: str, words: str = "") -> str:
    """``1 tip``, ``2 tips``; ``words`` for a plural that is not word + s."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


SUSPICIOUS = "SUSPICIOUS"  # a marker people and scripts can grep for, in every language


def news(conversation: Conversation, lang: str = "en") -> str:
    """What a conversation holds besides its first message: ``[2 follow-ups (1 new), …]``."""
    parts = []
    root = conversation.root
    if isinstance(root, Tip) and root.reply_to is not None and not root.reply_to.bound:
        parts.append(f"{SUSPICIOUS} {label('reply_key', lang)}")  # no reply can go to it
    if conversation.suspicious:
        # First, in capitals: a follow-up that may be forged must not pass unnoticed.
        count, _, what = counted(len(conversation.suspicious), "followups", lang).partition(" ")
        parts.append(f"{count} {SUSPICIOUS} {what}")
    if conversation.followups:
        fresh = len(conversation.new_followups)
        new = counted(fresh, "new", lang).split(" ", 1)[1]
        parts.append(counted(len(conversation.followups), "followups", lang)
                     + (f" ({fresh} {new})" if fresh else ""))
    if conversation.replies:
        waiting = sum(r.waiting for r in conversation.replies)
        parts.append(counted(len(conversation.replies), "reply_count", lang)
                     + (f" ({waiting} {label('not_sent_count', lang)})" if waiting else ""))
    return f"[{', '.join(parts)}]" if parts else ""


def list_columns(conversation: Conversation, width: int, lang: str) -> list[str]:
    """The cells of ``hotline list``'s line: id, status, time, setting, location, news."""
    root = conversation.root
    columns = [root.id[:width], conversation.status if root.status else ""]
    columns.append(when(root.received_at))
    if isinstance(root, Tip):
        columns += [exports.setting_label(root.fields["setting"], lang),
                    shorten(root.fields["location"])]
    else:
        columns += [label("orphan", lang), shorten(root.message)]
    columns.append(news(conversation, lang))
    return columns


def list_header(lang: str, with_status: bool = True) -> list[str]:
    """The header cells of ``hotline list`` (the news column has none)."""
    cells = [label(f"head_{name}", lang)
             for name in ("id", "status", "received", "setting", "location")]
    if not with_status:
        cells[1] = ""  # a copied inbox has no statuses
    return [*cells, ""]


def aligned(rows: list[list[str]]) -> list[str]:
    """``rows`` of cells as lines with each column padded to its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell for i, cell in enumerate(row[:-1]) if widths[i]]
        sizes = [width for width in widths if width]
        if row[-1]:
            cells.append(row[-1])
        # Every cell but the line's last is padded: text's own trailing spaces stay.
        padded = [cell.ljust(sizes[i]) for i, cell in enumerate(cells[:-1])]
        lines.append(COLUMN_GAP.join([*padded, cells[-1]]))
    return lines


def list_line(conversation: Conversation, width: int, lang: str) -> str:
    """One line of ``hotline list`` on its own (not aligned with others)."""
    return aligned([list_columns(conversation, width, lang)])[0]


def reply_target(item: Tip | Followup) -> str:
    """Which conversation a reply goes to, for the "send it?" question."""
    if isinstance(item, Tip):
        return (f"tip {item.id[:8]}, received {when(item.received_at)}: "
                f"{shorten(item.fields['location'], 60)}")
    return (f"follow-up {item.id[:8]}, received {when(item.received_at)}: "
            f"{shorten(item.message, 60)}")


def tip_text(tip: Tip, lang: str) -> list[str]:
    """The lines that show a whole tip, labelled in ``lang``."""
    fields = tip.fields

    def head(name: str) -> str:  # a label with its value on the same line, aligned
        return f"{label(name, lang):<10}"

    lines = [f"{head('tip')}{tip.id}"]
    if tip.status:
        lines.append(f"{head('status')}{tip.status}"
                     + (f" ({tip.handled_on})" if tip.handled_on else ""))
    lines += [
        f"{head('received')}{when(tip.received_at)}   "
        f"({label('form_lang', lang)}: {tip.lang or '?'})",
        f"{head('setting')}{exports.setting_label(fields['setting'], lang)} "
        f"[{fields['setting']}]",
    ]
    for name in ("location", "description"):
        lines += [f"{label(name, lang)}:", indent(fields[name])]
    lines.append(f"{label('signs', lang)}:" if tip.indicators
                 else f"{head('signs')}{label('none_ticked', lang)}")
    lines += [f"  {i:<4}{exports.indicator_label(i, lang)}" for i in tip.indicators]
    for name in ("when", "people", "vehicles"):
        if fields[name]:
            lines += [f"{label(name, lang)}:", indent(fields[name])]
    if fields["relation"]:
        lines.append(f"{head('relation')}{exports.relation_label(fields['relation'], lang)}")
    if fields["contact"]:
        lines += [f"{label('contact', lang)}:", indent(fields["contact"])]
    if tip.reply_to is None:
        replies = label("reply_impossible", lang)
    elif not tip.reply_to.bound:
        replies = f"{SUSPICIOUS}: {label('reply_unbound', lang)}"
    else:
        replies = label("reply_possible", lang).format(id=tip.id[:8])
    lines.append(head("replies") + replies)
    return lines


def followup_text(followup: Followup, lead: bool, lang: str = "en") -> list[str]:
    """The lines that show a follow-up (``lead``: it opens a conversation of its own)."""
    status = f", {followup.status}" if followup.status else ""
    lines = [f"--- {label('followup', lang)} {followup.id[:8]}, "
             f"{label('received_lower', lang)} {when(followup.received_at)}{status}"]
    if followup.suspicious:
        lines += [f"    {SUSPICIOUS}: {followup.suspicious}.",
                  *("    " + line for line in label("suspicious_note", lang).split("\n"))]
    if lead:
        lines.append("    " + label("orphan_note", lang))
    return [*lines, indent(followup.message)]


def reply_text(reply: Reply, lang: str = "en") -> list[str]:
    """The lines that show a reply the staff wrote."""
    state = label("not_sent", lang) if reply.waiting else label("sent", lang)
    return [f"--- {label('reply_from', lang)} {when(reply.written_at)}, {state}",
            indent(reply.message)]


def conversation_text(conversation: Conversation, lang: str) -> str:
    """A tip with its follow-ups and replies as one conversation, in time order."""
    lines: list[str] = []
    for entry in conversation.timeline():
        if isinstance(entry, Tip):
            lines += tip_text(entry, lang)
        elif isinstance(entry, Followup):
            lines += followup_text(entry, entry is conversation.root, lang)
        else:
            lines += reply_text(entry, lang)
    for item in (conversation.root, *conversation.followups):
        about = ("" if item is conversation.root
                 else f" ({label('on_followup', lang)} {item.id[:8]})")
        for note in item.notes:
            lines += [f"{label('note', lang)} {note.written_at}{about}:", indent(note.text)]
    return "\n".join(lines)
