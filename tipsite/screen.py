"""What ``hotline`` prints for people: one line per conversation, a whole conversation.

Everything here returns plain text; the caller passes it through
:func:`tipsite.terminal.safe` before it reaches a terminal.
"""

from __future__ import annotations

from tipsite import exports
from tipsite.conversation import Conversation
from tipsite.reader import Followup, Reply, Tip

LOCATION_WIDTH = 40
ORPHAN = "follow-up, tip not here"


def when(received_at: str) -> str:
    """``2026-11-28T10:15:03Z`` as ``2026-11-28 10:15 UTC``."""
    return received_at.replace("T", " ")[:16] + " UTC" if "T" in received_at else received_at


def indent(text: str) -> str:
    """``text`` indented by two spaces; only ``\\n`` breaks lines (``\\r`` gets escaped)."""
    return "\n".join("  " + line for line in text.split("\n"))


def shorten(text: str, width: int = LOCATION_WIDTH) -> str:
    """The start of ``text``, cut with an ellipsis to ``width`` characters."""
    return text[: width - 1] + "…" if len(text) > width else text


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


SUSPICIOUS = "SUSPICIOUS"


def news(conversation: Conversation) -> str:
    """What a conversation holds besides its first message: ``[2 follow-ups (1 new), …]``."""
    parts = []
    root = conversation.root
    if isinstance(root, Tip) and root.reply_to is not None and not root.reply_to.bound:
        parts.append(f"{SUSPICIOUS} reply key")  # no reply can go to it; see show
    if conversation.suspicious:
        # First, in capitals: a follow-up that may be forged must not pass unnoticed.
        parts.append(f"{len(conversation.suspicious)} {SUSPICIOUS} follow-up"
                     + ("" if len(conversation.suspicious) == 1 else "s"))
    if conversation.followups:
        fresh = len(conversation.new_followups)
        parts.append(plural(len(conversation.followups), "follow-up")
                     + (f" ({fresh} new)" if fresh else ""))
    if conversation.replies:
        waiting = sum(r.waiting for r in conversation.replies)
        count = len(conversation.replies)
        parts.append(f"{count} {'reply' if count == 1 else 'replies'}"
                     + (f" ({waiting} not sent)" if waiting else ""))
    return f"[{', '.join(parts)}]" if parts else ""


def list_line(conversation: Conversation, width: int, lang: str) -> str:
    """One line of ``hotline list``: id, status, time, setting, location, what is new."""
    root = conversation.root
    columns = [root.id[:width]]
    if root.status:
        columns.append(f"{conversation.status:<7}")
    columns.append(when(root.received_at))
    if isinstance(root, Tip):
        columns += [exports.setting_label(root.fields["setting"], lang),
                    shorten(root.fields["location"])]
    else:
        columns += [ORPHAN, shorten(root.message)]
    if news(conversation):
        columns.append(news(conversation))
    return "  ".join(columns)


def tip_text(tip: Tip, lang: str) -> list[str]:
    """The lines that show a whole tip."""
    fields = tip.fields
    lines = [f"Tip       {tip.id}"]
    if tip.status:
        lines.append(f"Status    {tip.status}"
                     + (f" ({tip.handled_on})" if tip.handled_on else ""))
    lines += [
        f"Received  {when(tip.received_at)}   (form language: {tip.lang or '?'})",
        f"Setting   {exports.setting_label(fields['setting'], lang)} [{fields['setting']}]",
    ]
    for name, title in (("location", "Location"), ("description", "Description")):
        lines += [f"{title}:", indent(fields[name])]
    lines.append("Signs:" if tip.indicators else "Signs     none ticked")
    lines += [f"  {i:<4}{exports.indicator_label(i, lang)}" for i in tip.indicators]
    for name in ("when", "people", "vehicles"):
        if fields[name]:
            lines += [f"{name.capitalize()}:", indent(fields[name])]
    if fields["relation"]:
        lines.append(f"Relation  {exports.relation_label(fields['relation'], lang)}")
    if fields["contact"]:
        lines += ["Contact (the tipster chose to give it):", indent(fields["contact"])]
    if tip.reply_to is None:
        lines.append("Replies   not possible (sent before receipt codes)")
    elif not tip.reply_to.bound:
        lines.append(f"Replies   not possible: {SUSPICIOUS}, its lookup id does not belong to "
                     "its reply key (not made from a receipt code)")
    else:
        lines.append("Replies   possible: hotline reply " + tip.id[:8])
    return lines


def followup_text(followup: Followup, lead: bool) -> list[str]:
    """The lines that show a follow-up (``lead``: it opens a conversation of its own)."""
    status = f", {followup.status}" if followup.status else ""
    lines = [f"--- Follow-up {followup.id[:8]}, received {when(followup.received_at)}{status}"]
    if followup.suspicious:
        lines += [f"    {SUSPICIOUS}: {followup.suspicious}.",
                  "    It may be forged by whoever could write the server's inbox. Replies",
                  "    never go to its key; check its content before you trust it."]
    if lead:
        lines.append("    Its tip is not here: a mistyped receipt code, or the tip was purged.")
    return [*lines, indent(followup.message)]


def reply_text(reply: Reply) -> list[str]:
    """The lines that show a reply the staff wrote."""
    state = "NOT SENT yet (the next reply or pull sends it)" if reply.waiting else "sent"
    return [f"--- Reply from the centre, written {when(reply.written_at)}, {state}",
            indent(reply.message)]


def conversation_text(conversation: Conversation, lang: str) -> str:
    """A tip with its follow-ups and replies as one conversation, in time order."""
    lines: list[str] = []
    for entry in conversation.timeline():
        if isinstance(entry, Tip):
            lines += tip_text(entry, lang)
        elif isinstance(entry, Followup):
            lines += followup_text(entry, lead=entry is conversation.root)
        else:
            lines += reply_text(entry)
    for item in (conversation.root, *conversation.followups):
        about = "" if item is conversation.root else f" (on follow-up {item.id[:8]})"
        for note in item.notes:
            lines += [f"Note {note.written_at}{about}:", indent(note.text)]
    return "\n".join(lines)
