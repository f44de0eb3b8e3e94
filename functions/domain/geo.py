"""Where a case is (§13): its place as the citizen gave it, the district that place lies in,
and what of it the public sees.

A place is an address (text) and/or a point in WGS-84, the datum GPS and Open311 speak. The
district follows from the point inside the districts' boundaries, else from a district's
name in the address text, else the citizen's choice; a choice the point contradicts is kept
as a conflict for the coordinator to settle at 受理.

Boundaries are GeoJSON (RFC 7946) polygons in [longitude, latitude]; at a city's scale the
earth is flat enough that a point is inside a polygon when a ray from it crosses the rings
an odd number of times (a hole's ring counts like any other). Pure: no storage, no clock."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Ring = tuple[tuple[float, float], ...]  # closed or not; (lng, lat) pairs
Polygon = tuple[Ring, ...]  # the outer ring, then its holes

PUBLIC_DECIMALS = 4  # 0.0001° of latitude is 11 m: the point the public sees
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Location:
    """The citizen's place: ``address`` (≤ 100 characters) and/or a point."""

    address: str | None = None
    lat: float | None = None
    lng: float | None = None

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lng is not None

    @property
    def empty(self) -> bool:
        return not self.address and not self.has_point


@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    polygons: tuple[Polygon, ...]

    def contains(self, lng: float, lat: float) -> bool:
        return any(_in_polygon(polygon, lng, lat) for polygon in self.polygons)


@dataclass(frozen=True)
class PlacedDistrict:
    """The district a case is filed under, how it was found (``point`` | ``address`` |
    ``citizen``), and, when the citizen chose another than the place lies in, the two: the
    coordinator decides at 受理."""

    district: str | None
    source: str | None
    conflict: tuple[str, str] | None = None  # (the citizen's choice, the place's district)


def _crossings(ring: Ring, lng: float, lat: float) -> int:
    n, inside = len(ring), 0
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % n]
        if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside ^= 1
    return inside


def _in_polygon(polygon: Polygon, lng: float, lat: float) -> bool:
    return sum(_crossings(ring, lng, lat) for ring in polygon) % 2 == 1


def _ring(points: Any) -> Ring:
    ring = tuple((float(p[0]), float(p[1])) for p in points)
    if len(ring) < 3:
        raise ValueError("a ring needs at least three positions")
    return ring


def boundaries(collection: Mapping[str, Any]) -> list[Boundary]:
    """The districts of a GeoJSON FeatureCollection whose features carry ``properties.code``
    and ``properties.name`` and a Polygon or MultiPolygon geometry. ``ValueError`` names
    what is wrong with the first feature that is not one."""
    if collection.get("type") != "FeatureCollection":
        raise ValueError("not a GeoJSON FeatureCollection")
    found: list[Boundary] = []
    for n, feature in enumerate(collection.get("features") or []):
        props, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        code, name = props.get("code"), props.get("name")
        if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
            raise ValueError(f"feature {n}: properties need a code and a name")
        kind, coordinates = geometry.get("type"), geometry.get("coordinates") or ()
        try:
            if kind == "Polygon":
                polygons: tuple[Polygon, ...] = (tuple(_ring(r) for r in coordinates),)
            elif kind == "MultiPolygon":
                polygons = tuple(tuple(_ring(r) for r in p) for p in coordinates)
            else:
                raise ValueError("geometry must be a Polygon or MultiPolygon")
            if not polygons or not all(polygons):
                raise ValueError("a polygon needs an outer ring")
        except (TypeError, IndexError, ValueError) as bad:
            raise ValueError(f"feature {n} ({code}): {bad}") from None
        for polygon in polygons:
            for lng, lat in (p for ring in polygon for p in ring):
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"feature {n} ({code}): a position is not [lng, lat]")
        found.append(Boundary(code, name, polygons))
    return found


def district_at(districts: Iterable[Boundary], lat: float, lng: float) -> str | None:
    """The district whose boundary holds the point; None outside every one."""
    return next((d.code for d in districts if d.contains(lng, lat)), None)


_SUFFIXES = ("自治县", "新区", "区", "县", "市", "旗")


def aliases(code: str, label: str) -> tuple[str, ...]:
    """The names a district goes by in an address: its label, and the label without its
    administrative suffix when two characters or more are left (江城区 → 江城)."""
    names = [label]
    for suffix in _SUFFIXES:
        if label.endswith(suffix) and len(label) - len(suffix) >= 2:
            names.append(label[: -len(suffix)])
            break
    return tuple(names)


def district_in_text(text: str, districts: Sequence[tuple[str, str]]) -> str | None:
    """The one district an address names (by label or alias); None when it names none, or
    names two (then the text does not say which)."""
    if not text:
        return None
    named = {
        code
        for code, label in districts
        if code != "city" and any(a in text for a in aliases(code, label))
    }
    return named.pop() if len(named) == 1 else None


def place(
    location: Location | None,
    chosen: str | None,
    districts: Sequence[tuple[str, str]],
    bounds: Iterable[Boundary],
) -> PlacedDistrict:
    """The district a case goes under: the point's, else the one the address names, else the
    citizen's choice. A choice the place contradicts is kept as a conflict (the place's
    district is filed; the coordinator decides at 受理)."""
    if location is not None and location.lat is not None and location.lng is not None:
        located = district_at(bounds, location.lat, location.lng)
        if located is not None:
            return PlacedDistrict(located, "point", _conflict(chosen, located))
    named = district_in_text(location.address or "", districts) if location else None
    if named is not None:
        return PlacedDistrict(named, "address", _conflict(chosen, named))
    if chosen:
        return PlacedDistrict(chosen, "citizen")
    return PlacedDistrict(None, None)


def _conflict(chosen: str | None, found: str) -> tuple[str, str] | None:
    return (chosen, found) if chosen and chosen != found else None


def public_point(lat: float | None, lng: float | None) -> tuple[float, float] | None:
    """The point as the public sees it: rounded to ~10 m."""
    if lat is None or lng is None:
        return None
    return round(lat, PUBLIC_DECIMALS), round(lng, PUBLIC_DECIMALS)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lng) points (haversine)."""
    (lat1, lng1), (lat2, lng2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


# -- the city's own tiles under the map (off unless the deployment names a tile server) ------

TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def tile_origin(template: str) -> str | None:
    """The origin a tile URL template loads from (``https://tiles.example.gov.cn``), which the
    CSP's ``img-src`` must name; None when the template is unusable, and the layer stays off:
    no ``{z}``/``{x}``/``{y}``, a placeholder in the host (one origin, one CSP entry), or not
    HTTPS (plain HTTP only on this machine's loopback, for the local stack)."""
    if not template or not all(p in template for p in TILE_PLACEHOLDERS):
        return None
    try:
        parts = urlsplit(template)
        host = parts.hostname
    except ValueError:
        return None
    if not host or "{" in parts.netloc or "@" in parts.netloc:
        return None
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def tile_layer(template: str, attribution: str, max_zoom: int) -> dict[str, Any] | None:
    """What the map needs to draw the tiles (``url``, ``attribution``, ``max_zoom``), or None
    when the deployment has no usable tile server."""
    if tile_origin(template) is None:
        return None
    return {"url": template, "attribution": attribution, "max_zoom": max(0, min(22, max_zoom))}


def with_member(collection_text: str, name: str, value: Any) -> str:
    """A GeoJSON object's text with one more top-level member (RFC 7946 §6.1, a foreign
    member), written before the others so the stored text is not parsed again."""
    head = collection_text.lstrip()
    assert head.startswith("{"), "a GeoJSON object"
    rest = head[1:].lstrip()
    member = f"{json.dumps(name)}:{json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
    return "{" + member + ("," + rest if not rest.startswith("}") else rest)
