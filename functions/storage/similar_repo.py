"""The similar-case index (§14): the band keys of each case's MinHash signature and the
place key of its point (functions/domain/similarity.py), one item per key, under the case's
district. Written with
the case in its submission's transaction (``items``); a lookup Queries its own keys
(``candidates``): what it reads grows with the cases that share a band with the report,
not with the table."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from functions.domain.similarity import WINDOW_DAYS
from functions.storage.codec import iso
from functions.storage.models import SimilarModel

PER_KEY = 30  # the newest items read under one key: duplicates come close together


def _key(district: str, band_key: str) -> str:
    return f"{district}|{band_key}"


def items(case_id: str, district: str, created_at: datetime, keys: list[str]) -> list[SimilarModel]:
    """The index items of a new case (to be written in its transaction)."""
    expires = created_at + timedelta(days=WINDOW_DAYS + 1)
    at_case = f"{iso(created_at)}#{case_id}"
    return [
        SimilarModel(_key(district, k), at_case, expires_at=expires) for k in dict.fromkeys(keys)
    ]


def candidates(district: str, keys: list[str], since: datetime) -> Counter[str]:
    """Case ids filed in ``district`` since ``since`` that share band keys with ``keys``,
    each with the number of keys it shares (newest ``PER_KEY`` per key)."""
    found: Counter[str] = Counter()
    lower = iso(since)
    for band_key in dict.fromkeys(keys):
        for item in SimilarModel.query(
            _key(district, band_key),
            SimilarModel.at_case >= lower,
            scan_index_forward=False,
            limit=PER_KEY,
            page_size=PER_KEY,
        ):
            found[item.at_case.rsplit("#", 1)[1]] += 1
    return found
