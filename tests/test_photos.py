"""Photos keep their picture and lose everything that could identify the tipster.

Every file is made with Pillow at test time (tests/support/photofiles.py); the
cleaned bytes are checked twice: by Pillow, and by a raw scan for the telltale
bytes, since a tag Pillow does not know would escape Pillow's view.
"""

from __future__ import annotations

import io
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from babel.messages.extract import extract_from_file
from PIL import Image, ImageChops, ImageCms, ImageStat

from tests.support import photofiles
from tipsite.core.attachments import SIGNATURES, TYPE_JPEG, TYPE_PNG
from tipsite.core.errors import ConfigError, PhotoError
from tipsite.site import photos
from tipsite.site.photolimits import PhotoLimits, load_photo_limits

JPEG_INFO_ALLOWED = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
JPEG_MARKERS_ALLOWED = {0xE0, 0xDB, 0xC0, 0xC4, 0xDA}  # APP0 (JFIF), DQT, SOF0, DHT, SOS
PNG_CHUNKS_ALLOWED = {b"IHDR", b"IDAT", b"IEND"}


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0 to 255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's segments up to the start of the scan."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while True:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(SIGNATURES[TYPE_PNG])
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def assert_no_trace(clean: photos.CleanPhoto) -> None:
    """Nothing of the phone survives: raw bytes, Pillow's view, the file's structure."""
    for telltale in (*photofiles.TELLTALES, photofiles.THUMBNAIL_MARK):
        assert telltale not in clean.data, telltale
    image = Image.open(io.BytesIO(clean.data))
    assert not image.getexif()
    assert "icc_profile" not in image.info and "xmp" not in image.info
    if clean.type == TYPE_JPEG:
        assert set(image.info) <= JPEG_INFO_ALLOWED
        assert set(jpeg_markers(clean.data)) <= JPEG_MARKERS_ALLOWED
        assert clean.data.count(b"\xff\xd8") == 1  # no second (thumbnail) JPEG inside
    else:
        assert set(png_chunks(clean.data)) <= PNG_CHUNKS_ALLOWED
        assert set(image.info) <= {"dpi"}


def test_a_phone_jpeg_loses_position_make_time_xmp_and_thumbnail() -> None:
    source = photofiles.phone_jpeg()
    # The test file does carry them (GPS as numbered tags, so Pillow is asked).
    assert all(t in source for t in photofiles.TELLTALES if t != b"GPS")
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)[2] == (55.0, 40.0, 30.5)
    assert photofiles.THUMBNAIL_MARK in source and source.count(b"\xff\xd8") == 2
    clean = photos.clean_photo(source)
    assert clean.type == TYPE_JPEG and clean.data.startswith(SIGNATURES[TYPE_JPEG])
    assert_no_trace(clean)


def test_the_orientation_is_applied_and_the_picture_kept() -> None:
    clean = photos.clean_photo(photofiles.phone_jpeg(640, 480))
    assert (clean.width, clean.height) == (480, 640)
    image = Image.open(io.BytesIO(clean.data))
    assert image.size == (480, 640)
    assert difference(image, photofiles.upright_scene(640, 480)) < 4
    # Not merely similar in colour: the picture the wrong way round would differ a lot.
    wrong = photofiles.scene(640, 480).transpose(Image.Transpose.ROTATE_90)
    assert difference(image, wrong) > 20


def test_a_heic_from_an_iphone_becomes_a_clean_jpeg() -> None:
    source = photofiles.heic()
    assert photofiles.MAKE.encode() in source
    clean = photos.clean_photo(source)
    assert clean.type == TYPE_JPEG and (clean.width, clean.height) == (640, 480)
    assert_no_trace(clean)
    assert difference(Image.open(io.BytesIO(clean.data)), photofiles.scene()) < 6


def test_a_sideways_heic_comes_out_upright() -> None:
    clean = photos.clean_photo(photofiles.heic(640, 480, orientation=6))
    assert (clean.width, clean.height) == (480, 640)
    assert_no_trace(clean)
    assert difference(Image.open(io.BytesIO(clean.data)), photofiles.upright_scene()) < 6


def test_a_png_with_transparency_stays_a_png_with_its_alpha() -> None:
    clean = photos.clean_photo(photofiles.png_with_alpha())
    assert clean.type == TYPE_PNG
    assert_no_trace(clean)
    image = Image.open(io.BytesIO(clean.data))
    assert image.mode == "RGBA"
    source = Image.open(io.BytesIO(photofiles.png_with_alpha()))
    assert ImageChops.difference(image, source.convert("RGBA")).getbbox() is None  # lossless


def test_an_opaque_png_becomes_a_jpeg() -> None:
    out = io.BytesIO()
    photofiles.scene().convert("RGBA").save(out, "PNG")  # an alpha channel, opaque everywhere
    assert photos.clean_photo(out.getvalue()).type == TYPE_JPEG


def test_a_webp_becomes_a_clean_jpeg() -> None:
    clean = photos.clean_photo(photofiles.webp())
    assert clean.type == TYPE_JPEG
    assert_no_trace(clean)
    assert difference(Image.open(io.BytesIO(clean.data)), photofiles.scene(320, 240)) < 6


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


MODES = [
    ("black and white PNG", lambda: encoded(photofiles.scene().convert("1"), "PNG")),
    ("grey JPEG", lambda: encoded(photofiles.scene().convert("L"), "JPEG")),
    ("grey with alpha PNG", lambda: encoded(photofiles.scene().convert("LA"), "PNG")),
    ("palette PNG", lambda: encoded(photofiles.scene().convert(
        "P", palette=Image.Palette.ADAPTIVE), "PNG")),
    ("CMYK JPEG", lambda: encoded(photofiles.scene().convert("CMYK"), "JPEG")),
    ("lossless WebP with alpha", lambda: encoded(photofiles.scene().convert("RGBA"), "WEBP",
                                                 lossless=True)),
]


@pytest.mark.parametrize(("what", "make"), MODES, ids=[m[0] for m in MODES])
def test_every_kind_of_pixel_becomes_a_plain_rgb_jpeg(what: str, make: object) -> None:
    assert callable(make)
    source = make()
    clean = photos.clean_photo(source)
    image = Image.open(io.BytesIO(clean.data))
    assert (clean.type, image.mode, image.size) == (TYPE_JPEG, "RGB", (640, 480))
    assert difference(image, Image.open(io.BytesIO(source))) < 6


def test_a_16_bit_grey_png_keeps_its_tones() -> None:
    gradient = Image.linear_gradient("L").convert("I").point(lambda v: v * 257)
    clean = photos.clean_photo(encoded(gradient.convert("I;16"), "PNG"))
    grey = Image.open(io.BytesIO(clean.data)).convert("L")
    assert difference(grey, Image.linear_gradient("L")) < 3  # not clipped to white


def test_a_transparent_png_too_large_to_keep_is_flattened_to_jpeg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Noise with transparency could re-encode past what five photos may weigh."""
    monkeypatch.setattr(photos, "MAX_PNG_BYTES", 1000)
    clean = photos.clean_photo(photofiles.png_with_alpha())
    assert clean.type == TYPE_JPEG
    assert_no_trace(clean)


def test_a_photo_that_re_encodes_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(PhotoError) as refused:
        photos.clean_photo(photofiles.phone_jpeg())
    assert refused.value.code == "too_large"


def test_colours_are_converted_to_srgb_before_the_profile_is_dropped() -> None:
    """Dropping a wide-gamut profile (Display P3 on iPhones) must not change the colours."""
    source = encoded(Image.new("RGB", (64, 64), (255, 0, 0)), "JPEG",
                     icc_profile=photofiles.swapped_profile(), quality=95)
    clean = photos.clean_photo(source)
    image = Image.open(io.BytesIO(clean.data))
    assert "icc_profile" not in image.info
    red, green, blue = image.getpixel((32, 32))  # type: ignore[misc]
    assert green > 240 and red < 15 and blue < 15  # the profile said: this is green


def test_an_srgb_profile_is_not_kept() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    photofiles.scene().save(out, "JPEG", icc_profile=profile, quality=95)
    clean = photos.clean_photo(out.getvalue())
    assert "icc_profile" not in Image.open(io.BytesIO(clean.data)).info
    assert difference(Image.open(io.BytesIO(clean.data)), photofiles.scene()) < 4


@pytest.mark.parametrize(("size", "expected"), [
    ((5000, 1000), (4096, 819)),
    ((9000, 3000), (4096, 1365)),  # large enough for libjpeg to decode at half size
    ((8000, 600), (4000, 300)),  # decoded at half size, which is under the cap already
    ((6000, 5000), (4096, 3413)),  # 30 megapixels: too many for a PNG, not for a JPEG
    ((4096, 300), (4096, 300)),
])
def test_the_longest_side_is_capped(size: tuple[int, int], expected: tuple[int, int]) -> None:
    out = io.BytesIO()
    photofiles.scene(*size).save(out, "JPEG", quality=90)
    clean = photos.clean_photo(out.getvalue())
    assert (clean.width, clean.height) == expected
    image = Image.open(io.BytesIO(clean.data))
    assert difference(image, photofiles.scene(*size).resize(expected)) < 6


CORRUPT_EXIF = [
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + bytes(20),
    b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x05\x00\x00\x00\xff\xff\xff\x7f",
]


@pytest.mark.parametrize("exif", CORRUPT_EXIF)
def test_corrupt_exif_neither_refuses_the_photo_nor_warns(exif: bytes) -> None:
    """Pillow warns about such EXIF (an error under this suite's filters); it is dropped."""
    clean = photos.clean_photo(encoded(photofiles.scene(), "JPEG", exif=exif))
    assert (clean.width, clean.height) == (640, 480)
    assert b"Exif" not in clean.data


def test_a_polyglot_loses_its_appended_archive() -> None:
    """A JPEG with a zip after it is a photo; what follows the picture is not kept."""
    polyglot = photofiles.polyglot()
    assert b"PK\x03\x04" in polyglot and b"evil.html" in polyglot
    clean = photos.clean_photo(polyglot)
    assert b"PK\x03\x04" not in clean.data and b"evil.html" not in clean.data
    assert clean.data == photos.clean_photo(photofiles.phone_jpeg()).data


HOSTILE = [
    ("empty", b"", "empty"),
    ("truncated JPEG", photofiles.truncated_jpeg(), "damaged"),
    ("zip named holiday.jpg", photofiles.zip_named_jpg(), "unsupported"),
    ("HTML", photofiles.HTML, "unsupported"),
    ("animated GIF", photofiles.animated("GIF"), "unsupported"),  # GIF is no phone photo
    ("animated WebP", photofiles.animated("WEBP"), "animated"),
    ("animated PNG", photofiles.animated("PNG"), "animated"),
    ("decompression bomb", photofiles.bomb(), "too_many_pixels"),
    ("900-megapixel header", photofiles.huge_bomb(), "too_many_pixels"),
    ("50,000 px wide", photofiles.wide(), "too_many_pixels"),
    ("a 30-megapixel PNG", encoded(Image.new("L", (6000, 5000)), "PNG"), "too_many_pixels"),
    ("a JPEG's first bytes only", photofiles.phone_jpeg()[:40], "unsupported"),
    ("BMP", b"BM" + bytes(60), "unsupported"),
]


@pytest.mark.parametrize(("what", "data", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_with_their_reason(what: str, data: bytes, code: str) -> None:
    with pytest.raises(PhotoError) as refused:
        photos.clean_photo(data)
    assert refused.value.code == code
    assert refused.value.message == photos.MESSAGES[code]


def test_a_file_over_the_size_limit_is_refused_before_decoding() -> None:
    with pytest.raises(PhotoError) as refused:
        photos.clean_photo(b"\xff\xd8\xff" + bytes(2000), max_bytes=1000)
    assert refused.value.code == "too_large"


def test_more_photos_than_allowed_are_refused() -> None:
    with pytest.raises(PhotoError) as refused:
        photos.clean_photos([photofiles.webp()] * 3, max_count=2)
    assert refused.value.code == "too_many"


def test_one_bad_photo_refuses_the_set_and_says_which() -> None:
    with pytest.raises(PhotoError) as refused:
        photos.clean_photos([photofiles.webp(), photofiles.HTML, photofiles.webp()])
    assert (refused.value.code, refused.value.position) == ("unsupported", 2)


def test_several_photos_come_back_in_order() -> None:
    cleaned = photos.clean_photos([photofiles.webp(), photofiles.png_with_alpha()])
    assert [c.type for c in cleaned] == [TYPE_JPEG, TYPE_PNG]


def test_photos_cleaned_in_parallel_threads_come_out_as_alone() -> None:
    """gunicorn's threads share a worker: one decode at a time, each result its own."""
    sources = [photofiles.phone_jpeg(), photofiles.heic(), photofiles.webp(),
               photofiles.png_with_alpha()] * 2
    alone = [photos.clean_photo(source).data for source in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = [clean.data for clean in pool.map(photos.clean_photo, sources)]
    assert together == alone


def test_damaged_files_never_raise_anything_but_a_photo_error() -> None:
    """Flipped bytes and cuts anywhere in every accepted format: a photo or a PhotoError."""
    rng = random.Random(15)  # noqa: S311 - seeded, repeatable test data
    sources = [photofiles.phone_jpeg(160, 120), photofiles.heic(64, 48),
               photofiles.png_with_alpha(64, 48), photofiles.webp(64, 48)]
    outcomes = set()
    for source in sources:
        for _ in range(40):
            data = bytearray(source)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cut = rng.choice([len(data), rng.randrange(1, len(data))])
            try:
                clean = photos.clean_photo(bytes(data[:cut]))
            except PhotoError as refused:
                outcomes.add(refused.code)
            else:
                assert clean.data.startswith(SIGNATURES[clean.type])
                outcomes.add("accepted")
    assert "damaged" in outcomes  # the mutations did reach the decoders


def test_every_message_is_plain_and_extracted_for_translation() -> None:
    """`make translations` extracts N_ markers; every message must be among them."""
    found = {message for _, message, _, _ in
             extract_from_file("python", photos.__file__, keywords={"N_": None})}
    for code, message in photos.MESSAGES.items():
        assert message in found, code
        assert message.endswith(".") and "%(" not in message, code


@pytest.mark.parametrize(("env", "expected"), [
    ({}, PhotoLimits(5, 10_000_000)),
    ({"TIPSITE_PHOTO_MAX_COUNT": "0"}, PhotoLimits(0, 10_000_000)),
    ({"TIPSITE_PHOTO_MAX_COUNT": " 3 ", "TIPSITE_PHOTO_MAX_BYTES": "4000000"},
     PhotoLimits(3, 4_000_000)),
])
def test_photo_limits_are_read(env: dict[str, str], expected: PhotoLimits) -> None:
    assert load_photo_limits(env) == expected


def test_zero_photos_turns_photos_off() -> None:
    assert not load_photo_limits({"TIPSITE_PHOTO_MAX_COUNT": "0"}).enabled
    assert load_photo_limits({}).enabled
    assert load_photo_limits({}).max_request_bytes == 50_000_000


@pytest.mark.parametrize(("name", "value"), [
    ("TIPSITE_PHOTO_MAX_COUNT", "6"),
    ("TIPSITE_PHOTO_MAX_COUNT", "-1"),
    ("TIPSITE_PHOTO_MAX_COUNT", "five"),
    ("TIPSITE_PHOTO_MAX_COUNT", "²"),
    ("TIPSITE_PHOTO_MAX_BYTES", "10MB"),
    ("TIPSITE_PHOTO_MAX_BYTES", "99999"),
    ("TIPSITE_PHOTO_MAX_BYTES", "50000001"),
])
def test_bad_photo_limits_stop_the_site_saying_what_to_do(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as stopped:
        load_photo_limits({name: value})
    assert name in str(stopped.value) and "give" in str(stopped.value)
