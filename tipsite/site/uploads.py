"""Uploaded photos, held in memory from the first byte to the seal.

Werkzeug writes any uploaded file beyond 500 KB to a temporary file. A photo
still carries its GPS position and phone model until it is cleaned, so it must
never reach the server's disk: :class:`InMemoryRequest` keeps every uploaded
part in memory (the request's size limit, MAX_CONTENT_LENGTH, bounds it), and
:func:`read_photos` takes the bytes of the chosen files, refusing too many or
too large with the same ``PhotoError`` as the cleaning (photos.py). The tipster's file
names and content types are never read: the bytes say what a file is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO

from flask import Request
from werkzeug.datastructures import FileStorage

from tipsite.site.photolimits import PhotoLimits
from tipsite.site.photos import photo_error


class InMemoryRequest(Request):
    """A request whose uploaded files stay in memory, never in a temporary file."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


def read_photos(files: Sequence[FileStorage], limits: PhotoLimits) -> list[bytes]:
    """The bytes of each chosen file, in order; too many or too large raise PhotoError.

    A file field with nothing chosen still sends one empty part without a file
    name; such parts are not photos and are skipped. A chosen but empty file is
    kept, and the cleaning refuses it as empty.
    """
    chosen = [upload for upload in files if upload.filename]
    if len(chosen) > limits.max_count:
        raise photo_error("too_many")
    photos = []
    for position, upload in enumerate(chosen, start=1):
        data = upload.stream.read(limits.max_bytes + 1)  # one byte more tells too large
        if len(data) > limits.max_bytes:
            raise photo_error("too_large", position)
        photos.append(data)
    return photos

