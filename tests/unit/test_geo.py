"""The pure rules of place (functions/domain/geo.py): a point inside a boundary (holes and
multi-part districts included), the district an address names, the order the district is
settled in, what the public sees of a point, and the demo city's synthetic boundaries."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from functions.domain import geo
from functions.domain.geo import Location

DISTRICTS = [("city", "市本级"), ("jiangcheng", "江城区"), ("binhe", "滨河区"), ("nanhu", "南湖县")]
SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
HOLE = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
ISLAND = [[20, 0], [22, 0], [22, 2], [20, 2]]  # not closed: GeoJSON says it should be; we cope


def _feature(code: str, geometry: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": {"code": code, "name": code}, "geometry": geometry}


BOUNDS = geo.boundaries(
    {
        "type": "FeatureCollection",
        "features": [
            _feature("jiangcheng", {"type": "Polygon", "coordinates": [SQUARE, HOLE]}),
            _feature("binhe", {"type": "MultiPolygon", "coordinates": [[HOLE], [ISLAND]]}),
        ],
    }
)


@pytest.mark.parametrize(
    ("lng", "lat", "district"),
    [
        (1, 1, "jiangcheng"),
        (5, 5, "binhe"),  # the hole of one is the other's
        (21, 1, "binhe"),  # the second part of a MultiPolygon
        (11, 5, None),
        (-0.001, 5, None),
    ],
)
def test_a_point_is_in_the_district_whose_rings_it_lies_inside(
    lng: float, lat: float, district: str | None
) -> None:
    assert geo.district_at(BOUNDS, lat, lng) == district


def test_a_collection_that_is_not_districts_is_refused_naming_the_feature() -> None:
    with pytest.raises(ValueError, match="FeatureCollection"):
        geo.boundaries({"type": "Feature"})
    line = _feature("x", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
    with pytest.raises(ValueError, match=r"feature 0 \(x\)"):
        geo.boundaries({"type": "FeatureCollection", "features": [line]})
    swapped = _feature("x", {"type": "Polygon", "coordinates": [[[31, 121], [31, 122], [32, 122]]]})
    with pytest.raises(ValueError, match=r"\[lng, lat\]"):
        geo.boundaries({"type": "FeatureCollection", "features": [swapped]})


def test_an_address_names_a_district_by_its_name_or_its_name_without_the_suffix() -> None:
    assert geo.district_in_text("江城区鼓楼街道翠湖小区3栋", DISTRICTS) == "jiangcheng"
    assert geo.district_in_text("江城鼓楼街道", DISTRICTS) == "jiangcheng"
    assert geo.district_in_text("南湖柳溪村", DISTRICTS) == "nanhu"
    assert geo.district_in_text("江城区滨河路88号", DISTRICTS) is None  # names two: unsure
    assert geo.district_in_text("人民路12号", DISTRICTS) is None
    assert geo.aliases("nanhu", "南湖县") == ("南湖县", "南湖")
    assert geo.aliases("x", "东区") == ("东区",)  # one character left names nothing


def test_the_district_follows_the_point_then_the_address_then_the_choice() -> None:
    at = Location("滨河区沿江大道", lat=1, lng=1)  # the point is in 江城区
    assert geo.place(at, None, DISTRICTS, BOUNDS) == geo.PlacedDistrict("jiangcheng", "point")
    contradicted = geo.place(at, "binhe", DISTRICTS, BOUNDS)
    assert contradicted == geo.PlacedDistrict("jiangcheng", "point", ("binhe", "jiangcheng"))
    outside = Location("滨河区沿江大道", lat=50, lng=50)
    assert geo.place(outside, None, DISTRICTS, BOUNDS).district == "binhe"
    assert geo.place(outside, "nanhu", DISTRICTS, BOUNDS).conflict == ("nanhu", "binhe")
    assert geo.place(None, "nanhu", DISTRICTS, BOUNDS) == geo.PlacedDistrict("nanhu", "citizen")
    assert geo.place(Location("人民路"), None, DISTRICTS, []) == geo.PlacedDistrict(None, None)


def test_the_public_point_is_rounded_to_about_ten_metres() -> None:
    point = geo.public_point(30.0527314, 113.9518467)
    assert point == (30.0527, 113.9518)
    assert geo.distance_m((30.0527314, 113.9518467), point) < 12
    assert geo.public_point(None, 113.9) is None
    assert geo.distance_m((30.0, 114.0), (31.0, 114.0)) == pytest.approx(111_195, rel=1e-3)


DEMO = Path(__file__).resolve().parents[2] / "infra" / "demo"


def test_the_demo_boundaries_tile_the_city_without_overlaps_and_hold_its_cases() -> None:
    bounds = geo.boundaries(json.loads((DEMO / "districts.geojson").read_text()))
    city = json.loads((DEMO / "city.json").read_text())
    assert {b.code for b in bounds} == {d["code"] for d in city["districts"]} - {"city"}
    assert {b.name for b in bounds} == {d["label"] for d in city["districts"]} - {"市本级"}
    draw = random.Random(0)
    for _ in range(3000):  # inside the inner ring of the city, every point has one district
        lng, lat = draw.uniform(113.65, 114.35), draw.uniform(29.75, 30.25)
        assert sum(b.contains(lng, lat) for b in bounds) == 1, (lng, lat)
    cases = json.loads((DEMO / "cases.json").read_text())["cases"]
    for spec in cases:
        given = spec.get("location", {})
        if "lat" in given:  # a point the demo gives lies in a district (c64: not the chosen one)
            assert geo.district_at(bounds, given["lat"], given["lng"]) is not None


# -- the city's own tiles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tiles.city.example/{z}/{x}/{y}.png", "https://tiles.city.example"),
        ("https://gis.city.example:8443/wmts?z={z}&x={x}&y={y}", "https://gis.city.example:8443"),
        ("http://127.0.0.1:9001/t/{z}/{x}/{y}.png", "http://127.0.0.1:9001"),  # the local stack
        ("http://tiles.city.example/{z}/{x}/{y}.png", None),  # not HTTPS
        ("https://t{s}.city.example/{z}/{x}/{y}.png", None),  # many origins
        ("https://tiles.city.example/{z}/{x}.png", None),  # no {y}
        ("https://user@tiles.city.example/{z}/{x}/{y}.png", None),
        ("javascript:alert(1)//{z}{x}{y}", None),
        ("", None),
    ],
)
def test_the_tile_servers_origin_is_what_the_csp_names(template: str, origin: str | None) -> None:
    assert geo.tile_origin(template) == origin
    assert (geo.tile_layer(template, "", 18) is None) == (origin is None)


def test_the_tile_layer_is_written_into_the_stored_collection_as_a_foreign_member() -> None:
    stored = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature"}]})
    layer = geo.tile_layer(
        "https://tiles.city.example/{z}/{x}/{y}.png", "审图号：某S(2026)001号", 30
    )
    assert layer is not None and layer["max_zoom"] == 22
    answer = json.loads(geo.with_member(stored, "tiles", layer))
    assert answer == {**json.loads(stored), "tiles": layer}
    empty = json.loads(geo.with_member("{}", "tiles", layer))
    assert empty == {"tiles": layer}
