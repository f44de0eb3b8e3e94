"""The districts' boundaries (§13): one settings document holding the GeoJSON
FeatureCollection as its compact JSON text (one string attribute, not thousands of nested
numbers). Submissions read it to place a point, pages to draw the map; kept for a minute per
process like the other settings, and forgotten at once by the process that writes it."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from functions.domain import geo
from functions.domain.geo import Boundary
from functions.storage import directory
from functions.storage.codec import iso
from functions.storage.models import SettingModel

log = logging.getLogger("wenzheng.settings")

DOCUMENT = "district-boundaries"
_TTL_SECONDS = 60
EMPTY = '{"type":"FeatureCollection","features":[]}'


def _load() -> tuple[list[Boundary], str]:
    try:
        value = SettingModel.get(DOCUMENT).value.as_dict()  # type: ignore[no-untyped-call]
    except SettingModel.DoesNotExist:
        return [], EMPTY
    text = value.get("geojson") or EMPTY
    try:
        return geo.boundaries(json.loads(text)), text
    except ValueError as bad:  # written checked; a hand-edited item falls back to none
        log.warning("setting_invalid", extra={"document": DOCUMENT, "error": str(bad)})
        return [], EMPTY


def current() -> tuple[list[Boundary], str]:
    """The districts' boundaries (parsed) and the FeatureCollection's JSON text (an empty
    collection where the deployment has none)."""
    return directory.cached(DOCUMENT, _load, ttl=_TTL_SECONDS)


def put(collection: dict[str, Any], *, by: str, now: datetime) -> dict[str, Any]:
    """Replace the boundaries with a checked FeatureCollection; answers the write record."""
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    record = {"geojson": text, "updated_by": by, "updated_at": iso(now)}
    SettingModel(DOCUMENT, value=record).save()
    directory.forget(DOCUMENT)
    return {"updated_by": by, "updated_at": record["updated_at"]}
