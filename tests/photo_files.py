"""Pictures made in the tests with Pillow (no binary file is committed): a camera's JPEG with
GPS and an orientation tag, the same as an iPhone's HEIC, a 12-megapixel one with a photo's
detail (and a photo's weight), and plain ones of any size and format."""

from __future__ import annotations

import io
from typing import Any

# EXIF tags (ExifTags.Base): Orientation, GPSInfo, Make, the GPS sub-IFD's latitude.
ORIENTATION = 0x0112
GPS_IFD = 0x8825
MAKE = 0x010F
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def camera_jpeg(width: int = 400, height: int = 300, orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: landscape pixels, an Orientation tag (6: turn 90°
    clockwise to view), the maker and a GPS position (the citizen's home)."""
    return _camera(width, height, orientation, "JPEG")


def camera_heic(width: int = 400, height: int = 300, orientation: int = 6) -> bytes:
    """The same picture as an iPhone writes it: HEIC (HEVC in HEIF), with its EXIF."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _camera(width, height, orientation, "HEIF")


def camera_photo(width: int = 4000, height: int = 3000, orientation: int = 6) -> bytes:
    """A 12-megapixel phone photo as the camera writes it (quality 95, ~4.3 MB): detail at
    every scale, from a sky's gradient to grain, so that it weighs what a photo weighs before
    and after shrinking (~415 KB at 1600 px, quality 85); the EXIF and marker of
    ``camera_jpeg``."""
    from PIL import Image

    def noise(scale: int, sigma: float) -> Image.Image:
        small = Image.effect_noise((max(1, width // scale), max(1, height // scale)), sigma)
        return small.resize((width, height), Image.Resampling.BICUBIC) if scale > 1 else small

    base = Image.linear_gradient("L").resize((width, height))
    for scale, sigma, weight in ((200, 60, 0.5), (25, 50, 0.4), (4, 40, 0.35), (1, 12, 0.3)):
        base = Image.blend(base, noise(scale, sigma), weight)
    green = Image.blend(base, noise(50, 60), 0.4)
    blue = Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise(8, 50), 0.3)
    picture = Image.merge("RGB", (base, green, blue))
    return _camera(width, height, orientation, "JPEG", picture, quality=95)


def _camera(
    width: int,
    height: int,
    orientation: int,
    fmt: str,
    picture: Any = None,
    quality: int = 90,
) -> bytes:
    from PIL import Image

    picture = picture or Image.new("RGB", (width, height), (200, 30, 30))
    # A marker in the top-left corner of the stored pixels, to see where it ends up.
    picture.paste((10, 200, 10), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "TestPhone"
    exif.get_ifd(GPS_IFD).update(
        {
            GPS_LATITUDE_REF: "N",
            GPS_LATITUDE: (30.0, 35.0, 12.5),
            GPS_LONGITUDE_REF: "E",
            GPS_LONGITUDE: (114.0, 18.0, 3.2),
        }
    )
    out = io.BytesIO()
    picture.save(out, format=fmt, exif=exif.tobytes(), quality=quality)
    return out.getvalue()


def picture(width: int, height: int, fmt: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, (width, height), (20, 90, 160, 255)[: len(mode)]).save(out, format=fmt)
    return out.getvalue()


def has_metadata(data: bytes) -> bool:
    """Whether a file carries any EXIF (JPEG APP1 ``Exif``), XMP, ICC profile or comment."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        found = bool(opened.getexif()) or any(
            k in opened.info for k in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp")
        )
    return found or b"Exif\x00\x00" in data or b"http://ns.adobe.com/xap" in data
