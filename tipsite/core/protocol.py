"""The staff API as both sides know it: its paths and its limits.

The site serves these routes (``tipsite.site.staff_api``) and the staff tool calls
them (``tipsite.hotline.pull``, ``tipsite.hotline.outbox``); neither imports the
other, so what they must agree on lives here. docs/formats.md describes the API.
"""

from __future__ import annotations

API_PREFIX = "/staff/v1"  # bump the version when a route changes meaning

KEY_PATH = "/key"  # GET: the fingerprint of the key in use (no token)
ENVELOPES_PATH = "/envelopes"  # GET: names waiting; /envelopes/NAME: GET, DELETE
REPLIES_PATH = "/replies"  # PUT /replies/LOOKUP/NAME: a reply for a tipster

MAX_REPLY_BYTES = 64 * 1024  # the largest reply envelope the site accepts


def envelope_path(name: str) -> str:
    """The path of one waiting envelope."""
    return f"{ENVELOPES_PATH}/{name}"


def reply_path(lookup: str, name: str) -> str:
    """The path a reply for the tipster with lookup id ``lookup`` is put to."""
    return f"{REPLIES_PATH}/{lookup}/{name}"
