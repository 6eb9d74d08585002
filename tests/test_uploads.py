"""Uploaded photos never touch the disk, and only chosen files count.

A real Flask app and Werkzeug's own multipart parser, through the test client.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask, Request, request
from werkzeug.datastructures import FileStorage

from tests.support import photofiles
from tipsite.core.errors import PhotoError
from tipsite.site.photolimits import PhotoLimits
from tipsite.site.uploads import InMemoryRequest, read_photos

ONE_MB = bytes(range(256)) * 4096


def upload_app(request_class: type[Request]) -> Flask:
    app = Flask(__name__)
    app.request_class = request_class
    app.config["MAX_CONTENT_LENGTH"] = 60_000_000

    @app.post("/tip")
    def tip() -> dict[str, object]:
        stream = request.files.getlist("photos")[0].stream
        # A SpooledTemporaryFile that has "rolled over" has moved its bytes to a file.
        answer = {"stream": type(stream).__name__,
                  "on_disk": bool(getattr(stream, "_rolled", False))}
        stream.close()
        return answer

    return app


def post_photo(app: Flask, data: bytes) -> dict[str, object]:
    """Post one file as a browser does (the body encoded here, held in memory)."""
    boundary = "photoboundary15"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; "
            f"filename=\"IMG_0001.HEIC\"\r\nContent-Type: image/heic\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    response = app.test_client().post(
        "/tip", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    answer = response.get_json()
    assert isinstance(answer, dict)
    return answer


def test_werkzeug_alone_spools_a_large_upload_to_a_temporary_file() -> None:
    """What InMemoryRequest prevents: the same post, the default request class."""
    assert post_photo(upload_app(Request), ONE_MB)["on_disk"] is True


def test_an_uploaded_photo_stays_in_memory() -> None:
    answer = post_photo(upload_app(InMemoryRequest), ONE_MB * 9)
    assert answer == {"stream": "BytesIO", "on_disk": False}


def storage(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg")


def test_parts_without_a_chosen_file_are_not_photos() -> None:
    files = [storage(b"", name=""), storage(photofiles.webp()), storage(b"")]
    assert read_photos(files, PhotoLimits()) == [photofiles.webp(), b""]


def test_more_files_than_allowed_are_refused() -> None:
    with pytest.raises(PhotoError) as refused:
        read_photos([storage(b"x")] * 3, PhotoLimits(max_count=2))
    assert refused.value.code == "too_many"


def test_photos_off_refuses_any_file() -> None:
    with pytest.raises(PhotoError) as refused:
        read_photos([storage(b"x")], PhotoLimits(max_count=0))
    assert refused.value.code == "too_many"
    assert read_photos([storage(b"", name="")], PhotoLimits(max_count=0)) == []


def test_a_file_over_the_limit_is_refused_without_reading_it_all() -> None:
    stream = io.BytesIO(bytes(5000))
    with pytest.raises(PhotoError) as refused:
        read_photos([storage(b"ok"), FileStorage(stream, filename="big.jpg")],
                    PhotoLimits(max_bytes=1000))
    assert (refused.value.code, refused.value.position) == ("too_large", 2)
    assert stream.tell() == 1001
