"""Seal a tipster's document to the centre's key and deliver it durably into the inbox.

The tip form and the follow-up page both end here, so both keep the same promises:
the key is read from disk for every document, the document is sealed inside the
request before anything touches the disk, and the caller says "thank you" only
after the inbox holds it durably (:meth:`Inbox.deliver` fsyncs file and folder).
"""

from __future__ import annotations

import logging

import nacl.public

from tipsite.core import envelope
from tipsite.core.errors import InboxError, KeyFileError
from tipsite.core.inbox import Inbox
from tipsite.core.keys import load_public_key
from tipsite.site.config import site_config

log = logging.getLogger(__name__)
# Why a document was not stored; the pages name the same problems (templates/_problem.html).
CLOSED = "closed"  # the centre's key cannot be read: nothing can be sealed
STORAGE = "storage"  # the inbox refused the write


def centre_key(what: str) -> nacl.public.PublicKey | None:
    """The centre's public key as the file holds it now; None (logged) if it cannot be read.

    Read for every document, never kept in memory: a key removed or replaced at run
    time must close the form or take effect at once. ``what`` names the documents
    refused meanwhile ("tips", "follow-ups") for the log.
    """
    try:
        return load_public_key(site_config().public_key)
    except KeyFileError:
        log.error("the public key cannot be read; %s are refused until it is fixed", what)
        return None


def seal_and_deliver(document: bytes, kind: str, public_key: nacl.public.PublicKey) -> str | None:
    """Seal ``document`` (a ``kind`` payload) and store it durably; return a problem or None.

    The log line names the problem only: never the content or the client.
    """
    try:
        Inbox(site_config().inbox).deliver(envelope.seal(document, public_key, kind))
    except InboxError as exc:
        log.error("a %s could not be stored: %s", kind, exc)
        return STORAGE
    return None
