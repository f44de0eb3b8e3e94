"""Processing an upload (§13): whatever a file claims, only a picture that decodes comes out,
upright, within the display and thumbnail sizes, and with no metadata at all."""

from __future__ import annotations

import io

import pytest

from functions.domain import photos as rules
from functions.services.photos import NotAnImage, render
from tests.photo_files import GPS_IFD, camera_heic, camera_jpeg, has_metadata, picture


def opened(data: bytes) -> object:
    from PIL import Image

    return Image.open(io.BytesIO(data))


def test_camera_jpeg_with_gps_and_orientation_6_comes_out_upright_without_any_exif() -> None:
    source = camera_jpeg(400, 300, orientation=6)
    from PIL import Image

    with Image.open(io.BytesIO(source)) as original:  # the test file carries what it should
        assert original.getexif()[0x0112] == 6 and original.getexif().get_ifd(GPS_IFD)

    rendered = render(source)

    for data in (rendered.display, rendered.thumb):
        assert not has_metadata(data)
        assert b"TestPhone" not in data
    with Image.open(io.BytesIO(rendered.display)) as display:
        assert display.format == "JPEG"
        assert display.size == (300, 400)  # turned a quarter: portrait
        # The stored top-left marker is at the top-right once turned clockwise.
        red, green, _ = display.getpixel((display.width - 10, 10))
        assert green > 150 and red < 80
        red, green, _ = display.getpixel((10, display.height - 10))
        assert red > 150 and green < 80


def test_iphone_heic_with_gps_comes_out_as_an_upright_jpeg_without_any_exif() -> None:
    source = camera_heic(400, 300, orientation=6)
    from PIL import Image

    assert source[4:12] == b"ftypheic"  # an HEIC file, as an iPhone's camera writes it
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(GPS_IFD) and original.getexif()[0x010F] == "TestPhone"

    rendered = render(source)

    for data in (rendered.display, rendered.thumb):
        assert not has_metadata(data)
        assert b"TestPhone" not in data
    with Image.open(io.BytesIO(rendered.display)) as display:
        assert display.format == "JPEG"
        assert display.size == (300, 400)  # turned once (by the file's own transform), not twice
        red, green, _ = display.getpixel((display.width - 10, 10))
        assert green > 150 and red < 80


def test_text_file_named_jpg_is_rejected() -> None:
    with pytest.raises(NotAnImage):
        render("这不是图片，只是改了扩展名的文本文件。\n".encode() * 50)


def test_truncated_jpeg_is_rejected() -> None:
    with pytest.raises(NotAnImage):
        render(camera_jpeg()[:600])


def test_format_outside_jpeg_png_webp_is_rejected_even_when_pillow_reads_it() -> None:
    with pytest.raises(NotAnImage):
        render(picture(50, 50, "GIF"))


@pytest.mark.parametrize(
    ("size", "fmt"), [((4000, 3000), "JPEG"), ((1200, 2500), "PNG"), ((2000, 2000), "WEBP")]
)
def test_versions_fit_1600_and_400_pixels(size: tuple[int, int], fmt: str) -> None:
    rendered = render(picture(*size, fmt))
    from PIL import Image

    with Image.open(io.BytesIO(rendered.display)) as display:
        assert max(display.size) == min(rules.DISPLAY_PX, max(size))
        assert rendered.size == display.size
    with Image.open(io.BytesIO(rendered.thumb)) as thumb:
        assert max(thumb.size) == rules.THUMB_PX
        assert thumb.format == "JPEG" and not has_metadata(rendered.thumb)


def test_small_picture_is_not_enlarged() -> None:
    rendered = render(picture(120, 90, "PNG"))
    assert rendered.size == (120, 90)


def test_picture_claiming_more_pixels_than_allowed_is_rejected_before_decoding() -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 MP, a few kB
    with pytest.raises(NotAnImage):
        render(out.getvalue())


def test_upload_keys_map_to_slots_and_media_urls() -> None:
    assert rules.upload_id_of("uploads/abc") == "abc"
    assert rules.upload_id_of("processed/abc/display.jpg") is None
    assert rules.upload_id_of("uploads/a/b") is None
    assert rules.media_url(rules.thumb_key("abc")) == "/media/abc/thumb.jpg"
    assert rules.fit(4000, 3000, 1600) == (1600, 1200)
