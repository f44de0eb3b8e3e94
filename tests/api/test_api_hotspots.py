"""舆情预警 through the HTTP API (issue 18 §1): the ``hotspots`` job run as the dev route runs
it, and ``GET /api/staff/hotspots`` with its window, filters and scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import T0, Api
from tests.api.test_api_counties import EAST_COORDINATOR, county_headers
from tests.api.test_api_counties import counties as counties  # the fixture

OUTAGE = [
    ("翠湖小区突然停水", "翠湖小区从早上开始停水，自来水公司没有任何通知。"),
    ("停水一整天了", "东区自来水停了，家里老人孩子没水用。"),
    ("幸福路自来水停水", "我们幸福路停水，打自来水热线一直占线。"),
]


def burst(api: Api, district: str = "east", n: int = 10) -> list[str]:
    """``n`` reports of a water outage in ``district`` a few minutes apart, then the job run
    two hours later."""
    ids = []
    for k in range(n):
        api.set_clock(T0 + timedelta(minutes=5 * k))
        title, content = OUTAGE[k % len(OUTAGE)]
        ids.append(
            api.submit(district=district, category="urban", title=title, content=content)["case_id"]
        )
    api.set_clock(T0 + timedelta(hours=2))
    return ids


def run_job(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post("/api/dev/jobs/hotspots"))["result"]
    return result


def hotspots(api: Api, headers: dict[str, str], query: str = "") -> Any:
    return api.get(f"/api/staff/hotspots{query}", headers)


def test_the_job_raises_a_warning_once_and_the_console_lists_it(api: Api) -> None:
    ids = burst(api)
    assert run_job(api)["raised"] == 1
    assert run_job(api)["raised"] == 0  # a rerun: nothing new
    mails = [m for m in api.outbox() if "舆情预警" in m["subject"]]
    # The city's coordinators and the leaders (who watch the whole city).
    assert sorted(m["to"] for m in mails) == [
        "coordinator@wenzheng.example",
        "leader@wenzheng.example",
    ]
    assert "停水" in mails[0]["body"] and "/staff.html?card=hotspots" in mails[0]["body"]

    found = api.ok(hotspots(api, api.as_role("coordinator")))
    (warning,) = found["items"]
    assert warning["district"] == "east" and warning["district_label"] == "东区"
    assert warning["category"] == "urban" and "停水" in warning["terms"]
    assert warning["count"] == 10 and warning["trend"]["counts"][-1] == 10
    assert len(warning["trend"]["counts"]) == 29
    assert {c["case_id"] for c in warning["cases"]} == set(ids)
    assert all(c["url"].endswith(f"/staff.html?case={c['case_id']}") for c in warning["cases"])
    assert found["to"] == (T0 + timedelta(hours=2)).date().isoformat()
    assert api.ok(hotspots(api, api.as_role("admin")))["items"] == found["items"]


def test_filters_narrow_the_list_and_bad_dates_are_400(api: Api) -> None:
    burst(api)
    run_job(api)
    coordinator = api.as_role("coordinator")
    day = (T0 + timedelta(hours=2)).date().isoformat()
    assert len(api.ok(hotspots(api, coordinator, f"?from={day}&to={day}"))["items"]) == 1
    assert api.ok(hotspots(api, coordinator, "?district=city"))["items"] == []
    assert api.ok(hotspots(api, coordinator, "?category=transport"))["items"] == []
    assert len(api.ok(hotspots(api, coordinator, "?district=east&category=urban"))["items"]) == 1
    later = (T0 + timedelta(days=3)).date().isoformat()
    assert api.ok(hotspots(api, coordinator, f"?from={later}&to={later}"))["items"] == []
    for query, field in (
        ("?from=2026-13-01", "from"),
        ("?to=yesterday", "to"),
        (f"?from={later}&to={day}", "from"),
        ("?from=2026-01-01&to=2026-12-31", "to"),
    ):
        answer = hotspots(api, coordinator, query)
        assert answer.status == 400 and field in answer.fields, (query, answer.body)


@pytest.mark.usefixtures("counties")
def test_a_county_coordinator_sees_its_districts_warnings_only(api: Api) -> None:
    burst(api, "east")
    assert run_job(api)["raised"] == 1
    mails = sorted(m["to"] for m in api.outbox() if "舆情预警" in m["subject"])
    assert mails == ["coordinator@wenzheng.example", EAST_COORDINATOR, "leader@wenzheng.example"]
    east = county_headers(api, EAST_COORDINATOR)
    assert len(api.ok(hotspots(api, east))["items"]) == 1

    from tests.api.test_api_counties import WEST_COORDINATOR

    west = county_headers(api, WEST_COORDINATOR)
    assert api.ok(hotspots(api, west))["items"] == []
    assert api.ok(hotspots(api, west, "?district=east"))["items"] == []
    assert hotspots(api, api.as_role("operator")).status == 403
    assert hotspots(api, {}).status == 401
