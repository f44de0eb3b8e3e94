"""The settings documents as pure values: the SLA policy and the calendar overrides to JSON and
back, the rules a document must keep (named field by field), the request schemas agreeing
with the domain's bounds, and the reply cap an approved extension may not pass."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

import schemas
from functions.domain.calendar import OfficeHours, WorkCalendar
from functions.domain.calendar_settings import CalendarSettings, parse_calendar
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role
from functions.domain.policy import (
    DEFAULT_POLICY,
    LIMITS,
    REPLY_DAYS_LIMITS,
    SlaPolicy,
    parse_policy,
    policy_to_dict,
)
from functions.domain.taxonomy import Kind, Urgency
from tests import factories
from tests import transitions as domain

COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai


def _fields(problems: list[Any]) -> set[str]:
    return {p.field for p in problems}


# -- the policy --------------------------------------------------------------------------------


def test_the_default_policy_round_trips_through_json() -> None:
    doc = policy_to_dict(DEFAULT_POLICY)
    assert doc["reply_working_days"] == {
        "default": {"urgent": 2, "general": 5, "complex": 15},
        "consultation": {"urgent": 1, "general": 3, "complex": 10},
    }
    assert doc["ladder"][4] == {
        "code": "red",
        "label": "红牌督办",
        "trigger": "overdue",
        "amount": 5,
        "recipients": ["coordinator", "leader", "spokesperson"],
        "sms": True,
        "card": "red",
    }
    assert parse_policy(doc) == (DEFAULT_POLICY, [])
    assert parse_policy({}) == (DEFAULT_POLICY, [])


def test_a_partial_document_keeps_the_defaults_for_what_it_leaves_out() -> None:
    policy, problems = parse_policy(
        {"reply_working_days": {"default": {"urgent": 3, "general": 6, "complex": 20}}}
    )
    assert problems == []
    assert policy.reply_days(Urgency.GENERAL, Kind.CONSULTATION) == 6  # the table was replaced
    assert policy.reply_cap_working_days == 30 and policy.ladder == DEFAULT_POLICY.ladder


def test_every_problem_in_a_policy_is_named_and_keeps_its_default() -> None:
    policy, problems = parse_policy(
        {
            "response_working_hours": 0,
            "extensions_allowed": 1.5,
            "rating_window_days": True,
            "reply_cap_working_days": 20,
            "reply_working_days": {
                "default": {"urgent": 2, "general": 25},
                "complaint": {"sometimes": 3},
                "gossip": {"general": 1},
            },
            "ladder": [
                {
                    "code": "a",
                    "label": "过半",
                    "trigger": "used",
                    "amount": 1.2,
                    "recipients": ["handler"],
                },
                {
                    "code": "a",
                    "label": "到期",
                    "trigger": "due",
                    "amount": 0,
                    "recipients": ["mayor"],
                    "card": "green",
                },
            ],
        }
    )
    assert _fields(problems) == {
        "response_working_hours",
        "extensions_allowed",
        "rating_window_days",
        "reply_working_days.default.general",  # over the cap of 20
        "reply_working_days.default",  # complex is missing
        "reply_working_days.complaint.sometimes",
        "reply_working_days.gossip",
        "ladder.0.amount",
        "ladder.1.recipients",
        "ladder.1.card",
    }
    assert all(p.message and p.message_en for p in problems)
    assert policy == SlaPolicy(reply_cap_working_days=20)


def test_a_cap_below_the_reply_table_is_refused() -> None:
    policy, problems = parse_policy({"reply_cap_working_days": 10})
    assert _fields(problems) == {"reply_cap_working_days"}
    assert "15" in problems[0].message
    assert policy == DEFAULT_POLICY


def test_duplicate_rung_codes_are_refused() -> None:
    rung = {
        "code": "due",
        "label": "到期",
        "trigger": "due",
        "amount": 0,
        "recipients": ["handler"],
    }
    _, problems = parse_policy({"ladder": [rung, rung]})
    assert _fields(problems) == {"ladder.1.code"}


def test_the_platforms_own_triage_limit_and_ladder_are_policy_values() -> None:
    """受理时限: 8 working hours by default, fractions allowed; its ladder writes e-mail to the
    coordinators and the admins, never a card or an SMS, and never to a department."""
    assert DEFAULT_POLICY.triage_working_hours == 8
    assert [r.code for r in DEFAULT_POLICY.triage_ladder] == ["due", "urge"]
    policy, problems = parse_policy({"triage_working_hours": 4.5})
    assert problems == [] and policy.triage_working_hours == 4.5
    bad = {"code": "x", "label": "催办", "trigger": "overdue", "amount": 1}
    policy, problems = parse_policy(
        {
            "triage_working_hours": 0,
            "triage_ladder": [
                {**bad, "recipients": ["handler"]},
                {**bad, "code": "y", "recipients": ["admin"], "sms": True, "card": "red"},
            ],
        }
    )
    assert _fields(problems) == {
        "triage_working_hours",
        "triage_ladder.0.recipients",
        "triage_ladder.1.sms",
        "triage_ladder.1.card",
    }
    assert policy == DEFAULT_POLICY


def test_the_request_schema_states_the_domain_bounds() -> None:
    """schemas/admin-policy.json and functions/domain/policy.py LIMITS say the same."""
    properties = schemas.load("admin-policy")["properties"]
    for name, (lo, hi) in LIMITS.items():
        assert (properties[name]["minimum"], properties[name]["maximum"]) == (lo, hi), name
    days = schemas.load("admin-policy")["$defs"]["days"]
    assert (days["minimum"], days["maximum"]) == REPLY_DAYS_LIMITS
    rows = properties["reply_working_days"]["properties"]
    assert set(rows) == {"default"} | {k.value for k in Kind}
    assert set(policy_to_dict(DEFAULT_POLICY)) == set(properties)


# -- the calendar overrides --------------------------------------------------------------------


def test_calendar_overrides_round_trip_sorted_and_without_repeats() -> None:
    overrides, problems = parse_calendar(
        {
            "extra_holidays": ["2026-12-24", "2026-11-04", "2026-12-24"],
            "extra_workdays": ["2026-11-07"],
            "confirmed_through": 2027,
            "office_hours": {"opens": "08:30", "closes": "17:30"},
        }
    )
    assert problems == []
    assert overrides == CalendarSettings(
        (date(2026, 11, 4), date(2026, 12, 24)),
        (date(2026, 11, 7),),
        2027,
        OfficeHours(time(8, 30), time(17, 30)),
    )
    assert parse_calendar(overrides.to_dict()) == (overrides, [])
    calendar = overrides.calendar(default_confirmed_through=2026)
    assert calendar.confirmed_through == 2027
    assert not calendar.is_working_day(date(2026, 11, 4))
    assert calendar.is_working_day(date(2026, 11, 7))


def test_without_a_year_the_deployment_setting_decides() -> None:
    overrides, _ = parse_calendar({"extra_holidays": []})
    assert overrides.confirmed_through is None
    assert "confirmed_through" not in overrides.to_dict()
    assert overrides.calendar(default_confirmed_through=2025).confirmed_through == 2025


def test_every_problem_in_calendar_overrides_is_named() -> None:
    overrides, problems = parse_calendar(
        {
            "extra_holidays": ["2026-11-04", "2026-02-30", "2026-11-20"],
            "extra_workdays": ["2026-11-20", 20261121],
            "confirmed_through": 1999,
            "office_hours": {"opens": "18:00", "closes": "09:00"},
        }
    )
    assert _fields(problems) == {
        "extra_holidays.1",
        "extra_workdays.1",
        "extra_workdays",  # 2026-11-20 is on both lists
        "confirmed_through",
        "office_hours.closes",
    }
    both = next(p for p in problems if p.field == "extra_workdays")
    assert "2026-11-20" in both.message and "2026-11-20" in both.message_en
    # Read leniently: the good dates stay, the contested one keeps the official verdict.
    assert overrides.extra_holidays == (date(2026, 11, 4),)
    assert overrides.extra_workdays == ()
    assert overrides.confirmed_through is None and overrides.office_hours == OfficeHours()


# -- the reply cap ----------------------------------------------------------------------------


def _pending_extension(days: int, rules: DeadlineRules) -> Case:
    case = factories.new_case(case_id="WZ20261102-AAAAAA", now=T0).case
    case = factories.accept_and_assign(case, COORD, lead=HOUSING, now=T0, rules=rules).case
    case = domain.sign(case, LEAD, now=T0 + timedelta(hours=1)).case
    return domain.request_extension(
        case, LEAD, working_days=days, reason="需要协调", now=T0, rules=rules
    ).case


def test_an_extension_may_not_run_the_reply_clock_past_the_cap() -> None:
    # Reply in 5 working days (Mon 9 Nov), cap 8 (Thu 12 Nov).
    rules = DeadlineRules(WorkCalendar(), SlaPolicy(reply_cap_working_days=8))
    case = _pending_extension(5, rules)
    with pytest.raises(Conflict) as refused:
        domain.decide_extension(
            case, COORD, approve=True, working_days=None, note="", now=T0, rules=rules
        )
    assert refused.value.code == "reply_cap_exceeded"
    assert "8 个工作日" in refused.value.message and "2026-11-12" in refused.value.message
    assert "8 working days" in refused.value.message_en
    approved = domain.decide_extension(
        case, COORD, approve=True, working_days=3, note="", now=T0, rules=rules
    ).case
    assert approved.assignment is not None
    assert approved.assignment.reply_due_at == datetime(2026, 11, 12, 15, 59, 59, tzinfo=UTC)
    refused_anyway = domain.decide_extension(
        case, COORD, approve=False, working_days=None, note="可按期办结", now=T0, rules=rules
    )
    assert refused_anyway.case.pending is None  # refusing is never limited by the cap
