"""补充材料 in the pure domain: the pause (中止计时) as office time on the official calendar, the
way back to the state the case left, the citizen's deadline, and the sweep's part."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from functions.domain import sla
from functions.domain.calendar import SHANGHAI, WorkCalendar
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Outcome, Rating
from tests import factories
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
QUESTION = "请补充具体楼栋号和漏水位置。"


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def in_progress() -> Case:
    """Assigned Mon 2026-11-02 10:00, signed at 10:30: reply due Mon 11-09 end of day."""
    case = factories.new_case(now=sh(11, 2, 9)).case
    case = factories.accept_and_assign(
        case, COORD, lead=HOUSING, now=sh(11, 2, 10), rules=RULES
    ).case
    return domain.sign(case, LEAD, now=sh(11, 2, 10, 30)).case


ASKED_AT = sh(11, 2, 11)


def asked(case: Case | None = None, at: datetime = ASKED_AT) -> Case:
    return domain.request_info(
        case or in_progress(), LEAD, question=QUESTION, now=at, rules=RULES
    ).case


def test_the_wait_moves_the_reply_deadline_by_the_office_time_waited() -> None:
    before = in_progress()
    assert before.assignment is not None
    waiting = asked(before)
    assert waiting.state == State.AWAITING_CITIZEN and sla.next_check(waiting, RULES) == (
        waiting.info_requests[0].due_at
    )
    assert domain.running_deadlines(waiting) == []  # no rung while the citizen is asked
    answered = domain.supplement(waiting, text="3号楼地库入口顶棚", now=sh(11, 4, 11), rules=RULES)
    case = answered.case
    assert case.state == State.IN_PROGRESS and case.assignment is not None
    waited = RULES.calendar.working_seconds_between(sh(11, 2, 11), sh(11, 4, 11))
    assert case.info_requests[0].paused_seconds == waited > 0
    moved = RULES.calendar.add_working_hours(before.assignment.reply_due_at, waited / 3600).at
    assert case.assignment.reply_due_at == moved > before.assignment.reply_due_at
    assert [e.type for e in answered.events] == ["supplemented"]
    assert [(n.template, n.audience) for n in answered.notices] == [("supplemented", "department")]


def test_an_answer_outside_office_hours_of_the_same_evening_moves_nothing() -> None:
    before = in_progress()
    waiting = asked(before, at=sh(11, 2, 20))  # after office hours
    case = domain.supplement(waiting, text="补充说明：3号楼", now=sh(11, 2, 22), rules=RULES).case
    assert before.assignment is not None and case.assignment is not None
    assert case.info_requests[0].paused_seconds == 0
    assert case.assignment.reply_due_at == before.assignment.reply_due_at


def test_a_reopened_case_goes_back_to_reopened() -> None:
    case = domain.reply(
        in_progress(),
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已处理。",
        planned_date=None,
        now=sh(11, 3, 10),
        rules=RULES,
    ).case
    case = domain.rate(
        case, rating=Rating.UNSATISFIED, comment=None, now=sh(11, 3, 12), rules=RULES
    ).case
    assert case.state == State.REOPENED
    waiting = asked(case, at=sh(11, 3, 14))
    back = domain.supplement(waiting, text="仍在漏水，照片已补充", now=sh(11, 4, 9), rules=RULES)
    assert back.case.state == State.REOPENED


def test_the_citizens_deadline_is_kept_by_the_sweep() -> None:
    waiting = asked()
    due = waiting.info_requests[0].due_at
    with pytest.raises(Conflict):
        domain.supplement_expired(waiting, now=due - timedelta(seconds=1), rules=RULES)
    assert sla.climb(waiting, due - timedelta(seconds=1), RULES) is None
    expired = sla.climb(waiting, due, RULES)
    assert expired is not None and expired.case.state == State.IN_PROGRESS
    assert [e.type for e in expired.events] == ["supplement_expired"]
    assert expired.case.info_requests[0].expired_at == due
    with pytest.raises(Conflict):  # a late answer finds nothing open
        domain.supplement(expired.case, text="晚到的补充", now=due, rules=RULES)


def test_no_request_while_another_is_pending_or_after_the_deadline() -> None:
    case = in_progress()
    assert case.assignment is not None
    late = case.assignment.reply_due_at + timedelta(seconds=1)
    with pytest.raises(Conflict):
        domain.request_info(case, LEAD, question=QUESTION, now=late, rules=RULES)
    pending = domain.request_extension(
        case, LEAD, working_days=2, reason="需协调", now=sh(11, 2, 12), rules=RULES
    ).case
    with pytest.raises(Conflict):
        domain.request_info(pending, LEAD, question=QUESTION, now=sh(11, 2, 13), rules=RULES)
