"""Where a case is (§13) through the API: the district worked out from the point, else the
address, else the citizen's choice; a choice the place contradicts settled by the coordinator
at 受理; places required where the admin says a category needs one; what the public sees of
an address and a point; the districts' boundaries served as GeoJSON and replaced by admins."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.api.helpers import Api, submission
from tests.conftest import TEST_CITY

# 东区 is the square 121.40–121.50 E × 31.20–31.30 N, with a hole (a lake) in its middle.
EAST = {
    "type": "Feature",
    "properties": {"code": "east"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[121.40, 31.20], [121.50, 31.20], [121.50, 31.30], [121.40, 31.30], [121.40, 31.20]],
            [[121.44, 31.24], [121.46, 31.24], [121.46, 31.26], [121.44, 31.26], [121.44, 31.24]],
        ],
    },
}
IN_EAST = {"lat": 31.2123456, "lng": 121.4187654}
IN_THE_LAKE = {"lat": 31.25, "lng": 121.45}
FAR_AWAY = {"lat": 39.9, "lng": 116.4}


def _boundaries(api: Api, *features: dict[str, Any]) -> Any:
    body = {"type": "FeatureCollection", "features": list(features)}
    return api.call("PUT", "/api/admin/geo/districts", body, api.as_role("admin"))


@pytest.fixture
def placed(api: Api) -> Api:
    """The test city with 东区's boundary, and 城乡建设 marked as needing a place."""
    from infra import bootstrap

    city = copy.deepcopy(TEST_CITY)
    city["categories"][0]["needs_place"] = True  # urban
    bootstrap.load_city(city)
    api.ok(_boundaries(api, EAST))
    return api


def test_a_point_inside_a_district_files_the_case_there_without_a_district(placed: Api) -> None:
    body = submission(location=IN_EAST)
    del body["district"]
    created = placed.ok(placed.post("/api/cases", body), 201)
    assert (created["district"], created["district_label"]) == ("east", "东区")
    case = placed.staff_case(created["case_id"])
    assert (case["district"], case["district_source"]) == ("east", "point")
    assert case["location"] == {"address": None, **IN_EAST}  # staff read it as given


def test_a_point_in_a_hole_or_outside_every_district_places_nothing(placed: Api) -> None:
    for point in (IN_THE_LAKE, FAR_AWAY):
        body = submission(location=point)
        del body["district"]
        refused = placed.post("/api/cases", body)
        assert refused.status == 400, refused.body
        assert set(refused.fields) == {"district"}
    # With the citizen's choice it goes where they chose.
    created = placed.submit(location=FAR_AWAY, district="city")
    assert created["district"] == "city"
    assert placed.staff_case(created["case_id"])["district_source"] == "citizen"


def test_an_address_that_names_a_district_files_it_there(placed: Api) -> None:
    body = submission(location={"address": "东区人民路12号翠湖小区3栋"})
    del body["district"]
    created = placed.ok(placed.post("/api/cases", body), 201)
    assert created["district"] == "east"
    assert placed.staff_case(created["case_id"])["district_source"] == "address"


def test_without_a_place_or_a_choice_the_district_is_asked_for(placed: Api) -> None:
    body = submission(kind="consultation", location={"address": "人民路12号"})
    del body["district"]
    refused = placed.post("/api/cases", body)
    assert refused.status == 400
    assert refused.fields["district"]["message"].startswith("请选择所属区县")


def test_a_choice_the_point_contradicts_is_settled_by_the_coordinator(placed: Api) -> None:
    created = placed.submit(district="city", location=IN_EAST)
    case_id = created["case_id"]
    assert created["district"] == "east"  # the point's district is filed
    queued = next(c for c in placed.queue()["items"] if c["case_id"] == case_id)
    assert queued["district_claimed"] == {"code": "city", "label": "市本级"}

    refused = placed.act(case_id, "accept", {"urgency": "general", "public": True})
    assert refused.status == 400 and set(refused.fields) == {"district"}
    assert placed.staff_case(case_id)["state"] == "submitted"  # nothing half-written

    accepted = placed.ok(
        placed.act(case_id, "accept", {"urgency": "general", "public": True, "district": "city"})
    )
    assert (accepted["district"], accepted["district_claimed"]) == ("city", None)
    assert accepted["district_source"] == "coordinator"
    event = next(e for e in accepted["events"] if e["type"] == "accepted")
    assert event["data"]["district"] == "city" and event["data"]["district_before"] == "east"


def test_a_category_that_needs_a_place_refuses_a_complaint_without_one(placed: Api) -> None:
    refused = placed.post("/api/cases", submission(kind="complaint", category="urban"))
    assert refused.status == 400 and set(refused.fields) == {"location"}
    assert "地址" in refused.fields["location"]["message"]
    # An address is enough; a consultation, or another category, needs none.
    placed.submit(kind="complaint", category="urban", location={"address": "人民路12号"})
    placed.submit(kind="consultation", category="urban")
    placed.submit(kind="complaint", category="transport")
    categories = placed.ok(placed.get("/api/taxonomy"))["categories"]
    assert [c["needs_place"] for c in categories] == [True, False]


def test_the_admin_marks_which_categories_need_a_place(placed: Api) -> None:
    path = "/api/admin/place-categories"
    shown = placed.ok(placed.call("GET", path, None, placed.as_role("coordinator")))
    assert [(c["code"], c["needs_place"]) for c in shown["categories"]] == [
        ("urban", True),
        ("transport", False),
    ]
    assert shown["updated_by"] is None  # as the city was set up
    body = {"categories": ["transport"]}
    assert placed.call("PUT", path, body, placed.as_role("coordinator")).status == 403
    assert placed.call("PUT", path, body, None).status == 401
    refused = placed.call(
        "PUT", path, {"categories": ["transport", "parks"]}, placed.as_role("admin")
    )
    assert refused.status == 400 and set(refused.fields) == {"categories[1]"}
    assert placed.ok(placed.get("/api/taxonomy"))["categories"][0]["needs_place"]  # unchanged

    changed = placed.ok(placed.call("PUT", path, body, placed.as_role("admin")))
    assert [c["needs_place"] for c in changed["categories"]] == [False, True]
    assert changed["updated_by"] and changed["updated_at"]
    # New submissions follow: 交通出行 complaints now need a place, 城乡建设 ones no longer.
    refused = placed.post("/api/cases", submission(kind="complaint", category="transport"))
    assert refused.status == 400 and set(refused.fields) == {"location"}
    placed.submit(kind="complaint", category="urban")
    categories = placed.ok(placed.get("/api/taxonomy"))["categories"]
    assert [c["needs_place"] for c in categories] == [False, True]
    assert placed.ok(placed.call("GET", path, None, placed.as_role("admin"))) == changed


def test_half_a_point_is_refused_naming_the_location(placed: Api) -> None:
    refused = placed.post("/api/cases", submission(location={"lat": 31.21}))
    assert refused.status == 400 and set(refused.fields) == {"location"}
    too_long = placed.post("/api/cases", submission(location={"address": "路" * 101}))
    assert too_long.status == 400 and set(too_long.fields) == {"location.address"}


def test_the_public_sees_the_address_cut_at_the_building_and_the_point_rounded(
    placed: Api,
) -> None:
    address = "东区人民路12号翠湖小区3栋2单元501室"
    created = placed.submit(district="east", location={"address": address, **IN_EAST})
    case_id = created["case_id"]
    placed.accept(case_id)
    public = placed.ok(placed.public(case_id))
    assert public["location"] == {
        "address": "东区人民路12号翠湖小区3栋**",
        "lat": 31.2123,
        "lng": 121.4188,
    }
    board = placed.ok(placed.get("/api/cases"))["items"]
    assert next(c for c in board if c["case_id"] == case_id)["location"] == {
        "lat": 31.2123,
        "lng": 121.4188,
    }
    own = placed.track(case_id, created["tracking_code"])  # the citizen's own: as written
    assert own["location"] == {"address": address, **IN_EAST}


def test_the_boundaries_are_served_as_geojson_named_after_the_taxonomy(api: Api) -> None:
    empty = api.get("/api/geo/districts")
    assert empty.status == 200 and empty.body == {"type": "FeatureCollection", "features": []}
    api.ok(_boundaries(api, EAST))
    served = api.get("/api/geo/districts")
    assert served.headers["Cache-Control"] == "public, max-age=300"
    (feature,) = served.body["features"]
    assert feature["properties"] == {"code": "east", "name": "东区"}
    assert feature["geometry"] == EAST["geometry"]


def test_a_city_tile_server_is_named_in_the_boundaries_when_configured(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import settings

    api.ok(_boundaries(api, EAST))
    assert "tiles" not in api.ok(api.get("/api/geo/districts"))  # off by default
    template = "https://tiles.city.example/base/{z}/{x}/{y}.png"
    monkeypatch.setenv("WZ_MAP_TILES", template)
    monkeypatch.setenv(
        "WZ_MAP_TILES_ATTRIBUTION", "底图 © 市自然资源和规划局 审图号：某S(2026)001号"
    )
    settings.cache_clear()
    try:
        served = api.ok(api.get("/api/geo/districts"))
        assert served["tiles"] == {
            "url": template,
            "attribution": "底图 © 市自然资源和规划局 审图号：某S(2026)001号",
            "max_zoom": 18,
        }
        assert served["type"] == "FeatureCollection" and len(served["features"]) == 1
        # A template the CSP could not name as one origin (or not HTTPS) leaves the map bare.
        monkeypatch.setenv("WZ_MAP_TILES", "http://tiles.city.example/{z}/{x}/{y}.png")
        settings.cache_clear()
        assert "tiles" not in api.ok(api.get("/api/geo/districts"))
    finally:
        settings.cache_clear()


def test_boundaries_of_unknown_districts_or_broken_rings_are_refused(api: Api) -> None:
    unknown = copy.deepcopy(EAST)
    unknown["properties"]["code"] = "west"
    broken = copy.deepcopy(EAST)
    broken["geometry"]["coordinates"] = [[[121.4, 31.2], [121.5, 31.2]]]
    refused = _boundaries(api, unknown, broken)
    assert refused.status == 400
    assert set(refused.fields) == {"features[0].properties.code", "features[1].geometry"}
    twice = _boundaries(api, EAST, EAST)
    assert twice.status == 400 and set(twice.fields) == {"features[1].properties.code"}
    assert api.ok(api.get("/api/geo/districts"))["features"] == []  # nothing half-written
    not_geojson = _boundaries(api, {"type": "Feature"})
    assert not_geojson.status == 400
    coordinator = api.call(
        "PUT",
        "/api/admin/geo/districts",
        {"type": "FeatureCollection", "features": [EAST]},
        api.as_role("coordinator"),
    )
    assert coordinator.status == 403
