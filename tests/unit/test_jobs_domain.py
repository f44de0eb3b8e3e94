"""Pure rules of the scheduled jobs: the 列入计划 follow-up and the daily digest's lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.domain.actions import is_public
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.digest import open_work, standing
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Outcome, Rating
from tests import factories
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
TRANSPORT = DepartmentRef("transport", "市交通运输局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai


def assigned(case_id: str = "WZ20261102-AAAAAA") -> Case:
    case = factories.new_case(case_id=case_id, now=T0).case
    return factories.accept_and_assign(
        case, COORD, lead=HOUSING, co_handlers=[TRANSPORT], now=T0, rules=RULES
    ).case


def promised(planned: date = date(2026, 11, 12)) -> Case:
    case = domain.sign(assigned(), LEAD, now=T0).case
    return domain.reply(
        case,
        LEAD,
        outcome=Outcome.SCHEDULED,
        text="已列入明年改造计划。",
        planned_date=planned,
        now=T0,
        rules=RULES,
    ).case


def test_followup_waits_for_the_day_after_the_planned_date_in_shanghai() -> None:
    case = promised()
    assert domain.promise_awaiting_followup(case) is case.last_reply
    with pytest.raises(Conflict):  # 23:59 on the 12th in Shanghai
        domain.request_followup(case, now=datetime(2026, 11, 12, 15, 59, tzinfo=UTC))
    at = datetime(2026, 11, 12, 16, 0, tzinfo=UTC)  # 00:00 on the 13th in Shanghai
    result = domain.request_followup(case, now=at)
    (event,) = result.events
    assert event.type == EventType.FOLLOWUP_REQUESTED and not is_public(event)
    assert result.case.state == State.REPLIED and result.expected_state == State.REPLIED
    assert result.case.last_reply and result.case.last_reply.followup_requested_at == at
    (notice,) = result.notices
    assert notice.department == HOUSING and notice.link_role == Role.LEAD
    assert domain.promise_awaiting_followup(result.case) is None
    with pytest.raises(Conflict):  # once per promise
        domain.request_followup(result.case, now=at + timedelta(days=1))


def test_only_a_standing_promise_awaits_a_followup() -> None:
    resolved = domain.reply(
        domain.sign(assigned(), LEAD, now=T0).case,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已修复。",
        planned_date=None,
        now=T0,
        rules=RULES,
    ).case
    assert domain.promise_awaiting_followup(resolved) is None
    reopened = domain.rate(
        promised(), rating=Rating.UNSATISFIED, comment=None, now=T0, rules=RULES
    ).case
    assert reopened.state == State.REOPENED
    assert domain.promise_awaiting_followup(reopened) is None
    closed = domain.expire_rating(promised(), now=T0 + timedelta(days=8)).case
    assert domain.promise_awaiting_followup(closed) is closed.last_reply


def test_only_the_followup_link_opens_the_closed_case() -> None:
    closed = domain.expire_rating(promised(), now=T0 + timedelta(days=8)).case
    at = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)
    asked = domain.request_followup(closed, now=at).case
    assert domain.followup_link_open(asked, HOUSING.id, Role.LEAD, at)
    assert not domain.followup_link_open(asked, HOUSING.id, Role.LEAD, T0)  # the old link
    assert not domain.followup_link_open(asked, TRANSPORT.id, Role.CO_HANDLER, at)
    assert not domain.followup_link_open(closed, HOUSING.id, Role.LEAD, at)  # never asked


def test_digest_lists_the_lead_and_a_co_handler_owing_input() -> None:
    case = assigned()
    now = datetime(2026, 11, 3, 0, 30, tzinfo=UTC)
    work = open_work([case], now, RULES.calendar)
    (lead,) = work[HOUSING.id]
    assert lead.role == Role.LEAD and [d.label for d in lead.dues] == ["签收时限", "答复时限"]
    assert [d.standing for d in lead.dues] == ["今日到期", "剩余 4 个工作日"]
    (co,) = work[TRANSPORT.id]
    assert co.role == Role.CO_HANDLER and co.dues[0].standing == "剩余 3 个工作日"
    gave = domain.co_input(
        case, Actor(Role.CO_HANDLER, TRANSPORT.id, TRANSPORT.name), text="同意。", now=T0
    ).case
    assert set(open_work([gave], now, RULES.calendar)) == {HOUSING.id}
    assert open_work([promised()], now, RULES.calendar) == {}


def test_standing_counts_working_days_across_holidays() -> None:
    cal = RULES.calendar
    due = datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)  # Wed 23:59:59 before 国庆
    assert standing(due, datetime(2026, 9, 30, 1, 0, tzinfo=UTC), cal) == (False, "今日到期")
    assert standing(due, datetime(2026, 9, 29, 1, 0, tzinfo=UTC), cal) == (
        False,
        "剩余 1 个工作日",
    )
    # 国庆 days off (10-01…10-07) do not count; Thu 10-08, Fri 10-09 and the 调休 Saturday
    # 10-10 do.
    assert standing(due, datetime(2026, 10, 8, 1, 0, tzinfo=UTC), cal) == (
        True,
        "已超期 1 个工作日",
    )
    assert standing(due, datetime(2026, 10, 10, 1, 0, tzinfo=UTC), cal) == (
        True,
        "已超期 3 个工作日",
    )
    assert standing(due, datetime(2026, 10, 2, 1, 0, tzinfo=UTC), cal) == (True, "已超期")
