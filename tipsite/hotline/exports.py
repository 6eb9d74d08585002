"""Exports of opened tips: JSON for machines, CSV for spreadsheets, HTML for print.

Every export holds conversations: a tip with the follow-ups its tipster sent and
the staff's replies (see conversation.py). A follow-up whose tip is not in the
store is exported on its own, marked ``"kind": "followup"``.

Whatever a tip says, the exports stay inert:

- JSON escapes every control and bidi character (``\\uXXXX``), so it can be ``cat``.
- CSV opens safely in Excel and LibreOffice: a cell that would start a formula
  (``=``, ``+``, ``-``, ``@``, tab, CR, LF, or their full-width forms) gets a leading
  apostrophe, and the file is UTF-8 with a BOM so Danish letters survive Excel.
- HTML is one self-contained file: inline style, no script, no external resource,
  a Content-Security-Policy that forbids loading anything, every text escaped and the
  body passed through bleach's allow-list as a second line of defence.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# orjson writes records much faster than json (docs/performance.md, the staff tool);
# like json.dumps(ensure_ascii=False) it keeps Danish letters as themselves.
import orjson

from tipsite.core import payload
from tipsite.core.durable import replace_durably
from tipsite.core.vocabulary import INDICATORS, RELATIONS, SETTINGS, label_of, translate
from tipsite.hotline.conversation import Conversation
from tipsite.hotline.problem import Problem
from tipsite.hotline.reader import UNBOUND_TIP, Followup, Reply, Tip
from tipsite.hotline.terminal import escape_json_bytes, safe

FORMATS = ("json", "csv", "html")
CSV_BOM = "\ufeff"
# First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection),
# with the full-width forms some spreadsheet programs also accept.
_FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
_HTML_TAGS = frozenset(("article", "h1", "h2", "p", "dl", "dt", "dd", "ul", "li", "span",
                        "code", "section"))
_HTML_ATTRIBUTES = {"*": ["class"]}  # no href, src or style: nothing can point outside


def setting_label(setting: str, lang: str) -> str:
    """The label of a setting id in ``lang`` (the id itself if unknown)."""
    return translate(label_of(SETTINGS, setting), lang) if setting else ""


def relation_label(relation: str, lang: str) -> str:
    """The label of a relation id in ``lang`` (empty if none was chosen)."""
    return translate(label_of(RELATIONS, relation), lang) if relation else ""


def indicator_label(indicator: str, lang: str) -> str:
    """The label of an indicator id in ``lang`` (the id itself if unknown)."""
    return translate(label_of(INDICATORS, indicator), lang)


# --- JSON ----------------------------------------------------------------------


def tip_record(tip: Tip) -> dict[str, Any]:
    """A tip as one JSON object: ``id``, ``received_at``, the form fields by name, triage."""
    # Tip.fields holds exactly the form fields, in payload.FIELD_NAMES order.
    record: dict[str, Any] = {"id": tip.id, "kind": payload.KIND_TIP,
                              "received_at": tip.received_at, "lang": tip.lang, **tip.fields}
    if tip.reply_to is not None and not tip.reply_to.bound:
        record["suspicious"] = UNBOUND_TIP  # a reply key not made from a receipt code
    _add_triage(record, tip)
    return record


def followup_record(followup: Followup) -> dict[str, Any]:
    """A follow-up as a JSON object: ``id``, ``received_at``, ``lang``, ``message``, triage."""
    record: dict[str, Any] = {"id": followup.id, "kind": payload.KIND_FOLLOWUP,
                              "received_at": followup.received_at, "lang": followup.lang,
                              "message": followup.message}
    if followup.suspicious:  # may be forged: see conversation.py
        record["suspicious"] = followup.suspicious
    _add_triage(record, followup)
    return record


def reply_record(reply: Reply) -> dict[str, Any]:
    """A staff reply as a JSON object; ``sent`` is false while the site does not have it."""
    return {"id": reply.id, "written_at": reply.written_at, "message": reply.message,
            "sent": not reply.waiting}


def _add_triage(record: dict[str, Any], item: Tip | Followup) -> None:
    if item.status:
        record["status"] = item.status
        record["handled_on"] = item.handled_on
        record["notes"] = [{"written_at": n.written_at, "text": n.text} for n in item.notes]


def conversation_record(conversation: Conversation) -> dict[str, Any]:
    """A conversation as its tip's object with ``followups`` and ``replies`` lists."""
    root = conversation.root
    record = tip_record(root) if isinstance(root, Tip) else followup_record(root)
    record["followups"] = [followup_record(f) for f in conversation.followups]
    record["replies"] = [reply_record(r) for r in conversation.replies]
    return record


def to_json(conversations: Sequence[Conversation]) -> bytes:
    """Every conversation as an indented JSON list, in UTF-8."""
    # One encoder call for the whole list: per record, the calls and the joining cost
    # more than the encoding itself (docs/performance.md).
    return escape_json_bytes(orjson.dumps([conversation_record(c) for c in conversations],
                                          option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


# --- CSV -----------------------------------------------------------------------

CSV_COLUMNS = (
    "id", "received_at", "status", "handled_on", "lang", "setting", "setting_label",
    "location", "description", "indicators", "indicator_labels", "when", "people",
    "vehicles", "relation", "relation_label", "contact", "notes", "kind", "followups",
    "replies",
)


def neutralise(cell: str) -> str:
    """``cell`` made safe for a spreadsheet: never read as a formula."""
    if cell and (cell[0] in _FORMULA_STARTS or cell.lstrip(" ")[:1] in _FORMULA_STARTS):
        # A leading apostrophe makes Excel and LibreOffice show the cell as text.
        return "'" + cell
    return cell


def _flagged(followup: Followup) -> str:
    """A follow-up's message, led by a warning if it may be forged."""
    if followup.suspicious:
        return f"[SUSPICIOUS: {followup.suspicious}] {followup.message}"
    return followup.message


def iso_moment(moment: str) -> str:
    """A note's ``2026-11-29 10:00 UTC`` as ``2026-11-29T10:00:00Z``, the CSV's one format.

    Tips, follow-ups and replies carry ISO 8601 times already; a spreadsheet sorts and
    filters a column only if every cell is written the same way.
    """
    if len(moment) == 20 and moment.endswith(" UTC") and moment[10] == " ":
        return f"{moment[:10]}T{moment[11:16]}:00Z"
    return moment


def _dated(lines: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{moment}: {text}" for moment, text in lines)


def csv_row(conversation: Conversation, lang: str) -> list[str]:
    """One CSV row for a conversation, every cell neutralised.

    Follow-ups and replies go into one cell each, a line per message
    (``2026-11-29T10:00:00Z: text``); a follow-up without its tip is a row of
    ``kind`` ``followup`` with only the common columns and that cell filled.
    """
    root = conversation.root
    followups = conversation.followups if isinstance(root, Tip) else [root,
                                                                       *conversation.followups]
    values = {
        "id": root.id,
        "received_at": root.received_at,
        "status": root.status,
        "handled_on": root.handled_on,
        "lang": root.lang,
        "notes": _dated([(iso_moment(n.written_at), n.text) for n in root.notes]),
        "kind": payload.KIND_TIP if isinstance(root, Tip) else payload.KIND_FOLLOWUP,
        "followups": _dated([(f.received_at, _flagged(f)) for f in followups]),
        "replies": _dated([(r.written_at, r.message) for r in conversation.replies]),
    }
    if isinstance(root, Tip):
        fields = root.fields
        values.update(fields)
        values.update({
            "setting_label": setting_label(fields["setting"], lang),
            "indicators": " ".join(root.indicators),
            "indicator_labels": "; ".join(indicator_label(i, lang) for i in root.indicators),
            "relation_label": relation_label(fields["relation"], lang),
        })
    return [neutralise(str(values.get(c, ""))) for c in CSV_COLUMNS]


def to_csv(conversations: Sequence[Conversation], lang: str) -> str:
    """Every conversation as CSV text, starting with a BOM (encode it as UTF-8)."""
    import csv  # only here: JSON exports start without it

    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for conversation in conversations:
        writer.writerow(csv_row(conversation, lang))
    return CSV_BOM + out.getvalue()


# --- HTML ----------------------------------------------------------------------

_STYLE = """
body { font: 11pt/1.45 system-ui, sans-serif; margin: 2em; color: #111; }
article { border-top: 2px solid #333; padding-top: .5em; margin-top: 1.5em;
          break-inside: avoid-page; }
dl { display: grid; grid-template-columns: 11em 1fr; gap: .2em 1em; }
dt { font-weight: bold; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
code { font-family: ui-monospace, monospace; }
.meta { color: #444; }
"""
# Even if markup slipped through, the browser may load nothing and run nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def _html_escape(text: str) -> str:
    """``text`` with markup characters and both quotes escaped (``html.escape``)."""
    import html  # only HTML exports need it (and the entity table it loads)

    return html.escape(text, quote=True)


def _text(value: str) -> str:
    """Tip text as inert HTML: control characters made visible, markup escaped."""
    return _html_escape(safe(value))


def _row(label: str, value: str) -> str:
    return f"<dt>{_html_escape(label)}</dt><dd>{_text(value)}</dd>"


def tip_rows(tip: Tip, lang: str) -> list[str]:
    """A tip's fields as ``<dt>``/``<dd>`` pairs."""
    fields = tip.fields
    signs = "".join(
        f"<li><code>{_text(i)}</code> {_text(indicator_label(i, lang))}</li>"
        for i in tip.indicators
    )
    notes = "".join(f"<li>{_text(n.written_at)}: {_text(n.text)}</li>" for n in tip.notes)
    rows = [
        _row("Received (UTC)", tip.received_at),
        _row("Form language", tip.lang or "-"),  # JSON and CSV carry it as ``lang``
        _row("Status", tip.status or "-"),
        _row("Setting", setting_label(fields["setting"], lang)),
        _row("Location", fields["location"]),
        _row("Description", fields["description"]),
        f"<dt>Signs</dt><dd><ul>{signs}</ul></dd>" if signs else _row("Signs", "-"),
        _row("When", fields["when"]),
        _row("People", fields["people"]),
        _row("Vehicles", fields["vehicles"]),
        _row("Relation", relation_label(fields["relation"], lang)),
        _row("Contact", fields["contact"]),
    ]
    if notes:
        rows.append(f"<dt>Staff notes</dt><dd><ul>{notes}</ul></dd>")
    return rows


def conversation_html(conversation: Conversation, lang: str) -> str:
    """One conversation as an ``<article>``: the tip, then follow-ups and replies in order."""
    root = conversation.root
    if isinstance(root, Tip):
        heading, rows = "Tip", tip_rows(root, lang)
    else:
        heading, rows = "Follow-up without its tip", [_row("Status", root.status or "-")]
    for entry in conversation.timeline():
        if isinstance(entry, Followup):
            rows.append(_row(f"Follow-up {entry.received_at}", _flagged(entry)))
        elif isinstance(entry, Reply):
            state = " (not sent yet)" if entry.waiting else ""
            rows.append(_row(f"Reply from the centre {entry.written_at}{state}", entry.message))
    return (f"<article><h2>{heading} <code>{_text(root.id)}</code></h2>"
            f"<dl>{''.join(rows)}</dl></article>")


def to_html(conversations: Sequence[Conversation], lang: str, title: str = "Tipsite: tips"
            ) -> str:
    """A self-contained HTML report of every conversation, for reading and printing."""
    import bleach  # only here: it is the slowest import, and list/show/json never need it

    body = (
        f"<h1>{_html_escape(title)}</h1>"
        f"<p class=\"meta\">{len(conversations)} tips. "
        "Confidential: handle as case material.</p>"
        + "".join(conversation_html(c, lang) for c in conversations)
    )
    # Second line of defence: only our own tags and the class attribute survive.
    body = bleach.clean(body, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES, protocols=set(),
                        strip=True, strip_comments=True)
    return (
        "<!DOCTYPE html>\n"
        f"<html lang=\"{_html_escape(lang)}\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{_html_escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def render(conversations: Sequence[Conversation], fmt: str, lang: str) -> bytes:
    """``conversations`` exported in format ``fmt`` (one of FORMATS), labels in ``lang``."""
    if fmt == "json":
        return to_json(conversations)
    if fmt == "csv":
        return to_csv(conversations, lang).encode("utf-8")
    return to_html(conversations, lang).encode("utf-8")


def write_export(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` whole or not at all, readable by the owner only."""
    try:
        replace_durably(out.resolve(), data)  # 0600: an export holds opened tips
    except OSError as exc:
        raise Problem(f"cannot write {out}: {exc.strerror}") from None


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job that makes no cycles.

    Opening and exporting 10,000 tips makes a few hundred thousand objects, and the
    collector would walk the growing heap again and again to find nothing: opened tips
    hold no reference cycles, and reference counting frees them all the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
