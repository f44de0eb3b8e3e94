"""Photos (§13): upload slots for browsers, processing an upload into the versions that are
served, and attaching slots to a case. The bytes never pass through the API function: the
browser posts them to S3 with a presigned POST, and the S3-event function
(``functions/jobs/uploads.py``) runs ``process``. Pillow is imported only there."""

from __future__ import annotations

import functools
import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.domain import photos as rules
from functions.domain.errors import invalid_field
from functions.domain.photos import Photo, PhotoState
from functions.settings import settings
from functions.storage import media_store, uploads_repo
from functions.storage.codec import iso

log = logging.getLogger("wenzheng.photos")

JPEG_QUALITY = 82
MAX_PIXELS = 50_000_000  # larger claims are refused before decoding (decompression bombs)


def slots(files: list[dict[str, Any]], client: str, now: datetime) -> dict[str, Any]:
    """One presigned POST per file, each its own slot (counted against ``upload_ip``)."""
    from functions.services import rate_limits

    for _ in files:
        rate_limits.hit("upload_ip", client, now, route="/api/uploads")
    items = [
        uploads_repo.new_item(secrets.token_hex(16), f["content_type"], int(f["size"]), now)
        for f in files
    ]
    uploads_repo.create(items)
    expires_at = iso(now + timedelta(seconds=rules.SLOT_SECONDS))
    answers = []
    for item in items:
        post = media_store.presigned_post(
            item.key, item.content_type, int(item.size), rules.SLOT_SECONDS
        )
        answers.append(
            {
                "upload_id": item.upload_id,
                "url": settings().uploads_post_url or post["url"],
                "fields": post["fields"],
                "expires_at": expires_at,
            }
        )
    return {"uploads": answers}


# -- attaching ---------------------------------------------------------------------------------


def _photos_error(message: str, message_en: str) -> Exception:
    return invalid_field("photos", message, message_en)


def attachable(upload_ids: list[str]) -> list[uploads_repo.Slot]:
    """The slots ``upload_ids`` name, each existing, not attached and not rejected, in the
    order given; else 400 naming ``photos``."""
    if len(set(upload_ids)) != len(upload_ids):
        raise _photos_error("同一张照片不能重复添加", "a photo is listed twice")
    found = uploads_repo.get_many(upload_ids)
    for upload_id in upload_ids:
        slot = found.get(upload_id)
        if slot is None or slot.case_id is not None:
            raise _photos_error(
                "照片不存在或已被使用，请重新上传", f"unknown or used upload {upload_id[:40]}"
            )
        if slot.state == PhotoState.REJECTED:
            raise _photos_error(
                "有文件不是可识别的图片，请删除后重试", f"upload {upload_id} is not an image"
            )
    return [found[u] for u in upload_ids]


def as_photos(slots_: list[uploads_repo.Slot], reply: int | None = None) -> list[Photo]:
    return [Photo(s.upload_id, s.state, reply=reply) for s in slots_]


# -- processing --------------------------------------------------------------------------------


class NotAnImage(Exception):
    """The bytes do not decode as a JPEG, PNG, WebP or HEIF picture."""


@dataclass(frozen=True)
class Rendered:
    display: bytes
    thumb: bytes
    size: tuple[int, int]  # of the display version


ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientation → the transposition that turns the stored pixels upright (as
# ImageOps.exif_transpose does it, applied here to the already reduced picture).
UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
           6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


def render(data: bytes) -> Rendered:
    """Decode ``data`` whatever it claims to be, turn it upright by its EXIF orientation, and
    encode a display version (≤ DISPLAY_PX) and a thumbnail (≤ THUMB_PX) as baseline JPEGs
    carrying no metadata at all (no EXIF, GPS, XMP, ICC profile or comment).

    The picture is reduced before anything else is done to it: a JPEG decodes at the smallest
    DCT scale (1/2, 1/4, 1/8) that still covers the display size, and orientation and
    flattening work on the display-sized copy, never on the camera's full frame."""
    from PIL import Image  # the processing function's only: never on a request path

    _open_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format not in rules.FORMATS:
                    raise NotAnImage(f"format {opened.format}")
                orientation = opened.getexif().get(ORIENTATION)
                width, height = opened.size
                opened.draft("RGB", rules.fit(width, height, rules.DISPLAY_PX))
                opened.thumbnail((rules.DISPLAY_PX, rules.DISPLAY_PX), Image.Resampling.LANCZOS)
                picture = _flattened(opened)
    except NotAnImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise NotAnImage(type(error).__name__) from error
    if orientation in UPRIGHT:
        picture = picture.transpose(Image.Transpose[UPRIGHT[orientation]])
    thumb = picture.copy()
    thumb.thumbnail((rules.THUMB_PX, rules.THUMB_PX), Image.Resampling.LANCZOS)
    return Rendered(_jpeg(picture), _jpeg(thumb), picture.size)


@functools.cache
def _open_heif() -> None:
    """Let ``Image.open`` read HEIC/HEIF (pillow-heif, which applies the file's orientation
    itself as it decodes and leaves the orientation tag at 1, so nothing turns twice)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _flattened(picture: Any) -> Any:
    """A new RGB image of the pixels only (transparency over white): nothing of the file's
    ``info`` (EXIF, XMP, ICC, comments) comes along."""
    from PIL import Image

    if picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    ):
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    converted = picture if picture.mode == "RGB" else picture.convert("RGB")
    clean = Image.new("RGB", converted.size)
    clean.paste(converted)
    return clean


def _jpeg(picture: Any) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def process(key: str, now: datetime) -> str:
    """Process the upload at ``key`` (an S3 event's object): its slot becomes ``processed``
    with its versions written, or ``rejected``; the case it is attached to (if any) records
    the result. Answers what happened, for the log. Safe to run twice for one object."""
    upload_id = rules.upload_id_of(key)
    if upload_id is None:
        return "ignored"
    slot = uploads_repo.get(upload_id)
    if slot is None:
        return "no_slot"  # not ours to keep: the lifecycle rule removes it
    if slot.state == PhotoState.PENDING:
        data = media_store.get(key)
        if data is None:
            return "missing"
        try:
            rendered = render(data)
        except NotAnImage as error:
            log.warning("upload_rejected", extra={"upload_id": upload_id, "error": str(error)})
            slot = uploads_repo.mark(upload_id, PhotoState.REJECTED, now, reason=str(error))
        else:
            display, thumb = rules.display_key(upload_id), rules.thumb_key(upload_id)
            media_store.put(display, rendered.display, "image/jpeg")
            media_store.put(thumb, rendered.thumb, "image/jpeg")
            slot = uploads_repo.mark(
                upload_id,
                PhotoState.PROCESSED,
                now,
                display_key=display,
                thumb_key=thumb,
                size=rendered.size,
            )
        # The original (with its EXIF GPS, often the citizen's home) is not kept once its
        # result is recorded; the lifecycle rule removes any an interrupted run leaves.
        media_store.delete(key)
    if slot is not None and slot.case_id is not None:
        uploads_repo.record_on_case(slot.case_id, upload_id, slot.state)
    return slot.state.value if slot is not None else "no_slot"
