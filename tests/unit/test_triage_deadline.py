"""The platform's own 受理 deadline as pure rules (functions/domain/cases.py ``new_triage``,
functions/domain/sla.py, functions/domain/actions/triage_overdue.py): computed at submission
in office hours on China's official calendar, weekends and 调休 make-up workdays included; its
ladder climbed once per rung; ended by leaving 待受理."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from functions.domain import sla
from functions.domain.actions import is_public, triage_overdue
from functions.domain.actions.merge import merge
from functions.domain.actions.unmerge import unmerge
from functions.domain.calendar import SHANGHAI, WorkCalendar
from functions.domain.cases import Actor, Case, DeadlineRules, running_triage
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import RejectReason
from tests import factories
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def submitted(at: datetime, case_id: str = "WZ20261106-AAAAAA", **policy: float) -> Case:
    rules = (
        RULES if not policy else DeadlineRules(WorkCalendar(), replace(DEFAULT_POLICY, **policy))
    )
    case = factories.new_case(case_id=case_id, now=at, rules=rules).case
    scheduled(case)
    return case


def scheduled(case: Case) -> Case:
    """What the service's commit does after every transition: derive the next check."""
    if case.triage is not None:
        case.triage.next_check_at = sla.triage_next_check(case, RULES)
    return case


def due(case: Case) -> datetime:
    assert case.triage is not None
    return case.triage.due_at.astimezone(SHANGHAI)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Fri 15:00 → 2 h on Friday, the weekend skipped, 6 h on Monday.
        (sh(2026, 11, 6, 15), sh(2026, 11, 9, 15)),
        # Sunday evening: the clock starts Monday at 09:00.
        (sh(2026, 11, 8, 20), sh(2026, 11, 9, 17)),
        # Mon 08:00, before the office opens: a whole office day.
        (sh(2026, 11, 2, 8), sh(2026, 11, 2, 17)),
        # Fri 2026-02-13 14:00: Sat 02-14 is a 调休 workday, 3 h + 5 h.
        (sh(2026, 2, 13, 14), sh(2026, 2, 14, 14)),
        # Sat 02-14 (调休) 16:00: 1 h that day, then the Spring Festival until Tue 02-24.
        (sh(2026, 2, 14, 16), sh(2026, 2, 24, 16)),
        # Wed 09-30 10:00: 7 h that day, then the National Day holiday (10-01 to 10-07);
        # 1 h on Thu 10-08.
        (sh(2026, 9, 30, 10), sh(2026, 10, 8, 10)),
    ],
    ids=[
        "weekend",
        "sunday-night",
        "before-opening",
        "make-up-saturday",
        "spring-festival",
        "national-day",
    ],
)
def test_the_deadline_counts_office_hours_on_the_official_calendar(
    at: datetime, expected: datetime
) -> None:
    case = submitted(at)
    assert due(case) == expected
    running = running_triage(case)
    assert running is not None and running.name == "triage" and running.started_at == at
    assert case.triage is not None and not case.triage.provisional


def test_the_deadline_is_the_policys_working_hours() -> None:
    assert due(submitted(sh(2026, 11, 6, 15), triage_working_hours=4)) == sh(2026, 11, 9, 11)
    assert due(submitted(sh(2026, 11, 6, 15), triage_working_hours=1.5)) == sh(2026, 11, 6, 16, 30)


def test_a_deadline_in_an_unconfirmed_year_is_flagged() -> None:
    case = submitted(sh(2027, 3, 3, 10))
    assert case.triage is not None and case.triage.provisional


def test_the_ladder_comes_due_at_the_deadline_and_a_working_day_later() -> None:
    """Fri 2026-02-13 14:00 → due Sat 02-14 14:00 (调休); 催办 one office day (8 h) of working
    time later: 3 h on Saturday, the Spring Festival skipped, 5 h on Tue 02-24."""
    case = submitted(sh(2026, 2, 13, 14))
    assert case.triage is not None
    assert case.triage.next_check_at == sh(2026, 2, 14, 14)
    assert sla.next_look(case) == sh(2026, 2, 14, 14)
    assert sla.climb(case, sh(2026, 2, 14, 13, 59), RULES) is None

    first = sla.climb(case, sh(2026, 2, 14, 14), RULES)
    assert first is not None
    (event,) = first.events
    assert event.type == EventType.TRIAGE_REMINDER and is_public(event)
    assert event.note == "受理时限已到，尚未受理，已提醒总平台"
    assert event.data["rung"] == "due" and event.data["clock"] == "triage"
    assert event.from_state == event.to_state == State.SUBMITTED
    (notice,) = first.notices
    assert (notice.template, notice.audience, notice.deadline) == (
        "triage_overdue",
        "platform",
        "triage",
    )
    assert notice.rung is not None and notice.rung.recipients == ("coordinator",)
    case = scheduled(first.case)
    assert case.triage is not None and case.triage.rungs == ["due"]
    assert case.triage.next_check_at == sh(2026, 2, 24, 14)

    # The sweep again at once, and just before the next rung: nothing.
    assert sla.climb(case, sh(2026, 2, 14, 14, 5), RULES) is None
    assert sla.climb(case, sh(2026, 2, 24, 13, 59), RULES) is None

    second = sla.climb(case, sh(2026, 2, 24, 14), RULES)
    assert second is not None
    assert [e.data["rung"] for e in second.events] == ["urge"]
    assert second.events[0].note == "受理超时 1 个工作日，受理超时催办（总平台及管理员）"
    assert second.notices[0].rung is not None
    assert second.notices[0].rung.recipients == ("coordinator", "admin")
    assert "triage" in second.case.breaches
    case = scheduled(second.case)
    assert case.triage is not None and case.triage.next_check_at is None  # the ladder is done
    assert sla.climb(case, sh(2026, 3, 30, 10), RULES) is None


def test_a_sweep_that_fell_behind_records_each_rung_and_sends_the_highest() -> None:
    case = submitted(sh(2026, 11, 6, 15))
    late = sla.climb(case, sh(2026, 11, 20, 10), RULES)
    assert late is not None
    assert [e.data["rung"] for e in late.events] == ["due", "urge"]
    (notice,) = late.notices
    assert notice.rung is not None and notice.rung.code == "urge"


@pytest.mark.parametrize("leave", ["accept", "reject", "merge"])
def test_leaving_triage_ends_the_deadline(leave: str) -> None:
    case = submitted(sh(2026, 11, 6, 15))
    if leave == "accept":
        left = factories.accept(case, COORD, now=sh(2026, 11, 6, 16)).case
    elif leave == "reject":
        left = domain.reject(
            case,
            COORD,
            reason_code=RejectReason.SPAM,
            reason="广告",
            duplicate_of=None,
            now=sh(2026, 11, 6, 16),
        ).case
    else:
        primary = submitted(sh(2026, 11, 6, 9), case_id="WZ20261106-BBBBBB")
        left = merge(case, primary, COORD, note="同一问题", now=sh(2026, 11, 6, 16)).case
    scheduled(left)
    assert running_triage(left) is None
    assert left.triage is not None and left.triage.next_check_at is None
    assert sla.next_look(left) is None
    assert sla.climb(left, sh(2026, 11, 20, 10), RULES) is None
    assert "triage" not in left.breaches
    with pytest.raises(Conflict):
        triage_overdue.remind(left, DEFAULT_POLICY.triage_ladder, now=sh(2026, 11, 20))


def test_accepting_after_the_deadline_keeps_the_breach_on_the_record() -> None:
    case = submitted(sh(2026, 11, 6, 15))
    accepted = factories.accept(case, COORD, now=sh(2026, 11, 9, 15, 1)).case
    assert accepted.breaches == ["triage"]


def test_unmerging_back_to_triage_starts_the_deadline_afresh() -> None:
    case = submitted(sh(2026, 11, 6, 15))
    primary = submitted(sh(2026, 11, 6, 9), case_id="WZ20261106-BBBBBB")
    merged = merge(case, primary, COORD, note="同一问题", now=sh(2026, 11, 6, 16))
    back = unmerge(
        merged.case,
        merged.companions[0].case,
        COORD,
        note="并错了",
        now=sh(2026, 11, 10, 10),
        rules=RULES,
    ).case
    assert back.state == State.SUBMITTED
    assert due(back) == sh(2026, 11, 11, 10)  # 8 office hours from Tue 10:00
    assert back.triage is not None and back.triage.rungs == []
