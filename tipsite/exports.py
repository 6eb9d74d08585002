"""Exports of opened tips: JSON for machines, CSV for spreadsheets, HTML for print.

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

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import Any

from tipsite import payload
from tipsite.reader import Tip
from tipsite.terminal import escape_json_text, safe
from tipsite.vocabulary import INDICATORS, RELATIONS, SETTINGS, label_of, translate

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
    record: dict[str, Any] = {"id": tip.id, "received_at": tip.received_at, "lang": tip.lang}
    record.update({name: tip.fields[name] for name in payload.FIELD_NAMES})
    if tip.status:
        record["status"] = tip.status
        record["handled_on"] = tip.handled_on
        record["notes"] = [{"written_at": n.written_at, "text": n.text} for n in tip.notes]
    return record


def to_json(tips: Sequence[Tip]) -> str:
    """Every tip as a JSON list, one tip per line (readable, and json's fast C encoder)."""
    lines = ",\n".join(json.dumps(tip_record(t), ensure_ascii=False) for t in tips)
    return escape_json_text(f"[\n{lines}\n]\n" if tips else "[]\n")


# --- CSV -----------------------------------------------------------------------

CSV_COLUMNS = (
    "id", "received_at", "status", "handled_on", "lang", "setting", "setting_label",
    "location", "description", "indicators", "indicator_labels", "when", "people",
    "vehicles", "relation", "relation_label", "contact", "notes",
)


def neutralise(cell: str) -> str:
    """``cell`` made safe for a spreadsheet: never read as a formula."""
    if cell and (cell[0] in _FORMULA_STARTS or cell.lstrip(" ")[:1] in _FORMULA_STARTS):
        # A leading apostrophe makes Excel and LibreOffice show the cell as text.
        return "'" + cell
    return cell


def csv_row(tip: Tip, lang: str) -> list[str]:
    """One CSV row for ``tip``, every cell neutralised."""
    fields = tip.fields
    values = {
        "id": tip.id,
        "received_at": tip.received_at,
        "status": tip.status,
        "handled_on": tip.handled_on,
        "lang": tip.lang,
        "setting_label": setting_label(fields["setting"], lang),
        "indicators": " ".join(tip.indicators),
        "indicator_labels": "; ".join(indicator_label(i, lang) for i in tip.indicators),
        "relation_label": relation_label(fields["relation"], lang),
        "notes": "\n".join(f"{n.written_at}: {n.text}" for n in tip.notes),
    }
    return [neutralise(str(values[c] if c in values else fields[c])) for c in CSV_COLUMNS]


def to_csv(tips: Sequence[Tip], lang: str) -> str:
    """Every tip as CSV text, starting with a BOM (encode it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for tip in tips:
        writer.writerow(csv_row(tip, lang))
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


def _text(value: str) -> str:
    """Tip text as inert HTML: control characters made visible, markup escaped."""
    return html.escape(safe(value), quote=True)


def _row(label: str, value: str) -> str:
    return f"<dt>{html.escape(label)}</dt><dd>{_text(value)}</dd>"


def tip_html(tip: Tip, lang: str) -> str:
    """One tip as an ``<article>``."""
    fields = tip.fields
    signs = "".join(
        f"<li><code>{_text(i)}</code> {_text(indicator_label(i, lang))}</li>"
        for i in tip.indicators
    )
    notes = "".join(f"<li>{_text(n.written_at)}: {_text(n.text)}</li>" for n in tip.notes)
    rows = [
        _row("Received (UTC)", tip.received_at),
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
    return f"<article><h2>Tip <code>{_text(tip.id)}</code></h2><dl>{''.join(rows)}</dl></article>"


def to_html(tips: Sequence[Tip], lang: str, title: str = "Tipsite: tips") -> str:
    """A self-contained HTML report of every tip, for reading and printing."""
    import bleach  # only here: it is the slowest import, and list/show/json never need it

    body = (
        f"<h1>{html.escape(title)}</h1>"
        f"<p class=\"meta\">{len(tips)} tips. Confidential: handle as case material.</p>"
        + "".join(tip_html(t, lang) for t in tips)
    )
    # Second line of defence: only our own tags and the class attribute survive.
    body = bleach.clean(body, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES, protocols=set(),
                        strip=True, strip_comments=True)
    return (
        "<!DOCTYPE html>\n"
        f"<html lang=\"{html.escape(lang)}\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
