"""亮晒比, pure: what each transition adds to its cohort's counters, and a seeded month ranked
with known answers (ties, minimum sample, top/bottom, counties, consecutive bottom 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, DeadlineRules, DepartmentRef
from functions.domain.lifecycle import Role, State
from functions.domain.platforms import Platform
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.rankings import (
    RankingPolicy,
    Tally,
    Unit,
    county_ranking,
    deltas,
    ranking,
    rates,
    score,
)
from functions.domain.taxonomy import Outcome, Rating
from tests import transitions as domain
from tests.factories import accept_and_assign, new_case

CALENDAR = WorkCalendar()
RULES = DeadlineRules(CALENDAR, DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
TRANSPORT = DepartmentRef("transport", "市交通运输局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
NEW_LEAD = Actor(Role.LEAD, TRANSPORT.id, TRANSPORT.name)
# Fri 2026-10-30 17:00 Shanghai: assigned in October, so October is the cohort even though
# everything after it happens in November.
T0 = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
OCT = ("housing", "2026-10")


def test_each_transition_adds_to_the_cohort_of_its_assignment() -> None:
    assigned = accept_and_assign(new_case(now=T0).case, COORD, lead=HOUSING, now=T0, rules=RULES)
    assert deltas(assigned, CALENDAR) == {OCT: {"assigned": 1}}

    # Signed Monday 2026-11-02 10:00, within the 8 office hours that started Friday 17:00.
    signed = domain.sign(assigned.case, LEAD, now=datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    assert deltas(signed, CALENDAR) == {OCT: {"signed": 1, "signed_on_time": 1}}

    # Replied on the 6th working day after the assignment: late (general: 5 working days).
    late = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    assert late > signed.case.assignment.reply_due_at  # type: ignore[union-attr]
    replied = domain.reply(
        signed.case,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已修复。" * 3,
        planned_date=None,
        now=late,
        rules=RULES,
    )
    days = CALENDAR.working_days_between(T0.date(), late.date())
    assert deltas(replied, CALENDAR) == {OCT: {"replied": 1, "reply_days": days}}

    reopened = domain.rate(
        replied.case,
        rating=Rating.UNSATISFIED,
        comment="没修好",
        now=late + timedelta(hours=1),
        rules=RULES,
    )
    assert reopened.case.state == State.REOPENED
    assert deltas(reopened, CALENDAR) == {OCT: {"rated": 1, "reopened": 1}}

    again = domain.reply(
        reopened.case,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已彻底修复。" * 3,
        planned_date=None,
        now=late + timedelta(hours=2),
        rules=RULES,
    )
    assert deltas(again, CALENDAR) == {OCT: {"replied": 1, "replied_on_time": 1}}
    closed = domain.rate(
        again.case,
        rating=Rating.BASICALLY_SATISFIED,
        comment=None,
        now=late + timedelta(hours=3),
        rules=RULES,
    )
    assert closed.case.state == State.CLOSED
    assert deltas(closed, CALENDAR) == {OCT: {"rated": 1, "satisfied": 1, "closed": 1}}


def test_a_county_platforms_assignment_to_its_unit_starts_the_units_cohort() -> None:
    """县级交办 (a county coordinator assigning to its own unit) counts as the unit's case,
    like the city's 交办: without it a county's units would rank on nothing assigned."""
    county = Actor(Role.COUNTY_COORDINATOR, "e@x", "东区值班员", scope="east-platform")
    town = DepartmentRef("east-town", "东区翠湖街道办事处")
    assigned = accept_and_assign(new_case(now=T0).case, county, lead=town, now=T0, rules=RULES)
    assert [e.type for e in assigned.events][-1] == "county_assigned"
    assert deltas(assigned, CALENDAR) == {("east-town", "2026-10"): {"assigned": 1}}


def test_a_return_counts_in_the_old_cohort_and_starts_a_new_one() -> None:
    assigned = accept_and_assign(new_case(now=T0).case, COORD, lead=HOUSING, now=T0, rules=RULES)
    asked = domain.request_return(
        assigned.case, LEAD, reason="不属于本单位职责", now=datetime(2026, 11, 2, 1, tzinfo=UTC)
    )
    moved = domain.decide_return(
        asked.case,
        COORD,
        reassign=True,
        lead=TRANSPORT,
        co_handlers=[],
        note="",
        now=datetime(2026, 11, 2, 3, tzinfo=UTC),
        rules=RULES,
    )
    assert deltas(moved, CALENDAR) == {
        OCT: {"returned": 1},
        ("transport", "2026-11"): {"assigned": 1},
    }


def _tally(assigned: int, on_time: int, closed: int, satisfied: int, rated: int) -> Tally:
    return Tally(
        assigned=assigned,
        signed=assigned,
        signed_on_time=on_time,
        replied=assigned,
        replied_on_time=on_time,
        closed=closed,
        rated=rated,
        satisfied=satisfied,
    )


def test_rates_and_the_composite_score_follow_the_published_weights() -> None:
    t = Tally(
        assigned=20,
        signed=20,
        signed_on_time=18,
        replied=16,
        replied_on_time=12,
        reply_days=48,
        closed=15,
        rated=10,
        satisfied=8,
        reopened=4,
        returned=2,
    )
    r = rates(t)
    assert r == {
        "signed_on_time_rate": 0.9,
        "replied_on_time_rate": 0.75,
        "closed_rate": 0.75,
        "satisfied_rate": 0.8,
        "reopened_rate": 0.25,
        "returned_rate": 0.1,
        "average_reply_days": 3.0,
    }
    # 响应 (0.9 + 0.75) / 2 = 0.825; 解决 0.75 × 0.75 = 0.5625; 满意 0.8
    expected = 100 * (30 * 0.825 + 35 * 0.5625 + 35 * 0.8) / 100
    assert score(r, RankingPolicy()) == round(expected, 1)
    # No ratings yet: the score stands on the parts with data.
    unrated = rates(
        Tally(assigned=10, signed=10, signed_on_time=10, replied=10, replied_on_time=10, closed=10)
    )
    assert score(unrated, RankingPolicy()) == 100.0


UNITS = [Unit(f"d{i}", f"单位{i:02d}", "city") for i in range(12)] + [
    Unit("east-gov", "东区人民政府", "east"),
    Unit("east-water", "东区水务局", "east"),
    Unit("west-gov", "西区人民政府", "west"),
]
DISTRICTS = {"city": "市本级", "east": "东区", "west": "西区"}


def _month() -> dict[str, Tally]:
    tallies = {f"d{i}": _tally(20, 20 - i, 20 - i, 10 - (i % 10), 10) for i in range(10)}
    tallies["d3"] = tallies["d2"]  # a tie with d2
    tallies["d10"] = _tally(9, 9, 9, 9, 9)  # one short of the minimum sample
    # d11: nothing assigned this month; still listed, as 样本不足
    tallies["east-gov"] = _tally(6, 6, 6, 6, 6)
    tallies["east-water"] = _tally(6, 3, 3, 3, 6)  # east: 12 cases together, ranked
    tallies["west-gov"] = _tally(10, 10, 10, 9, 10)
    return tallies


def test_a_seeded_month_ranks_with_ties_minimum_sample_and_named_ends() -> None:
    doc = ranking("2026-10", _month(), UNITS, DISTRICTS, policy=RankingPolicy())
    rows = {row["id"]: row for row in doc["departments"]}
    ranked = [row for row in doc["departments"] if row["rank"] is not None]
    assert [row["id"] for row in ranked][:4] == ["d0", "d1", "d2", "d3"]
    assert rows["d2"]["rank"] == rows["d3"]["rank"] == 3 and rows["d4"]["rank"] == 5
    assert rows["d10"]["sample_too_small"] and rows["d10"]["rank"] is None
    assert rows["d11"]["sample_too_small"] and rows["d11"]["assigned"] == 0
    assert not {"east-gov", "east-water", "west-gov"} & set(rows)  # counties rank as a whole
    top = ["d0", "d1", "d2", "d3", "d4"]
    assert [r["id"] for r in ranked if r["position"] == "top"] == top
    assert [r["id"] for r in ranked if r["position"] == "bottom"] == [
        "d5",
        "d6",
        "d7",
        "d8",
        "d9",
    ]
    counties = {row["id"]: row for row in doc["counties"]}
    assert counties["east"]["assigned"] == 12 and counties["east"]["name"] == "东区"
    assert counties["west"]["rank"] == 1 and counties["east"]["rank"] == 2
    assert "city" not in counties


def test_two_months_in_the_bottom_three_flag_a_talk() -> None:
    october = ranking("2026-10", _month(), UNITS, DISTRICTS, policy=RankingPolicy())
    assert not any(row["talk"] for row in october["departments"])
    november_tallies = _month()
    november_tallies["d9"], november_tallies["d0"] = november_tallies["d0"], november_tallies["d9"]
    november = ranking(
        "2026-11", november_tallies, UNITS, DISTRICTS, policy=RankingPolicy(), previous=october
    )
    rows = {row["id"]: row for row in november["departments"]}
    # Bottom 3 in October: d7, d8, d9. In November d9 climbed to the top; d7, d8 stayed.
    assert {r for r, row in rows.items() if row["talk"]} == {"d7", "d8"}
    assert rows["d9"]["rank_change"] == 10 - rows["d9"]["rank"] == 9
    assert rows["d0"]["rank_change"] == rows["d9"]["rank"] - 10 == -9
    assert rows["d9"]["score_change"] == -rows["d0"]["score_change"] > 0


def test_a_reply_within_an_approved_extension_counts_as_on_time() -> None:
    assigned = accept_and_assign(new_case(now=T0).case, COORD, lead=HOUSING, now=T0, rules=RULES)
    signed = domain.sign(assigned.case, LEAD, now=datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    original_due = signed.case.assignment.reply_due_at  # type: ignore[union-attr]
    asked = domain.request_extension(
        signed.case,
        LEAD,
        working_days=5,
        reason="需要现场检测后才能答复",
        now=datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
        rules=RULES,
    )
    approved = domain.decide_extension(
        asked.case,
        COORD,
        approve=True,
        working_days=5,
        note="",
        now=datetime(2026, 11, 3, 4, 0, tzinfo=UTC),
        rules=RULES,
    )
    after_original = original_due + timedelta(days=2)
    assert after_original < approved.case.assignment.reply_due_at  # type: ignore[union-attr]
    replied = domain.reply(
        approved.case,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="检测完毕，已修复。" * 2,
        planned_date=None,
        now=after_original,
        rules=RULES,
    )
    assert deltas(replied, CALENDAR)[OCT]["replied_on_time"] == 1


# --- a county platform's own ranking (§15) ---------------------------------------------------

EAST = Platform("east-platform", "东区网络问政平台", ("east",))
COUNTY_UNITS = [
    Unit("d0", "市住建局", "city", "city"),
    Unit("east-gov", "东区人民政府", "east", EAST.id),
    Unit("east-water", "东区水务局", "east", EAST.id),
    Unit("east-cuihu", "东区翠湖街道", "east", EAST.id),
    Unit("east-baisha", "东区白沙镇", "east", EAST.id),
    Unit("east-market", "东区市场监管局", "east", EAST.id),
    Unit("east-power", "东区供电所", "east", EAST.id),
    Unit("east-new", "东区新设单位", "east", EAST.id),  # nothing assigned this month
    Unit("west-gov", "西区人民政府", "west", None),  # no platform: its district's county
]


def _county_month() -> dict[str, Tally]:
    return {
        "d0": _tally(20, 20, 20, 10, 10),
        "east-gov": _tally(12, 12, 12, 10, 10),  # 100.0
        "east-water": _tally(12, 11, 11, 9, 10),
        "east-cuihu": _tally(12, 10, 10, 8, 10),
        "east-baisha": _tally(12, 9, 9, 7, 10),
        "east-market": _tally(12, 8, 8, 6, 10),
        "east-power": _tally(9, 1, 1, 1, 9),  # one short of the minimum sample
        "west-gov": _tally(10, 10, 10, 10, 10),
    }


def test_a_county_ranks_its_own_units_with_the_citys_method() -> None:
    doc = county_ranking("2026-10", _county_month(), COUNTY_UNITS, EAST, policy=RankingPolicy())
    assert doc["county"] == {"id": "east-platform", "name": "东区网络问政平台"}
    rows = {row["id"]: row for row in doc["units"]}
    assert set(rows) == {
        "east-gov",
        "east-water",
        "east-cuihu",
        "east-baisha",
        "east-market",
        "east-power",
        "east-new",
    }  # only the county's units: neither the city's nor another county's
    ranked = [row["id"] for row in doc["units"] if row["rank"] is not None]
    assert ranked == ["east-gov", "east-water", "east-cuihu", "east-baisha", "east-market"]
    assert [rows[i]["rank"] for i in ranked] == [1, 2, 3, 4, 5]
    # Top 3 and bottom 3 named; with five ranked the bottom is what the top leaves.
    assert [i for i in ranked if rows[i]["position"] == "top"] == ranked[:3]
    assert [i for i in ranked if rows[i]["position"] == "bottom"] == ranked[3:]
    assert rows["east-power"]["sample_too_small"] and rows["east-power"]["rank"] is None
    assert rows["east-new"]["assigned"] == 0 and rows["east-new"]["sample_too_small"]
    # The same figures as the city's method gives the unit.
    r = rates(_county_month()["east-water"])
    assert rows["east-water"]["score"] == score(r, RankingPolicy())
    assert rows["east-water"]["closed_rate"] == r["closed_rate"]
    assert doc["method"]["named"]["units"] == 3 and doc["frozen"] is False


def test_two_months_in_a_countys_bottom_three_flag_a_talk() -> None:
    october = county_ranking("2026-10", _county_month(), COUNTY_UNITS, EAST, policy=RankingPolicy())
    assert not any(row["talk"] for row in october["units"])
    tallies = _county_month()
    tallies["east-gov"], tallies["east-market"] = tallies["east-market"], tallies["east-gov"]
    november = county_ranking(
        "2026-11", tallies, COUNTY_UNITS, EAST, policy=RankingPolicy(), previous=october
    )
    rows = {row["id"]: row for row in november["units"]}
    # October's bottom 3: cuihu, baisha, market. Market climbed to the top in November.
    assert {i for i, row in rows.items() if row["talk"]} == {"east-cuihu", "east-baisha"}
    assert rows["east-market"]["rank_change"] == 4 and rows["east-gov"]["rank_change"] == -4


def test_a_county_with_too_few_cases_lists_its_units_unranked() -> None:
    quiet = {"east-gov": _tally(1, 1, 1, 1, 1), "east-water": _tally(2, 2, 2, 2, 2)}
    doc = county_ranking("2026-10", quiet, COUNTY_UNITS, EAST, policy=RankingPolicy(min_sample=3))
    assert all(row["rank"] is None and row["sample_too_small"] for row in doc["units"])
    assert not any(row["position"] or row["talk"] for row in doc["units"])
    ranked = county_ranking(
        "2026-10", quiet, COUNTY_UNITS, EAST, policy=RankingPolicy(min_sample=2)
    )
    assert [row["id"] for row in ranked["units"] if row["rank"]] == ["east-water"]


def test_the_city_ranks_a_county_platform_as_the_sum_of_its_units() -> None:
    tallies = _county_month()
    districts = {"city": "市本级", "east": "东区", "west": "西区"}
    doc = ranking(
        "2026-10", tallies, COUNTY_UNITS, districts, policy=RankingPolicy(), platforms=[EAST]
    )
    counties = {row["id"]: row for row in doc["counties"]}
    assert set(counties) == {"east-platform", "west"}  # a platform, and a district without one
    assert counties["east-platform"]["name"] == "东区"
    assert counties["east-platform"]["assigned"] == 12 * 5 + 9
    assert counties["west"]["assigned"] == 10
    assert {row["id"] for row in doc["departments"]} == {"d0"}
    # Last month the county was ranked by its district: the same county, month on month.
    by_district = [Unit(u.id, u.name, u.district) for u in COUNTY_UNITS]
    before = ranking("2026-09", tallies, by_district, districts, policy=RankingPolicy())
    assert {row["id"] for row in before["counties"]} == {"east", "west"}
    after = ranking(
        "2026-10",
        tallies,
        COUNTY_UNITS,
        districts,
        policy=RankingPolicy(),
        platforms=[EAST],
        previous=before,
    )
    east = next(row for row in after["counties"] if row["id"] == "east-platform")
    assert east["rank_change"] == 0 and east["score_change"] == 0.0
