"""The leaders' dashboard's daily series (functions/domain/dashboard.py): what each transition
adds, on which Shanghai day and in which district, and the rates read from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, DeadlineRules, DepartmentRef
from functions.domain.dashboard import deltas, entries, family, months, rates, week_start
from functions.domain.lifecycle import Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Outcome, Rating
from tests import transitions as domain
from tests.factories import accept_and_assign, new_case

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
# Fri 2026-10-30 23:30 Shanghai (15:30 UTC): the Shanghai day, not the UTC one, counts.
T0 = datetime(2026, 10, 30, 15, 30, tzinfo=UTC)


def test_a_submission_counts_in_intake_by_channel_kind_and_category_on_its_shanghai_day() -> None:
    submitted = new_case(now=T0)
    assert deltas(submitted) == {
        ("2026-10-30", "city"): {
            "intake": 1,
            "channel:web": 1,
            "kind:complaint": 1,
            "category:urban": 1,
        }
    }
    [entry] = entries(submitted)
    assert (entry.day, entry.family, entry.district) == ("2026-10-30", "intake", "city")
    # Only a submission counts in intake: accepting and assigning count nowhere.
    assigned = accept_and_assign(submitted.case, COORD, lead=HOUSING, now=T0, rules=RULES)
    assert deltas(assigned) == {}


def test_replies_closings_and_reopenings_count_on_the_day_they_happen() -> None:
    assigned = accept_and_assign(new_case(now=T0).case, COORD, lead=HOUSING, now=T0, rules=RULES)
    late = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # well past 5 working days
    assert late > assigned.case.assignment.reply_due_at  # type: ignore[union-attr]
    signed = domain.sign(assigned.case, LEAD, now=T0 + timedelta(hours=1))
    assert deltas(signed) == {}
    replied = domain.reply(
        signed.case,
        LEAD,
        outcome=Outcome.EXPLAINED,
        text="已解释说明。" * 3,
        planned_date=None,
        now=late,
        rules=RULES,
    )
    assert deltas(replied) == {("2026-11-10", "city"): {"replied": 1, "replied_late": 1}}
    reopened = domain.rate(
        replied.case, rating=Rating.UNSATISFIED, comment="没修好", now=late, rules=RULES
    )
    assert reopened.case.state == State.REOPENED
    assert deltas(reopened) == {("2026-11-10", "city"): {"reopened": 1}}
    again = domain.reply(
        reopened.case,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已彻底修复。" * 3,
        planned_date=None,
        now=late + timedelta(days=1),
        rules=RULES,
    )
    assert deltas(again) == {("2026-11-11", "city"): {"replied": 1, "replied_on_time": 1}}
    closed = domain.rate(
        again.case,
        rating=Rating.BASICALLY_SATISFIED,
        comment=None,
        now=late + timedelta(days=2),
        rules=RULES,
    )
    assert closed.case.state == State.CLOSED
    assert deltas(closed) == {
        ("2026-11-12", "city"): {"closed": 1, "closed_resolved": 1, "closed_satisfied": 1}
    }
    [entry] = entries(closed)
    assert entry.family == "closed" and "closed_satisfied" in entry.series


def test_rates_read_from_the_counts_and_none_without_a_denominator() -> None:
    counts = {
        "replied": 4,
        "replied_on_time": 3,
        "closed": 5,
        "closed_resolved": 2,
        "closed_satisfied": 3,
        "closed_unsatisfied": 1,
    }
    assert rates(counts) == {
        "on_time_rate": 0.75,
        "resolution_rate": 0.4,
        "satisfaction_rate": 0.75,
    }
    assert rates({}) == {"on_time_rate": None, "resolution_rate": None, "satisfaction_rate": None}


def test_series_names_belong_to_their_family_and_windows_to_months_and_weeks() -> None:
    assert family("kind:complaint") == "intake"
    assert family("replied_on_time") == "replied"
    assert family("closed_unsatisfied") == "closed"
    assert family("reopened") == "reopened"
    assert family("kind:") is None and family("bogus") is None
    assert months(date(2025, 12, 30), date(2026, 2, 1)) == ["2025-12", "2026-01", "2026-02"]
    assert week_start("2026-11-08") == "2026-11-02"  # a Sunday belongs to its Monday's week
