"""gunicorn's logger, made to forget who the clients are: no address reaches a log.

gunicorn writes the peer's address into some of its own messages: a malformed
request is logged as ``Invalid request from ip=…`` (gunicorn.workers.base,
``handle_error``, reached by the sync, gthread and async workers), and an
exception's text may quote a socket address. The access log can print
addresses, User-Agents and Referers. :class:`ScrubbingLogger` (named in
``gunicorn.conf.py`` as ``logger_class``):

- runs every record of gunicorn's error and access logs through
  :class:`AddressScrubber`, which replaces anything that looks like an IPv4 or
  IPv6 address, in the message and in a traceback, with ``[address]``;
- cuts the client's own bytes (request line, header name) that gunicorn quotes
  after ``Invalid request from``: a malformed request may carry anything;
- withholds the request that gunicorn's and Flask's error messages quote
  ("Error handling request …", "Exception on …") and every exception's message
  in a traceback (it may quote a header or a path); frames stay;
- shows line breaks and other control characters as escapes, so one record
  stays one line whatever a request carried;
- blanks the access-log atoms that identify a client (``h``, ``a``, ``f``,
  ``u``, every request header and environ variable), whatever format is set,
  and cuts envelope names and lookup ids from staff API paths;
- sends the app's own Python logging (the ``tipsite`` logger) through the same
  scrubbed handlers, so there is one log stream with one scrubber.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[address]"

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Anything made of hex digits, colons and dots with a colon in it may be IPv6;
# ipaddress decides, so clock times like 10:19:03 are left alone.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%\w+)?(?![\w:.])")
# Access-log atoms that name, describe or locate a client.
_CLIENT_ATOMS = ("h", "a", "f", "u")
APP_LOGGER = "tipsite"
INVALID_REQUEST = "Invalid request from"
WITHHELD = "[request text withheld]"
# Messages whose arguments are the client's request: gunicorn's error handler and
# Flask's exception log ("Exception on /path [GET]").
_QUOTES_REQUEST = ("Error handling request", "Exception on")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
STAFF_PREFIX = "/staff/v1/"


def scrub(text: str) -> str:
    """``text`` with every IP address (v4 or v6) replaced by ``[address]``."""
    return _IPV4.sub(REDACTED, _IPV6_CANDIDATE.sub(_redact_ipv6, text))


def _redact_ipv6(match: re.Match[str]) -> str:
    candidate = match.group(0)
    address = candidate.rstrip(":")  # "ip=::1: error" ends the address at the last colon
    try:
        ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return candidate
    return REDACTED + candidate[len(address) :]


def withhold_request_text(message: str) -> str:
    """Cut what a malformed request said ('GET /…', header names) from gunicorn's warning."""
    if not message.startswith(INVALID_REQUEST):
        return message
    head, quote, _ = message.partition("'")  # gunicorn quotes the client's bytes with '
    return head + WITHHELD if quote else message


def escape_controls(text: str) -> str:
    """``text`` with line breaks and other control characters shown as escapes.

    One record is one line: a request cannot forge more (a path with ``%0a``).
    """
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def withhold_request(record: logging.LogRecord) -> str:
    """The record's message, without the request it may quote (path, URI, request line)."""
    template = str(record.msg)
    for prefix in _QUOTES_REQUEST:
        if template.startswith(prefix):
            return prefix + " " + WITHHELD  # gunicorn's and Flask's "… on /path"
    return withhold_request_text(record.getMessage())


def traceback_without_messages(exc_info: Any) -> str:
    """A traceback's frames, with every exception's message withheld.

    An exception's text may quote what a client sent (a header value, a path with a
    line break); the frames show where it happened, which is what an operator needs.
    """
    lines: list[str] = []
    error: BaseException | None = exc_info[1]
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames = traceback.extract_tb(error.__traceback__)
        block = ["Traceback (most recent call last):\n", *frames.format(),
                 f"{type(error).__qualname__}: {WITHHELD}\n"]
        lines[:0] = block if not lines else [*block, "\nThen:\n"]
        error = error.__cause__ or error.__context__
    return "".join(lines).rstrip("\n")


class AddressScrubber(logging.Filter):
    """A handler filter: no client address, request text or forged line in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place: message, traceback and stack without addresses."""
        record.msg = escape_controls(scrub(withhold_request(record)))
        record.args = None
        if record.exc_info:
            # The formatter reuses exc_text when it is set: give it the scrubbed one.
            record.exc_text = scrub(traceback_without_messages(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class ScrubbingLogger(Logger):  # type: ignore[misc]
    """gunicorn's Logger whose handlers never print a client's address."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then scrub them and share them with the app."""
        super().setup(cfg)
        handlers = [*self.error_log.handlers, *self.access_log.handlers]
        for handler in handlers:
            if not any(isinstance(f, AddressScrubber) for f in handler.filters):
                handler.addFilter(AddressScrubber())
        self._share_with_app(self.error_log.handlers)

    def _share_with_app(self, handlers: list[logging.Handler]) -> None:
        """Route the ``tipsite`` logger to gunicorn's (scrubbed) error handlers."""
        app_log = logging.getLogger(APP_LOGGER)
        for old in list(app_log.handlers):
            if getattr(old, "_gunicorn", False):  # from before a configuration reload
                app_log.removeHandler(old)
        for handler in handlers:
            app_log.addHandler(handler)
        app_log.setLevel(self.loglevel)
        # Handled here only; Flask sees a handler and adds no unscrubbed one of its own.
        app_log.propagate = False

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        """gunicorn's access-log atoms without anything that identifies the client."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in list(atoms):
            # Request headers ({…}i) and environ ({…}e) hold addresses, UA, Referer.
            if name in _CLIENT_ATOMS or name.endswith(("}i", "}e")):
                atoms[name] = "-"
        path = str(atoms.get("U", ""))
        if path.startswith(STAFF_PREFIX):
            # Envelope names and lookup ids would link pulls and replies to tips.
            kind = path[len(STAFF_PREFIX):].split("/", 1)[0]
            atoms["U"] = f"{STAFF_PREFIX}{kind}/*" if "/" in path[len(STAFF_PREFIX):] else path
            atoms["r"] = f"{atoms.get('m', '-')} {atoms['U']}"
            atoms["q"] = ""
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = escape_controls(value)  # a path cannot forge a log line
        return atoms
