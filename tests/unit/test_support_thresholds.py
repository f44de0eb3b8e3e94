"""附议 that counts (§14) as pure rules: the window a threshold counts in, the level a day's
counts reach (a category's own thresholds over the defaults), the 热议 steps, the settings
document read and refused field by field (agreeing with its request schema), and the crossing
transition: its events, flag and notices, once per level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

import schemas
from functions.domain.actions.attention import raise_attention
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, DeadlineRules, DepartmentRef
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.support import (
    ATTENTION,
    DEFAULT_THRESHOLDS,
    LEADER,
    MAX_WINDOW_DAYS,
    SUPPORTS_LIMITS,
    SupportThresholds,
    Threshold,
    parse_thresholds,
    reached,
    step,
    thresholds_to_dict,
    window_count,
)
from tests import factories

TODAY = date(2026, 11, 8)
NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)


def per_day(*counts: int) -> dict[date, int]:
    """``counts[0]`` today, ``counts[1]`` yesterday, …"""
    return {TODAY - timedelta(days=k): n for k, n in enumerate(counts) if n}


def test_a_window_counts_today_and_the_days_before_it_only() -> None:
    days = per_day(5, 4, 3, 2, 1, 1, 1, 100)  # the 100 are 7 days ago: outside 7 days
    assert window_count(days, TODAY, 7) == 17
    assert window_count(days, TODAY, 8) == 117
    assert window_count(days, TODAY, 1) == 5
    assert window_count({TODAY + timedelta(days=1): 9}, TODAY, 7) == 0  # never the future


def test_the_defaults_are_30_for_attention_and_100_for_the_leader_within_7_days() -> None:
    assert reached(DEFAULT_THRESHOLDS, "urban", per_day(29), TODAY).level == 0
    got = reached(DEFAULT_THRESHOLDS, "urban", per_day(20, 10), TODAY)
    assert got.level == ATTENTION and got.counts == {ATTENTION: 30, LEADER: 30}
    assert reached(DEFAULT_THRESHOLDS, "urban", per_day(50, 0, 0, 0, 0, 0, 50), TODAY).level == 2
    # The same hundred spread over eight days: only 50 are within the window.
    assert reached(DEFAULT_THRESHOLDS, "urban", per_day(50, *[0] * 6, 50), TODAY).level == 1


def test_a_category_overrides_its_own_thresholds_only() -> None:
    own = SupportThresholds(categories={"transport": {"attention": Threshold(10, 3)}})
    assert reached(own, "transport", per_day(4, 3, 3), TODAY).level == ATTENTION
    assert reached(own, "transport", per_day(4, 3, 0, 3), TODAY).level == 0  # 4th day back
    assert reached(own, "urban", per_day(4, 3, 3), TODAY).level == 0
    assert own.for_category("transport")[LEADER] == DEFAULT_THRESHOLDS.leader


def test_the_hot_index_steps_exactly_to_100_then_by_tens_then_by_hundreds() -> None:
    assert [step(n) for n in (0, 1, 2, 99, 100)] == [0, 1, 2, 99, 100]
    assert [step(n) for n in (101, 109, 110, 999, 1000)] == [100, 100, 110, 990, 1000]
    assert [step(n) for n in (1001, 1099, 1100, 12345)] == [1000, 1000, 1100, 12300]
    writes = len({step(n) for n in range(1, 10_001)})
    assert writes < 300  # the tally of a case of 10 000 supports is written < 300 times


def test_a_document_round_trips_and_an_empty_one_is_the_defaults() -> None:
    assert parse_thresholds({}) == (DEFAULT_THRESHOLDS, [])
    value = SupportThresholds(
        Threshold(20, 3), Threshold(60, 7), {"urban": {"leader": Threshold(40, 7)}}
    )
    assert parse_thresholds(thresholds_to_dict(value)) == (value, [])


def _fields(body: dict[str, Any], categories: tuple[str, ...] = ("urban",)) -> set[str]:
    return {p.field for p in parse_thresholds(body, categories)[1]}


def test_every_problem_is_named_by_its_field() -> None:
    assert _fields({"attention": {"supports": 0, "days": 31}}) == {
        "attention.supports",
        "attention.days",
    }
    assert _fields(
        {"attention": {"supports": 50, "days": 7}, "leader": {"supports": 50, "days": 7}}
    ) == {"leader.supports"}
    assert _fields({"categories": {"nosuch": {"attention": {"supports": 5, "days": 1}}}}) == {
        "categories.nosuch"
    }
    assert _fields({"categories": {"urban": {"leader": {"supports": 10, "days": 7}}}}) == {
        "categories.urban.leader.supports"  # below the default 30 for attention
    }
    assert _fields({"categories": {"urban": {"loud": {"supports": 10, "days": 7}}}}) == {
        "categories.urban.loud"
    }


def test_a_stored_document_with_a_problem_keeps_the_defaults_of_that_part() -> None:
    stored = {
        "attention": {"supports": 10, "days": 99},
        "categories": {"urban": {"attention": {"supports": 5, "days": 2}}},
    }
    value, problems = parse_thresholds(stored)
    assert value.attention == DEFAULT_THRESHOLDS.attention and problems
    assert value.for_category("urban")[ATTENTION] == Threshold(5, 2)


def test_the_request_schema_states_the_domains_bounds() -> None:
    threshold = schemas.load("admin-support-thresholds")["$defs"]["threshold"]["properties"]
    assert (threshold["supports"]["minimum"], threshold["supports"]["maximum"]) == SUPPORTS_LIMITS
    assert (threshold["days"]["minimum"], threshold["days"]["maximum"]) == (1, MAX_WINDOW_DAYS)


# -- the crossing ------------------------------------------------------------------------------


def public_case(*, assigned: bool = True) -> Any:
    case = factories.new_case(now=NOW - timedelta(days=3)).case
    if assigned:
        return factories.accept_and_assign(
            case, COORD, lead=HOUSING, now=NOW - timedelta(days=3), rules=RULES
        ).case
    return factories.accept(case, COORD, now=NOW - timedelta(days=3)).case


def test_crossing_the_first_threshold_flags_the_case_and_tells_the_coordinators() -> None:
    case = public_case()
    result = raise_attention(
        case, thresholds=DEFAULT_THRESHOLDS, days=per_day(30), today=TODAY, now=NOW
    )
    new = result.case
    assert new.state == case.state == State.ASSIGNED and new.version == case.version + 1
    assert new.attention is not None and new.attention_level == ATTENTION
    assert (new.attention.at, new.attention.supports, new.attention.threshold) == (NOW, 30, 30)
    [event] = result.events
    assert event.type == EventType.ATTENTION and "7 日内 30 人附议" in event.note
    assert [(n.template, n.audience) for n in result.notices] == [("attention", "coordinators")]
    with pytest.raises(Conflict) as again:
        raise_attention(new, thresholds=DEFAULT_THRESHOLDS, days=per_day(31), today=TODAY, now=NOW)
    assert again.value.code == "attention_reached"


def test_the_second_threshold_tells_the_leads_leader_once() -> None:
    flagged = raise_attention(
        public_case(), thresholds=DEFAULT_THRESHOLDS, days=per_day(30), today=TODAY, now=NOW
    ).case
    later = NOW + timedelta(hours=5)
    result = raise_attention(
        flagged, thresholds=DEFAULT_THRESHOLDS, days=per_day(100), today=TODAY, now=later
    )
    assert [e.type for e in result.events] == [EventType.ATTENTION_LEADER]
    [notice] = result.notices
    assert (notice.template, notice.audience, notice.department) == (
        "attention_leader",
        "leader",
        HOUSING,
    )
    a = result.case.attention
    assert a is not None and a.level == LEADER and a.at == NOW and a.leader_at == later
    assert (a.leader_supports, a.leader_threshold) == (100, 100)


def test_both_thresholds_at_once_and_no_lead_yet_tell_the_coordinators_twice() -> None:
    result = raise_attention(
        public_case(assigned=False),
        thresholds=DEFAULT_THRESHOLDS,
        days=per_day(120),
        today=TODAY,
        now=NOW,
    )
    assert [e.type for e in result.events] == [EventType.ATTENTION, EventType.ATTENTION_LEADER]
    assert "尚未交办" in result.events[1].note
    assert [(n.template, n.audience) for n in result.notices] == [
        ("attention", "coordinators"),
        ("attention_leader", "coordinators"),
    ]
