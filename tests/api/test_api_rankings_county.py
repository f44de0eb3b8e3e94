"""亮晒比 at every level (issue 17 §3) through the API: a county platform's own ranking of its
units (``GET /api/rankings?county=``), seeded through real transitions at the county (its
coordinator accepts and assigns to its units), with the known counts, rates and order; the
drill-downs behind a county unit's figure; the city ranking counting the county as the sum
of its units; the ``rankings`` job freezing the county's month beside the city's; CSV; an
unknown county; and the minimum sample."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import Api, reply_body
from tests.api.test_api_counties import (  # noqa: F401  (the fixture, reused)
    EAST,
    EAST_COORDINATOR,
    WEST,
    counties,
    county_headers,
)

NOVEMBER = f"/api/rankings?month=2026-11&county={EAST}"
pytestmark = pytest.mark.usefixtures("counties")  # 东区 (east-town, dept-4) and 西区


def _policy(api: Api, min_sample: int) -> None:
    from functions.storage import config_repo

    config_repo.put_rankings({"min_sample": min_sample}, by="test", now=api.now())


def _rows(document: dict[str, Any], group: str = "units") -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in document[group]}


def _seed_east(api: Api) -> dict[str, Any]:
    """November at 东区: its coordinator accepts three cases of its district and assigns them
    to its own units. dept-4 (东区人民政府): one case signed and replied on time, rated 满意.
    east-town (翠湖街道): one the same, one signed late, replied late, rated 不满意
    (reopened). DeadlineRules starts Mon 2026-11-02 10:00 Shanghai."""
    east = county_headers(api, EAST_COORDINATOR)
    made: dict[str, Any] = {}
    for name, unit in (("gov", "dept-4"), ("good", "east-town"), ("late", "east-town")):
        created = api.submit(district="east")
        case_id = created["case_id"]
        accept = {"urgency": "general", "public": True}
        api.ok(api.post(f"/api/staff/cases/{case_id}/accept", accept, east))
        assign = {"lead": unit, "co_handlers": []}
        api.ok(api.post(f"/api/staff/cases/{case_id}/assign", assign, east))
        made[name] = {**created, "link": api.link(unit, case_id)}
    for name in ("gov", "good"):
        api.ok(api.handle_act(made[name]["link"], "sign"))
        api.ok(api.handle_act(made[name]["link"], "reply", reply_body()))
        api.ok(api.rate(made[name]["case_id"], made[name]["tracking_code"], "satisfied"))
    late = made["late"]
    api.advance(timedelta(days=2))  # past the 8 office hours to sign
    api.ok(api.handle_act(late["link"], "sign"))
    api.advance(timedelta(days=7))  # past the 5 working days to reply
    api.ok(api.handle_act(late["link"], "reply", reply_body()))
    api.ok(api.rate(late["case_id"], late["tracking_code"], "unsatisfied", "没有解决"))
    return made


def test_a_county_ranks_its_own_units_with_known_counts_rates_and_order(api: Api) -> None:
    _policy(api, 1)
    _seed_east(api)
    page = api.ok(api.get(NOVEMBER))
    assert page["county"] == {"id": EAST, "name": "东区网络问政平台"}
    assert page["month"] == "2026-11" and page["month_to_date"] is True
    assert page["frozen"] is False
    assert {p["id"] for p in page["platforms"]} == {EAST, WEST}
    rows = _rows(page)
    assert set(rows) == {"dept-4", "east-town"}  # its units only: no city's, no 西区's
    town, gov = rows["east-town"], rows["dept-4"]
    assert (town["assigned"], town["signed"], town["signed_on_time"]) == (2, 2, 1)
    assert (town["replied"], town["replied_on_time"], town["closed"]) == (2, 1, 1)
    assert (town["rated"], town["satisfied"], town["reopened"]) == (2, 1, 1)
    assert town["signed_on_time_rate"] == 0.5 and town["closed_rate"] == 0.5
    assert town["satisfied_rate"] == 0.5 and town["reopened_rate"] == 0.5
    assert town["score"] == round(30 * 0.5 + 35 * 0.25 + 35 * 0.5, 1)
    assert (gov["assigned"], gov["closed_rate"], gov["score"]) == (1, 1.0, 100.0)
    assert [row["id"] for row in page["units"]] == ["dept-4", "east-town"]
    assert (gov["rank"], town["rank"]) == (1, 2)
    assert gov["position"] == town["position"] == "top"  # top 3 of two
    assert not gov["talk"] and not town["talk"]

    # 西区 has a page too, with nothing in it this month.
    west = api.ok(api.get(f"/api/rankings?month=2026-11&county={WEST}"))
    assert [(r["id"], r["assigned"]) for r in west["units"]] == [("west-town", 0)]

    # The city ranks 东区 as the sum of its units, named as its district.
    city = api.ok(api.get("/api/rankings?month=2026-11"))
    county_rows = _rows(city, "counties")
    assert set(county_rows) == {EAST, WEST}
    assert county_rows[EAST]["name"] == "东区" and county_rows[EAST]["assigned"] == 3
    assert county_rows[EAST]["closed"] == 2 and county_rows[EAST]["reopened"] == 1
    assert not {"dept-4", "east-town"} & set(_rows(city, "departments"))


def test_a_county_units_figures_drill_down_to_their_cases(api: Api) -> None:
    _policy(api, 1)
    made = _seed_east(api)

    def drill(unit: str, metric: str) -> dict[str, Any]:
        path = f"/api/rankings/cases?month=2026-11&unit={unit}&metric={metric}"
        found: dict[str, Any] = api.ok(api.get(path))
        return found

    late = drill("east-town", "replied_late")
    assert late["unit"] == {"id": "east-town", "name": "东区翠湖街道办事处"}
    assert late["total"] == 1 and [c["case_id"] for c in late["items"]] == [made["late"]["case_id"]]
    assigned = drill("east-town", "assigned")
    assert {c["case_id"] for c in assigned["items"]} == {
        made["good"]["case_id"],
        made["late"]["case_id"],
    }
    assert drill("dept-4", "unsatisfied")["total"] == 0
    # The county as a whole (its row in the city ranking): every unit's cohort.
    whole = drill(EAST, "assigned")
    assert whole["unit"] == {"id": EAST, "name": "东区"} and whole["total"] == 3
    # Staff see the same cases through their own drill-down.
    staff = api.ok(
        api.get(
            "/api/staff/rankings/cases?month=2026-11&unit=east-town&metric=reopened",
            api.as_role("coordinator"),
        )
    )
    assert [c["case_id"] for c in staff["items"]] == [made["late"]["case_id"]]
    # The county's coordinator drills into its platform's and its units' figures, no other.
    east = county_headers(api, EAST_COORDINATOR)
    figure = "/api/staff/rankings/cases?month=2026-11&metric=assigned&unit="
    assert api.ok(api.get(figure + "east-town", east))["total"] == 2
    assert api.ok(api.get(figure + EAST, east))["total"] == 3
    for elsewhere in ("west-town", WEST, "dept-1"):
        refused = api.get(figure + elsewhere, east)
        assert refused.status == 404 and refused.code == "unit_not_found", elsewhere


def test_the_job_freezes_each_countys_month_beside_the_citys(api: Api) -> None:
    _policy(api, 1)
    made = _seed_east(api)
    api.set_clock(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 1 Dec 00:30 in Shanghai
    first = api.ok(api.post("/api/dev/jobs/rankings"))["result"]
    assert first == {"month": "2026-11", "frozen": True, "counties": [EAST, WEST], "bulletin": True}
    published = api.ok(api.get(f"/api/rankings?county={EAST}"))  # default: last month
    assert published["month"] == "2026-11" and published["frozen"] is True
    assert published["month_to_date"] is False
    assert _rows(published)["east-town"]["replied"] == 2

    # The reopened case is replied again in December: the live counters follow, the
    # published county page does not, and a second run changes nothing.
    api.ok(api.handle_act(api.link("east-town", made["late"]["case_id"]), "reply", reply_body()))
    again = api.ok(api.post("/api/dev/jobs/rankings"))["result"]
    assert again == {"month": "2026-11", "frozen": False, "already": True}
    assert api.ok(api.get(NOVEMBER)) == published

    december = api.ok(api.get(f"/api/rankings?month=2026-12&county={EAST}"))
    assert december["month_to_date"] is True and december["frozen"] is False
    assert all(row["assigned"] == 0 for row in december["units"])


def test_a_countys_ranking_as_csv(api: Api) -> None:
    _policy(api, 1)
    _seed_east(api)
    answer = api.get(f"/api/rankings.csv?month=2026-11&county={EAST}")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    disposition = answer.headers["Content-Disposition"]
    assert f'filename="rankings-2026-11-{EAST}.csv"' in disposition
    text = answer.body if isinstance(answer.body, str) else str(answer.body)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["分组", "名次", "单位编码", "单位", "办理量"]
    assert [(r[0], r[1], r[2], r[4]) for r in rows[1:]] == [
        ("单位", "1", "dept-4", "1"),
        ("单位", "2", "east-town", "2"),
    ]


def test_an_unknown_county_is_refused_by_name(api: Api) -> None:
    for path in ("/api/rankings?county=nowhere", "/api/rankings.csv?county=dept-4"):
        answer = api.get(path)
        assert answer.status == 400 and set(answer.fields) == {"county"}, answer.body


@pytest.mark.parametrize(("min_sample", "ranked"), [(3, []), (2, ["east-town"])])
def test_a_county_with_too_few_cases_follows_the_minimum_sample(
    api: Api, min_sample: int, ranked: list[str]
) -> None:
    _policy(api, min_sample)
    _seed_east(api)
    rows = api.ok(api.get(NOVEMBER))["units"]
    assert [row["id"] for row in rows if row["rank"] is not None] == ranked
    assert all(row["sample_too_small"] for row in rows if row["id"] not in ranked)
