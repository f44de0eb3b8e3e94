"""亮晒比 through the API: a month seeded through real transitions gives the known counts and
rates; the ``rankings`` job freezes last month once; CSV; bad months; and a transition and
its counter update are one transaction."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import Api, reply_body


@pytest.fixture(autouse=True)
def small_sample(api: Api) -> None:
    """A few cases per department are enough to rank in these tests: the deployment's
    ``rankings`` settings document says so, as an operator would."""
    from functions.storage import config_repo

    config_repo.put_rankings({"min_sample": 1}, by="test", now=api.now())


def _rows(document: dict[str, Any], group: str = "departments") -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in document[group]}


def _seed_november(api: Api) -> dict[str, str]:
    """dept-1: one case signed and replied on time, rated 满意 (closed); one signed late,
    replied late, rated 不满意 (reopened). dept-2: one case returned and reassigned to
    dept-3. DeadlineRules starts Mon 2026-11-02 10:00 Shanghai."""
    good, good_link = api.assigned_case("dept-1")
    api.ok(api.handle_act(good_link, "sign"))
    api.ok(api.handle_act(good_link, "reply", reply_body()))
    api.ok(api.rate(good["case_id"], good["tracking_code"], "satisfied"))

    late, late_link = api.assigned_case("dept-1")
    api.advance(timedelta(days=2))  # past the 8 office hours to sign
    api.ok(api.handle_act(late_link, "sign"))
    api.advance(timedelta(days=7))  # past the 5 working days to reply
    api.ok(api.handle_act(late_link, "reply", reply_body()))
    api.ok(api.rate(late["case_id"], late["tracking_code"], "unsatisfied", "没有解决"))

    moved, moved_link = api.assigned_case("dept-2")
    api.ok(api.handle_act(moved_link, "return", {"reason": "不属于我单位职责范围"}))
    api.ok(
        api.act(
            moved["case_id"],
            "return-decision",
            {"decision": "reassign", "lead": "dept-3", "co_handlers": [], "note": "改派"},
        )
    )
    return {"good": good["case_id"], "late": late["case_id"], "moved": moved["case_id"]}


def test_a_seeded_month_gives_the_known_counts_and_rates(api: Api) -> None:
    _seed_november(api)
    november = api.ok(api.get("/api/rankings?month=2026-11"))
    assert november["month"] == "2026-11" and november["month_to_date"] is True
    assert november["frozen"] is False
    rows = _rows(november)
    d1 = rows["dept-1"]
    assert (d1["assigned"], d1["signed"], d1["signed_on_time"]) == (2, 2, 1)
    assert (d1["replied"], d1["replied_on_time"], d1["closed"]) == (2, 1, 1)
    assert (d1["rated"], d1["satisfied"], d1["reopened"]) == (2, 1, 1)
    assert d1["signed_on_time_rate"] == 0.5 and d1["closed_rate"] == 0.5
    assert d1["satisfied_rate"] == 0.5 and d1["reopened_rate"] == 0.5
    # 响应 0.5, 解决 0.5 × (1 − 0.5), 满意 0.5
    assert d1["score"] == round((30 * 0.5 + 35 * 0.25 + 35 * 0.5) / 100 * 100, 1)
    assert rows["dept-2"]["assigned"] == 1 and rows["dept-2"]["returned"] == 1
    assert rows["dept-2"]["returned_rate"] == 1.0
    assert rows["dept-3"]["assigned"] == 1 and rows["dept-3"]["returned"] == 0
    assert "dept-4" not in rows  # 东区人民政府 ranks within its county
    counties = _rows(november, "counties")
    assert set(counties) == {"east"} and counties["east"]["assigned"] == 0


def test_the_job_freezes_last_month_once_and_the_frozen_month_stands(api: Api) -> None:
    cases = _seed_november(api)
    api.set_clock(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 1 Dec 00:30 in Shanghai
    first = api.ok(api.post("/api/dev/jobs/rankings"))
    assert first["result"] == {"month": "2026-11", "frozen": True, "bulletin": True}
    published = api.ok(api.get("/api/rankings"))  # default: last month
    assert published["month"] == "2026-11" and published["frozen"] is True
    assert published["month_to_date"] is False

    # A November case keeps moving in December: the live counters follow, the frozen
    # ranking does not, and a second run of the job changes nothing.
    late_link = api.link("dept-1", cases["late"])
    api.ok(api.handle_act(late_link, "reply", reply_body()))
    again = api.ok(api.post("/api/dev/jobs/rankings"))
    assert again["result"]["frozen"] is False and again["result"]["already"] is True
    assert api.ok(api.get("/api/rankings?month=2026-11")) == published
    from functions.storage import rankings_repo

    assert rankings_repo.month_tallies("2026-11")["dept-1"].replied == 3
    assert _rows(published)["dept-1"]["replied"] == 2

    december = api.ok(api.get("/api/rankings?month=2026-12"))
    assert december["month_to_date"] is True and december["frozen"] is False
    assert _rows(december)["dept-1"]["rank_change"] is None  # nothing ranked in December yet


def test_rankings_as_csv(api: Api) -> None:
    _seed_november(api)
    answer = api.get("/api/rankings.csv?month=2026-11")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="rankings-2026-11.csv"' in answer.headers["Content-Disposition"]
    text = answer.body if isinstance(answer.body, str) else str(answer.body)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["分组", "名次", "单位编码", "单位", "办理量"]
    dept1 = next(row for row in rows if row[2] == "dept-1")
    assert dept1[0] == "部门" and dept1[4] == "2" and dept1[5] == "0.5"
    assert any(row[0] == "区县" and row[2] == "east" for row in rows)


def test_a_bad_or_future_month_is_refused_clearly(api: Api) -> None:
    for bad in ("2026-13", "26-11", "2026-1", "november"):
        answer = api.get(f"/api/rankings?month={bad}")
        assert answer.status == 400 and "month" in answer.fields, (bad, answer.body)
    future = api.get("/api/rankings?month=2027-01")
    assert future.status == 404 and future.code == "month_not_started"


def test_a_transition_and_its_counters_are_one_transaction(api: Api) -> None:
    """Signing writes the case, its event and the cohort's counters in one
    TransactWriteItems; when the case changed meanwhile, none of them is written."""
    from functions.domain.cases import Actor
    from functions.domain.errors import Conflict
    from functions.domain.lifecycle import Role
    from functions.services.common import commit, load
    from functions.storage import rankings_repo
    from functions.storage.models import CaseModel
    from tests import transitions as domain

    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    sent: list[dict[str, Any]] = []

    def watch(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    client = CaseModel._get_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", watch)
    try:
        stale = load(case_id)
        api.ok(api.handle_act(link, "sign"))
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", watch)
    assert len(sent) == 1
    tables = [next(iter(item.values()))["TableName"] for item in sent[0]["TransactItems"]]
    assert any(t.endswith("cases") for t in tables) and any(t.endswith("tallies") for t in tables)
    before = rankings_repo.month_tallies("2026-11")["dept-1"]
    assert (before.signed, before.signed_on_time) == (1, 1)

    lead = Actor(Role.LEAD, "dept-1", "市住房和城乡建设局")
    result = domain.sign(stale, lead, now=api.now())  # from a copy read before the sign
    with pytest.raises(Conflict):
        commit(result, api.now())
    assert rankings_repo.month_tallies("2026-11")["dept-1"] == before


def test_every_figure_drills_down_to_its_cases(api: Api) -> None:
    cases = _seed_november(api)
    hidden, _ = api.assigned_case("dept-1", public=False)  # the citizen did not consent

    def behind(unit: str, metric: str, *, staff: bool = False) -> dict[str, Any]:
        path = "/api/staff/rankings/cases" if staff else "/api/rankings/cases"
        query = f"?month=2026-11&unit={unit}&metric={metric}"
        found: dict[str, Any] = api.ok(
            api.get(path + query, api.as_role("coordinator") if staff else None)
        )
        return found

    def ids(found: dict[str, Any]) -> set[str]:
        return {item["case_id"] for item in found["items"]}

    assert ids(behind("dept-1", "signed_late")) == {cases["late"]}
    assert ids(behind("dept-1", "satisfied")) == {cases["good"]}
    assert ids(behind("dept-1", "reopened")) == {cases["late"]}
    assert ids(behind("dept-2", "returned")) == {cases["moved"]}
    assert ids(behind("dept-3", "assigned")) == {cases["moved"]}
    public = behind("dept-1", "assigned")
    assert ids(public) == {cases["good"], cases["late"]} and public["total"] == 3
    assert "contact" not in str(public)
    staff = behind("dept-1", "assigned", staff=True)
    assert ids(staff) == {cases["good"], cases["late"], hidden["case_id"]}
    assert behind("east", "assigned")["items"] == []  # a county: its departments' cohorts

    for query, field in (
        ("month=2026-11&unit=dept-1&metric=bogus", "metric"),
        ("month=2026-11&unit=nobody&metric=assigned", "unit"),
        ("month=11&unit=dept-1&metric=assigned", "month"),
    ):
        answer = api.get(f"/api/rankings/cases?{query}")
        assert answer.status == 400 and field in answer.fields, (query, answer.body)
    assert (
        api.get("/api/staff/rankings/cases?month=2026-11&unit=dept-1&metric=assigned").status == 401
    )
    operator = api.get(
        "/api/staff/rankings/cases?month=2026-11&unit=dept-1&metric=assigned",
        api.as_role("operator"),
    )
    assert operator.status == 403


def test_the_counters_agree_with_a_recount_from_the_cases(api: Api) -> None:
    """Recount every cohort from the case records and their full histories (not from the
    counters' own increments) and compare with the unit-month counters and the per-case
    shares they are the sum of."""
    from collections import defaultdict

    from functions.domain.cases import month_key
    from functions.domain.rankings import Tally
    from functions.storage import cases_repo, rankings_repo

    cases = _seed_november(api)
    extra, link = api.assigned_case("dept-3")
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(extra["case_id"], extra["tracking_code"], "basically_satisfied"))
    ids = [*cases.values(), extra["case_id"]]

    recount: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for case in cases_repo.get_many(ids).values():
        history = cases_repo.timeline(case.case_id, public_only=False)
        for event in history:
            if event.type in ("assigned", "reassigned"):
                recount[(event.data["lead"], month_key(event.at))].assigned += 1
            if event.type == "reassigned":
                recount[(event.data["previous"], event.data["previous_month"])].returned += 1
        a = case.assignment
        assert a is not None
        mine = recount[(a.lead.id, month_key(a.assigned_at))]
        mine.signed += int(a.signed_at is not None)
        mine.replied += len(case.replies)
        mine.rated += sum(1 for r in case.replies if r.rating)
        mine.satisfied += sum(
            1 for r in case.replies if r.rating in ("satisfied", "basically_satisfied")
        )
        mine.reopened += case.reopen_count
        mine.closed += int(case.state == "closed")

    counted = {"signed", "replied", "rated", "satisfied", "reopened", "closed", "assigned"}
    for (unit, month), expected in recount.items():
        totals = rankings_repo.month_tallies(month)[unit]
        shares = rankings_repo.cohort_cases(unit, month)
        summed = Tally()
        for share in shares.values():
            summed.add(share)
        assert summed == totals, (unit, month)
        for name in counted | {"returned"}:
            assert getattr(totals, name) == getattr(expected, name), (unit, month, name)
