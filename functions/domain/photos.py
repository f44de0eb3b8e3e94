"""Photos (§13): what an upload slot may claim, where its processed versions live, and what
each audience of a case sees of its photos. Pure: the bytes are handled by
``functions.services.photos`` and stored by ``functions.storage.media_store``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_PER_CASE = 6  # photos a submission (or a reply) may carry
# All a case may hold, the citizen's and every reply's (a reopened case is replied again): the
# photo references live on the case item, which DynamoDB caps at 400 KB.
MAX_ON_CASE = 24
MAX_BYTES = 10 * 1024 * 1024
SLOT_SECONDS = 15 * 60  # a presigned POST lives a quarter of an hour
ORPHAN_DAYS = 1  # an upload never attached is deleted (S3 lifecycle rule, slot TTL)
DISPLAY_PX = 1600  # the longer side of the display version, at most
THUMB_PX = 400  # … of the thumbnail
# What a browser may claim to post. Nothing is trusted: processing decodes the bytes and
# refuses anything Pillow does not read as one of these formats, whatever the claim.
# HEIC is what an iPhone's camera writes (decoded by pillow-heif, registered in processing only).
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})

UPLOAD_PREFIX = "uploads/"
PROCESSED_PREFIX = "processed/"
MEDIA_PATH = "/media/"  # processed/<id>/… is served as /media/<id>/…


class PhotoState(StrEnum):
    PENDING = "pending"  # posted (or about to be), not processed yet: never served
    PROCESSED = "processed"
    REJECTED = "rejected"  # not an image: never served, never attachable


@dataclass
class Photo:
    """A photo on a case: the citizen's (``reply`` None) or a reply's (its index in
    ``case.replies``). The processed files are found from ``upload_id``."""

    upload_id: str
    state: PhotoState = PhotoState.PENDING
    reply: int | None = None
    hidden: bool = False  # the coordinator hid it from the public (faces, licence plates)
    hidden_note: str | None = None


def upload_key(upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{upload_id}"


def display_key(upload_id: str) -> str:
    return f"{PROCESSED_PREFIX}{upload_id}/display.jpg"


def thumb_key(upload_id: str) -> str:
    return f"{PROCESSED_PREFIX}{upload_id}/thumb.jpg"


def upload_id_of(key: str) -> str | None:
    """The slot an object key under ``uploads/`` belongs to; None for any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    rest = key[len(UPLOAD_PREFIX) :]
    return rest if rest and "/" not in rest else None


def media_url(key: str, base: str = MEDIA_PATH) -> str:
    """The same-origin URL of a processed object (``processed/x/y`` → ``/media/x/y``), under
    ``base``: where the deployment's CDN serves ``processed/`` (``/media/`` by a CloudFront
    function; China's CloudFront has none, and serves the keys as they are, ``/processed/``)."""
    assert key.startswith(PROCESSED_PREFIX)
    return base + key[len(PROCESSED_PREFIX) :]


def fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size of a ``width``×``height`` picture scaled (down only) so that its longer side
    is at most ``longest``."""
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def publicly_shown(photo: Photo) -> bool:
    """A photo the public may see (the case itself being public is the caller's check)."""
    return photo.state == PhotoState.PROCESSED and not photo.hidden
