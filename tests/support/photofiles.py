"""Photo files for the tests, made with Pillow at test time (no binary fixtures).

A phone-like JPEG carries everything that could identify a tipster: GPS position,
camera make, the time taken, an XMP packet, an embedded thumbnail and an
orientation; the hostile files are what an attacker would send instead of a photo.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import pillow_heif
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

MAKE = "TestCam-XYZ"
MODEL = "Phone-Model-Q7"
TAKEN = "2026:11:28 05:02:17"
XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
       b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="TestCam-XYZ"/>'
       b"</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>")
#: Bytes that must never appear in a cleaned photo.
TELLTALES = (b"Exif", b"GPS", b"xmp", b"http://ns.adobe.com/xap", MAKE.encode(),
             MODEL.encode(), TAKEN.encode(), b"xpacket")


def scene(width: int = 640, height: int = 480) -> Image.Image:
    """A picture with structure (so a rotation or a swap of halves would show)."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 2), fill=(230, 200, 30))  # top left block
    draw.ellipse((width // 2, height // 2, width - 10, height - 10), fill=(200, 30, 40))
    for x in range(0, width, 40):
        draw.line((x, 0, x, height), fill=(250, 250, 250), width=2)
    return image


def _exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE  # Make
    exif[0x0110] = MODEL  # Model
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to view
    exif[0x0132] = TAKEN  # DateTime
    sub = exif.get_ifd(0x8769)  # the Exif IFD
    sub[0x9003] = TAKEN  # DateTimeOriginal
    sub[0xA431] = "SERIAL-0042"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)  # the GPS IFD
    gps[1] = "N"
    gps[2] = (55.0, 40.0, 30.5)
    gps[3] = "E"
    gps[4] = (12.0, 34.0, 12.25)
    return exif


def phone_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A JPEG as a phone writes it: EXIF (GPS, make, time, orientation 6), XMP, a thumbnail.

    Stored sideways (``width`` x ``height``) with orientation 6, so it is meant to
    be seen ``height`` x ``width``.
    """
    out = io.BytesIO()
    scene(width, height).save(out, "JPEG", quality=92, exif=_exif().tobytes(), xmp=XMP,
                              comment=b"shot on " + MAKE.encode())
    return _with_thumbnail(out.getvalue())


THUMBNAIL_MARK = b"thumbnail " + MAKE.encode()


def _with_thumbnail(jpeg: bytes) -> bytes:
    """Insert an APP1 segment holding a whole small JPEG: an embedded thumbnail.

    (Cameras put theirs in the EXIF's second directory or an MPF segment; either
    way a preview JPEG rides inside the file, which is what the tests look for.)
    """
    thumb = io.BytesIO()
    scene(160, 120).save(thumb, "JPEG", quality=70)
    body = b"Exif\x00\x00" + THUMBNAIL_MARK + b" " + thumb.getvalue()
    segment = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    at = jpeg.index(b"\xff\xdb")  # before the first quantisation table, after EXIF and XMP
    return jpeg[:at] + segment + jpeg[at:]


def upright_scene(width: int = 640, height: int = 480) -> Image.Image:
    """What :func:`phone_jpeg` shows once its orientation is applied."""
    return scene(width, height).transpose(Image.Transpose.ROTATE_270)


def heic(width: int = 640, height: int = 480, orientation: int = 1) -> bytes:
    """A HEIC as an iPhone saves it, with EXIF (make, GPS, orientation) inside."""
    heif = pillow_heif.from_pillow(scene(width, height))
    out = io.BytesIO()
    heif.save(out, quality=90, exif=_exif(orientation).tobytes())
    return out.getvalue()


def png_with_alpha(width: int = 320, height: int = 240) -> bytes:
    """A PNG with real transparency and a text chunk naming the camera."""
    image = scene(width, height).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((width, height)))
    out = io.BytesIO()
    info = PngInfo()
    info.add_text("Software", MAKE)
    image.save(out, "PNG", pnginfo=info, exif=_exif(orientation=1).tobytes())
    return out.getvalue()


def webp(width: int = 320, height: int = 240) -> bytes:
    """A still WebP with EXIF."""
    out = io.BytesIO()
    scene(width, height).save(out, "WEBP", quality=90, exif=_exif(orientation=1).tobytes())
    return out.getvalue()


def animated(format: str) -> bytes:
    """A two-frame animation (GIF, WEBP or PNG, the last an APNG)."""
    frames = [scene(64, 48), scene(64, 48).transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    out = io.BytesIO()
    frames[0].save(out, format, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    """A phone JPEG cut in the middle, as a dropped connection leaves it."""
    data = phone_jpeg()
    return data[: len(data) // 2]


def zip_named_jpg() -> bytes:
    """A zip archive (sent as holiday.jpg, image/jpeg)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def polyglot() -> bytes:
    """A valid JPEG with a zip archive appended: both a photo and an archive."""
    return phone_jpeg() + zip_named_jpg()


def bomb() -> bytes:
    """A real decompression bomb: 8,000 x 8,000 grey pixels in a PNG of about 64 KB."""
    out = io.BytesIO()
    Image.new("L", (8000, 8000), 0).save(out, "PNG")
    return out.getvalue()


def huge_bomb() -> bytes:
    """A PNG whose header claims 30,000 x 30,000 pixels (900 million) in a few bytes."""
    return _png_header_bomb(30_000, 30_000)


def wide(width: int = 50_000, height: int = 20) -> bytes:
    """A 50,000-pixel-wide PNG, small in bytes and in pixels."""
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, "PNG")
    return out.getvalue()


def _png_header_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``, with a tiny (invalid) body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\0" * 1000)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def noisy_jpeg(width: int = 4032, height: int = 3024, quality: int = 92) -> bytes:
    """A phone-sized photo of about 5 MB: a scene with noise, as a camera sensor makes it."""
    rng = random.Random(15)  # noqa: S311 - seeded, repeatable test data
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    image = Image.blend(scene(width, height), Image.merge("RGB", [noise] * 3), 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=_exif().tobytes())
    return out.getvalue()


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def swapped_profile() -> bytes:
    """An ICC v2 RGB display profile whose red and green primaries are swapped.

    Made by hand (no wide-gamut profile ships here): what a pixel means depends on
    its profile, so (255, 0, 0) under this one is sRGB green. A photo carrying it
    shows whether the site converts colours before it drops the profile.
    """
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    text = b"swapped primaries\0"
    desc = (b"desc" + bytes(4) + struct.pack(">I", len(text)) + text
            + bytes(4) + bytes(4) + bytes(2) + bytes(1) + bytes(67))
    tags = [(b"desc", desc), (b"cprt", b"text" + bytes(4) + b"none\0"),
            (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", _xyz(*green)), (b"gXYZ", _xyz(*red)), (b"bXYZ", _xyz(*blue)),
            (b"rTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233))]
    tags += [(b"gTRC", tags[-1][1]), (b"bTRC", tags[-1][1])]
    offset = 128 + 4 + 12 * len(tags)
    table, data = [], b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table.append(signature + struct.pack(">II", offset + len(data), len(body)))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + bytes.fromhex("02100000") + b"mntr"
              + b"RGB " + b"XYZ " + bytes(12) + b"acsp" + bytes(28)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(4 + 16 + 28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(table) + data
