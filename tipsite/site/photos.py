"""Photos sent with a tip, cleaned of everything but the picture.

A phone photo carries the tipster's GPS position, the phone's make and model, the
time to the second, maker notes and a thumbnail that may show more than the crop.
Deleting known tags would leave whatever tag we do not know, so each photo is
decoded to pixels and encoded afresh (a new JPEG, or a PNG when it has real
transparency) from the pixels alone: no EXIF, XMP, IPTC, ICC profile, comment
or thumbnail is written, whatever the source held. Colours are converted to
sRGB first, so dropping the profile changes nothing a person sees.

The format is judged by the bytes alone (never the file name or content type):
JPEG, PNG, HEIC/HEIF (iPhones' default) and WebP; anything else, anything
damaged, animated or too large is refused with a :class:`PhotoError` whose
``code`` names the reason and whose ``message`` says it in plain words (a gettext
msgid; the page translates it). No other exception leaves this module for any
input. Nothing here touches disk. What it costs: docs/performance.md.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageFile, ImageOps

from tipsite.core.attachments import TYPE_JPEG, TYPE_PNG, Photo
from tipsite.core.errors import PhotoError
from tipsite.core.vocabulary import N_
from tipsite.site.photolimits import DEFAULT_MAX_BYTES, MAX_COUNT

MAX_SIDE = 4096  # the longest side kept: a plate or a sign stays readable
DRAFT_MIN_SIDE = 3840  # a JPEG may be decoded smaller, to no less than this (_draft)
#: Pixels allowed in a JPEG or HEIC: a 48-megapixel phone photo (8064 x 6048) passes.
#: A JPEG that large is decoded at half size (_draft); a HEIC is decoded whole, at 3
#: bytes a pixel, so at most 150 MB.
MAX_PIXELS = 50_000_000
#: PNG and WebP (screenshots, edited pictures) get less: they cannot be decoded at a
#: reduced size, and resizing with transparency makes two more copies. The largest
#: with transparency peaks at about 330 MiB (docs/performance.md).
MAX_PIXELS_OTHER = 25_000_000
PHONE_FORMATS = ("JPEG", "HEIF")
MAX_INPUT_SIDE = 30_000  # a phone panorama is under 20,000 px; wider is no photo
JPEG_QUALITY = 85  # no visible loss at phone sizes (a 12-megapixel photo: about 4 MB)
#: A re-encoded PNG above this (noise with transparency) is flattened to JPEG, so
#: five photos always fit one sealed envelope (attachments.MAX_PADDED).
MAX_PNG_BYTES = 16 * 1024 * 1024
MAX_OUTPUT_BYTES = 24 * 1024 * 1024  # a JPEG beyond this is refused: five fit MAX_PADDED
ACCEPTED = ("JPEG", "PNG", "HEIF", "WEBP")  # the only decoders Pillow may try

MESSAGES = {
    "empty": N_("This file is empty. Choose the photo again."),
    "too_large": N_("This photo is too large. Send a smaller copy of it."),
    "too_many": N_("You have chosen more photos than a tip can carry."),
    "too_many_pixels": N_("This photo has too many pixels. Send a smaller copy of it."),
    "unsupported": N_("This file is not a photo we can take. Send a JPEG, PNG, HEIC or "
                      "WebP photo."),
    "damaged": N_("This photo is damaged or incomplete. Take or save it again and send it."),
    "animated": N_("Moving pictures cannot be sent. Send a still photo."),
}

# Pillow's guard against decompression bombs; _warnings_handled makes its warning a refusal.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never filled in grey
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
# One decode at a time per worker process: gunicorn's threads would otherwise
# hold several decoded photos at once, and memory per worker must stay bounded.
_DECODING = threading.BoundedSemaphore(1)


@dataclass(frozen=True, repr=False)
class CleanPhoto(Photo):
    """A re-encoded photo ready to seal, with its size in pixels."""

    width: int = 0
    height: int = 0


def photo_error(code: str, position: int = 0) -> PhotoError:
    """The :class:`PhotoError` for ``code``, with its plain-words message."""
    return PhotoError(code, MESSAGES[code], position)


def clean_photos(
    files: Sequence[bytes], max_count: int = MAX_COUNT, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[CleanPhoto]:
    """Clean every photo of one tip; the first refused one raises for them all.

    All or nothing, like the tip: a tipster never sends a tip missing a photo
    they chose. The error's ``position`` says which photo (1 = the first).
    """
    if len(files) > max_count:
        raise photo_error("too_many")
    cleaned = []
    for position, data in enumerate(files, start=1):
        try:
            cleaned.append(clean_photo(data, max_bytes))
        except PhotoError as error:
            error.position = position
            raise
    return cleaned


def clean_photo(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CleanPhoto:
    """Decode ``data``, keep only its pixels, upright and at most MAX_SIDE, re-encoded."""
    if not data:
        raise photo_error("empty")
    if len(data) > max_bytes:
        raise photo_error("too_large")
    with _DECODING, _warnings_handled():
        image = _decode(data)
        try:
            return _encode(_normalise(image))
        except PhotoError:
            raise
        except Exception:  # a hostile file can make any step fail; it is damaged
            raise photo_error("damaged") from None
        finally:
            image.close()


@contextmanager
def _warnings_handled() -> Iterator[None]:
    """A bomb warning becomes an error; every other warning (corrupt EXIF) is ignored.

    The same whatever the process's filters (tests make warnings errors, production
    would log them): metadata we drop anyway must neither refuse a photo nor leave a
    trace in a log. Warning filters are process-wide; this runs under _DECODING, so
    its only effect on other threads is that a warning of theirs in this window is
    not shown.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _decode(data: bytes) -> Image.Image:
    """Open ``data`` with an accepted decoder, check it, and decode its pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise photo_error("too_many_pixels") from None
    except Exception:  # not one of the accepted formats (zip, HTML, GIF, ...) or garbled
        raise photo_error("unsupported") from None
    try:
        _check(image)
        _draft(image)
        image.load()  # decodes everything now: a truncated file fails here
    except PhotoError:
        image.close()
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        image.close()
        raise photo_error("too_many_pixels") from None
    except Exception:
        image.close()
        raise photo_error("damaged") from None
    return image


def _check(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise photo_error("damaged")
    limit = MAX_PIXELS if image.format in PHONE_FORMATS else MAX_PIXELS_OTHER
    if width * height > limit or max(width, height) > MAX_INPUT_SIDE:
        raise photo_error("too_many_pixels")
    # Several frames: an animation (WebP, APNG) or a HEIF image collection. Sending
    # only the first frame would drop what the tipster meant to show.
    if getattr(image, "n_frames", 1) > 1:
        raise photo_error("animated")


def _draft(image: Image.Image) -> None:
    """Let libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 size: less memory, less time.

    The largest reduction that keeps the longest side at DRAFT_MIN_SIDE or more: a
    48-megapixel photo (8064 px) decodes at 4032 px, as a 12-megapixel one does.
    """
    if image.format != "JPEG":
        return
    reduction = 1
    while reduction < 8 and max(image.size) // (reduction * 2) >= DRAFT_MIN_SIDE:
        reduction *= 2
    if reduction > 1:
        image.draft("RGB", (image.size[0] // reduction, image.size[1] // reduction))


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA, at most MAX_SIDE, with no metadata left to write.

    In place where Pillow allows it: a 12-megapixel photo is 36 MB a copy.
    """
    icc = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode.startswith("I"):  # 16-bit grey (PNG): convert() would clip it to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    mode = "RGBA" if _has_transparency(image) else "RGB"
    pixels = _to_srgb(image if image.mode == mode else image.convert(mode), icc)
    if max(pixels.size) > MAX_SIDE:
        pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # What Pillow writes beyond the pixels comes from two places: the arguments to
    # save() (_save passes none) and the image's info (comment, ICC profile, EXIF read
    # from the source). Emptied, the encoder has nothing but the pixels to write;
    # tests/test_photos.py scans the output bytes to prove it.
    pixels.info = {}
    return pixels


def _has_transparency(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in image.info:
        return False
    # Per-band extremes, computed without a copy of the image (alpha is the last band).
    bands = (image if image.mode == "RGBA" else image.convert("RGBA")).getextrema()
    low, _ = bands[-1]  # type: ignore[misc]
    # An alpha channel that is opaque everywhere is no transparency: that photo is a JPEG.
    return bool(low < 255)


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert from the photo's colour profile (often Display P3 on phones) to sRGB."""
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space.strip() != "RGB":
            return image
        ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError):
        pass  # a broken profile: keep the pixels as they are
    return image


def _encode(image: Image.Image) -> CleanPhoto:
    """Write ``image`` as a new PNG (transparency) or JPEG, passing no metadata at all."""
    if image.mode == "RGBA":
        data = _save(image, "PNG")
        if len(data) <= MAX_PNG_BYTES:
            return CleanPhoto(TYPE_PNG, data, image.width, image.height)
        image = _flatten(image)
    data = _save(image, "JPEG")
    if len(data) > MAX_OUTPUT_BYTES:
        raise photo_error("too_large")
    return CleanPhoto(TYPE_JPEG, data, image.width, image.height)


def _save(image: Image.Image, format: str) -> bytes:
    out = io.BytesIO()
    if format == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency onto white, for a PNG too large to keep as one."""
    white = Image.new("RGB", image.size, (255, 255, 255))
    white.paste(image, mask=image.getchannel("A"))
    return white
