"""领导驾驶舱 through the API: cases seeded through the real use cases over several days give
figures equal to a recount from the cases themselves; every figure opens the cases behind it;
the leader reads and changes nothing; a county coordinator sees its own districts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from chalice.test import Client

from functions.domain.calendar import local_date
from tests.api.helpers import T0, Api, reply_body, submission, sweep
from tests.api.test_api_counties import EAST_COORDINATOR, counties, county_headers

__all__ = ["counties"]  # the two county platforms' fixture, used here too

WINDOW = "from=2026-11-01&to=2026-11-30"


def _seed(api: Api) -> dict[str, str]:
    """Over three weeks of November: web and hotline cases of two kinds, two categories and
    two districts; replies on time and late, a reopening, closings satisfied and not."""
    ids: dict[str, str] = {}
    good, good_link = api.assigned_case("dept-1")  # Mon 11-02, web complaint urban city
    ids["good"] = good["case_id"]
    api.ok(api.handle_act(good_link, "sign"))
    api.ok(api.handle_act(good_link, "reply", reply_body()))
    api.ok(api.rate(good["case_id"], good["tracking_code"], "satisfied"))  # closed, resolved

    entered = api.ok(
        api.post(
            "/api/staff/cases",
            submission(kind="consultation", category="transport", district="east"),
            api.as_role("operator"),
        ),
        201,
    )
    ids["hotline"] = entered["case_id"]

    api.advance(timedelta(days=1))  # Tue 11-03
    late, late_link = api.assigned_case("dept-4", district="east", kind="help")
    ids["late"] = late["case_id"]
    api.ok(api.handle_act(late_link, "sign"))
    api.advance(timedelta(days=8))  # Wed 11-11: past the 5 working days
    api.ok(api.handle_act(late_link, "reply", reply_body(outcome="explained")))
    api.ok(api.rate(late["case_id"], late["tracking_code"], "unsatisfied", "没有解决"))  # 重办
    api.advance(timedelta(days=1))  # Thu 11-12
    while not api.staff_case(late["case_id"])["escalated"]:  # reopened as often as allowed
        again = api.link("dept-4", late["case_id"])
        api.ok(api.handle_act(again, "reply", reply_body(outcome="explained")))
        api.ok(api.rate(late["case_id"], late["tracking_code"], "unsatisfied", "还是没有解决"))
    # Unsatisfied after the last allowed reopening: the coordinator closes it.
    api.ok(api.act(late["case_id"], "close", {"note": "经研究，依现有条件办结"}))
    ids["other"] = api.submit(category="transport")["case_id"]
    return ids


def _recount(api: Api, ids: dict[str, str]) -> dict[str, Counter[str]]:
    """The figures counted from the cases and their timelines, per Shanghai day."""
    from functions.domain.cases import latest_rating
    from functions.storage import cases_repo

    days: dict[str, Counter[str]] = {}
    for case_id in ids.values():
        case = cases_repo.get(case_id)
        assert case is not None
        day = local_date(case.created_at).isoformat()
        days.setdefault(day, Counter()).update(
            ["intake", f"channel:{case.channel}", f"kind:{case.kind}", f"category:{case.category}"]
        )
        for event in cases_repo.timeline(case_id, public_only=False):
            on = days.setdefault(local_date(event.at).isoformat(), Counter())
            if event.type == "replied":
                on["replied"] += 1
            elif event.type == "reopened":
                on["reopened"] += 1
            elif event.to_state == "closed" and event.from_state != "closed":
                on["closed"] += 1
                on["closed_resolved"] += case.replies[-1].outcome == "resolved"
                rated = latest_rating(case)
                if rated is not None and rated.rating is not None:
                    good = rated.rating in ("satisfied", "basically_satisfied")
                    on["closed_satisfied" if good else "closed_unsatisfied"] += 1
    return days


def test_the_dashboards_figures_equal_a_recount_of_the_cases(api: Api) -> None:
    ids = _seed(api)
    board = api.ok(api.get(f"/api/staff/dashboard?{WINDOW}", api.as_role("coordinator")))
    recount = _recount(api, ids)
    assert board["granularity"] == "day" and len(board["days"]) == 30
    for row in board["days"]:
        expected = {k: v for k, v in recount.get(row["day"], Counter()).items() if v}
        assert row["counts"] == expected | {
            k: v for k, v in row["counts"].items() if k.startswith("replied_")
        }, row["day"]
    totals = sum(recount.values(), Counter())
    counts = board["totals"]["counts"]
    for name in ("intake", "replied", "closed", "closed_resolved", "reopened"):
        assert counts[name] == totals[name], name
    assert counts["closed_satisfied"] == totals["closed_satisfied"] == 1
    assert counts["closed_unsatisfied"] == totals["closed_unsatisfied"] == 1
    # The late case's first reply came 8 days after its assignment; the others in time.
    assert counts["replied_late"] == 1
    assert counts["replied_on_time"] == counts["replied"] - 1
    assert board["totals"]["rates"] == {
        "on_time_rate": round((counts["replied"] - 1) / counts["replied"], 4),
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.5,
    }
    channel = {f["code"]: f["n"] for f in board["intake"]["channel"]}
    assert channel["web"] == 3 and channel["hotline"] == 1 and channel["mailbox"] == 0
    kind = {f["code"]: f["n"] for f in board["intake"]["kind"]}
    assert (kind["complaint"], kind["consultation"], kind["help"]) == (2, 1, 1)
    category = {f["code"]: f["n"] for f in board["intake"]["category"]}
    assert category == {"urban": 2, "transport": 2}
    district = {f["code"]: f["n"] for f in board["intake"]["district"]}
    assert district == {"city": 2, "east": 2}
    # A week's rows sum its days.
    weeks = {w["week"]: w["counts"] for w in board["weeks"]}
    assert weeks["2026-11-09"]["replied"] == counts["replied"] - 1
    assert weeks["2026-11-09"]["reopened"] == counts["reopened"] >= 2
    assert board["hotspots"] == []  # the hotspots part's seam


def test_every_figure_opens_the_cases_behind_it(api: Api) -> None:
    ids = _seed(api)
    leader = api.as_role("leader")
    board = api.ok(api.get(f"/api/staff/dashboard?{WINDOW}", leader))

    def behind(link: str) -> set[str]:
        found, cursor = [], None
        while True:
            page = api.ok(api.get(link + (f"&cursor={cursor}" if cursor else ""), leader))
            found += [item["case_id"] for item in page["items"]]
            assert all("contact" not in item for item in page["items"])
            if not (cursor := page["next_cursor"]):
                return set(found)

    assert behind(board["totals"]["cases"]["intake"]) == set(ids.values())
    assert behind(board["totals"]["cases"]["replied_late"]) == {ids["late"]}
    assert behind(board["totals"]["cases"]["closed_unsatisfied"]) == {ids["late"]}
    assert behind(board["totals"]["cases"]["reopened"]) == {ids["late"]}
    figures = {f["code"]: f for f in board["intake"]["channel"]}
    assert behind(figures["hotline"]["cases"]) == {ids["hotline"]}
    east = {f["code"]: f for f in board["intake"]["district"]}["east"]
    assert behind(east["cases"]) == {ids["hotline"], ids["late"]}
    for figure in board["intake"]["kind"] + board["intake"]["category"]:
        assert len(behind(figure["cases"])) == figure["n"], figure
    one_day = "/api/staff/dashboard/cases?from=2026-11-12&to=2026-11-12&series=intake"
    assert behind(one_day) == {ids["other"]}


def test_overdue_cases_are_counted_by_unit_from_the_overdue_lists(api: Api, client: Client) -> None:
    for _ in range(2):
        api.assigned_case("dept-2")
    api.assigned_case("dept-3")
    sweep(api, client, T0 + timedelta(days=14))  # every deadline long past: 黄牌 then 红牌
    board = api.ok(api.get("/api/staff/dashboard", api.as_role("leader")))
    units = {u["id"]: u for u in board["overdue"]["units"]}
    assert {k: u["yellow"] + u["red"] for k, u in units.items()} == {"dept-2": 2, "dept-3": 1}
    listed = api.ok(api.get(units["dept-2"]["cases"]["red"], api.as_role("leader")))
    assert len(listed["items"]) == units["dept-2"]["red"]


def test_the_leader_reads_figures_and_changes_nothing(api: Api) -> None:
    """Decided: a leader (市领导) reads the dashboard, the cases behind its figures and the
    督办 lists (summaries, no contact data); not the queue, nor a case's detail, nor any
    action (403)."""
    from functions.api.staff import route_roles
    from functions.domain.lifecycle import Role

    created = api.submit()
    leader = api.as_role("leader")
    me = api.ok(api.get("/api/staff/me", leader))
    assert (me["role"], me["name"]) == ("leader", "分管副市长 王建国")
    readable = {route for route, roles in route_roles().items() if Role.LEADER in roles}
    assert readable == {
        ("GET", "/api/staff/me"),
        ("GET", "/api/staff/dashboard"),
        ("GET", "/api/staff/dashboard/cases"),
        ("GET", "/api/staff/overdue"),
    }
    assert api.get("/api/staff/queue", leader).status == 403
    assert api.get(f"/api/staff/cases/{created['case_id']}", leader).status == 403
    accepted = api.post(
        f"/api/staff/cases/{created['case_id']}/accept", {"urgency": "general"}, leader
    )
    assert accepted.status == 403 and accepted.code == "forbidden"
    assert api.post("/api/staff/cases", submission(), leader).status == 403
    assert api.get("/api/admin/policy", leader).status == 403
    # … and the operator reads no figures.
    assert api.get("/api/staff/dashboard", api.as_role("operator")).status == 403


def test_a_county_coordinator_sees_its_own_districts(counties: Api) -> None:
    api = counties
    api.submit(district="east")
    api.submit(district="west")
    api.submit()
    east = county_headers(api, EAST_COORDINATOR)
    board = api.ok(api.get("/api/staff/dashboard", east))
    assert [d["code"] for d in board["districts"]] == ["east"]
    assert board["totals"]["counts"]["intake"] == 1
    assert api.get("/api/staff/dashboard?district=west", east).status == 404
    city = api.ok(api.get("/api/staff/dashboard", api.as_role("coordinator")))
    assert city["totals"]["counts"]["intake"] == 3
    west = api.ok(api.get("/api/staff/dashboard?district=west", api.as_role("leader")))
    assert west["totals"]["counts"]["intake"] == 1


def test_a_bad_window_is_a_400_naming_the_field(api: Api) -> None:
    leader = api.as_role("leader")
    cases: list[tuple[str, str]] = [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-11-10&to=2026-11-01", "from"),
        ("from=2024-01-01&to=2026-11-01", "from"),
        ("district=nowhere", "district"),
    ]
    for params, name in cases:
        answer = api.get(f"/api/staff/dashboard?{params}", leader)
        assert answer.status == 400 and name in answer.fields, params
    bad: dict[str, Any] = {
        "series=bogus": "series",
        "series=intake&cursor=garbage": "cursor",
    }
    for params, name in bad.items():
        answer = api.get(f"/api/staff/dashboard/cases?{params}", leader)
        assert answer.status == 400 and name in answer.fields, params
