"""The similar-case index (§14): the band keys of each case's MinHash signature and the
place key of its point (functions/domain/similarity.py), one item per key, under the case's
district. Written with
the case in its submission's transaction (``items``); a lookup Queries its own keys
(``candidates``): what it reads grows with the cases that share a band with the report,
not with the table."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.domain.similarity import WINDOW_DAYS, Sketch
from functions.storage.codec import iso
from functions.storage.models import SimilarModel

PER_KEY = 40  # the newest items read under one key: duplicates come close together


def _key(district: str, band_key: str) -> str:
    return f"{district}|{band_key}"


def items(
    case_id: str, district: str, created_at: datetime, keys: list[str], sketch: Sketch
) -> list[SimilarModel]:
    """The index items of a new case (to be written in its transaction)."""
    expires = created_at + timedelta(days=WINDOW_DAYS + 1)
    at_case = f"{iso(created_at)}#{case_id}"
    lat, lng = sketch.point if sketch.point is not None else (None, None)
    return [
        SimilarModel(
            _key(district, k), at_case, chars=sketch.text, lat=lat, lng=lng, expires_at=expires
        )
        for k in dict.fromkeys(keys)
    ]


def candidates(district: str, keys: list[str], since: datetime) -> dict[str, Sketch]:
    """The cases filed in ``district`` since ``since`` that share a key with ``keys`` (the
    newest ``PER_KEY`` under each), with what the index keeps of each."""
    found: dict[str, Sketch] = {}
    lower = iso(since)
    for key in dict.fromkeys(keys):
        for item in SimilarModel.query(
            _key(district, key),
            SimilarModel.at_case >= lower,
            scan_index_forward=False,
            limit=PER_KEY,
            page_size=PER_KEY,
        ):
            case_id = item.at_case.rsplit("#", 1)[1]
            if case_id not in found:
                point = (
                    (item.lat, item.lng) if item.lat is not None and item.lng is not None else None
                )
                found[case_id] = Sketch(frozenset(item.chars), point)
    return found
