"""The pure domain: the lifecycle table and the side-path rules, with time as a parameter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.domain.actions import PUBLIC_EVENTS, REGISTRY
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.errors import Conflict, Forbidden, InvalidRequest
from functions.domain.lifecycle import OPEN, TERMINAL, EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Outcome, Rating, RejectReason, Urgency
from tests import factories
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
TRANSPORT = DepartmentRef("transport", "市交通运输局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
CO = Actor(Role.CO_HANDLER, TRANSPORT.id, TRANSPORT.name)
# Wed 2026-09-30 10:00 Shanghai: National Day follows, then Sat 2026-10-10 is a workday.
T0 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def submitted(now: datetime = T0) -> Case:
    return factories.new_case(case_id="WZ20260930-AAAAAA", now=now).case


def assigned(co: bool = True) -> Case:
    return factories.accept_and_assign(
        submitted(), COORD, lead=HOUSING, co_handlers=[TRANSPORT] if co else [], now=T0, rules=RULES
    ).case


def signed() -> Case:
    return domain.sign(assigned(), LEAD, now=T0 + timedelta(hours=1)).case


def replied(case: Case | None = None, at: datetime = T0 + timedelta(days=2)) -> Case:
    return domain.reply(
        case or signed(),
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已修复电梯。",
        planned_date=None,
        now=at,
        rules=RULES,
    ).case


def test_state_machine_table_is_closed_over_states() -> None:
    for name, transition in REGISTRY.items():
        assert transition.actors, name
        # Only archiving and undoing a merge (within its window) leave a terminal state; the
        # others that act on one (a follow-up on a closed case, editing its public version)
        # keep every state as it was.
        keeps_state = transition.targets == transition.sources
        leaves = name in ("archive", "unmerge")
        assert not (transition.sources & TERMINAL) or keeps_state or leaves
    assert State.SUBMITTED in OPEN and State.CLOSED not in OPEN


def test_check_names_the_state_in_chinese_when_illegal() -> None:
    with pytest.raises(Conflict) as raised:
        REGISTRY["sign"].check(State.CLOSED, Role.LEAD)
    assert "已办结" in raised.value.message
    with pytest.raises(Forbidden):
        REGISTRY["accept"].check(State.SUBMITTED, Role.LEAD)


def test_assignment_starts_both_clocks_on_the_official_calendar() -> None:
    a = assigned().assignment
    assert a is not None and a.no == 1
    # 8 working hours from Wed 10:00 → Thu 2026-10-08 10:00 Shanghai (National Day Oct 1–7).
    assert a.response_due_at == datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    # 5 working days: Oct 8, 9, 10 (make-up Saturday), 12, 13 → end of Tue Oct 13.
    assert a.reply_due_at == datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC)
    assert a.co_handlers[0].input_due_at < a.reply_due_at


def test_only_the_lead_signs_and_replies() -> None:
    case = assigned()
    with pytest.raises(Forbidden):
        domain.sign(case, CO, now=T0)
    with pytest.raises(Conflict):
        domain.reply(
            case,
            LEAD,
            outcome=Outcome.RESOLVED,
            text="x" * 20,
            planned_date=None,
            now=T0,
            rules=RULES,
        )


def test_scheduled_reply_requires_a_planned_date() -> None:
    with pytest.raises(InvalidRequest) as raised:
        domain.reply(
            signed(),
            LEAD,
            outcome=Outcome.SCHEDULED,
            text="列入明年计划。",
            planned_date=None,
            now=T0,
            rules=RULES,
        )
    assert raised.value.fields[0].field == "planned_date"
    case = domain.reply(
        signed(),
        LEAD,
        outcome=Outcome.SCHEDULED,
        text="列入明年计划。",
        planned_date=date(2027, 3, 1),
        now=T0,
        rules=RULES,
    ).case
    assert case.last_reply is not None and case.last_reply.planned_date == date(2027, 3, 1)


def test_return_only_within_the_return_window() -> None:
    case = assigned()
    late = T0 + timedelta(days=30)
    with pytest.raises(Conflict) as raised:
        domain.request_return(case, LEAD, reason="不属于本单位职责", now=late)
    assert raised.value.code == "return_window_closed"
    pending = domain.request_return(case, LEAD, reason="不属于本单位职责", now=T0).case
    assert pending.pending is not None and pending.pending.type == "return"


def test_reassignment_ends_the_old_assignment_and_restarts_the_clocks() -> None:
    case = domain.request_return(assigned(), LEAD, reason="不属于本单位职责", now=T0).case
    later = T0 + timedelta(days=9)
    result = domain.decide_return(
        case,
        COORD,
        reassign=True,
        lead=TRANSPORT,
        co_handlers=[],
        note="改派",
        now=later,
        rules=RULES,
    )
    a = result.case.assignment
    assert a is not None and a.no == 2 and a.lead == TRANSPORT and a.assigned_at == later
    assert result.events[0].type == EventType.REASSIGNED
    # The citizen learns the new lead; the new lead gets its link.
    assert [(n.template, n.audience, n.link_role) for n in result.notices] == [
        ("assigned", "citizen", None),
        ("assigned_lead", "department", Role.LEAD),
    ]


def test_extension_once_and_within_the_limit() -> None:
    case = signed()
    with pytest.raises(InvalidRequest):
        domain.request_extension(
            case, LEAD, working_days=11, reason="需要协调", now=T0, rules=RULES
        )
    case = domain.request_extension(
        case, LEAD, working_days=3, reason="需要协调", now=T0, rules=RULES
    ).case
    before = case.assignment.reply_due_at if case.assignment else None
    case = domain.decide_extension(
        case, COORD, approve=True, working_days=None, note="", now=T0, rules=RULES
    ).case
    assert case.assignment is not None and before is not None
    # Tue Oct 13 + 3 working days → Fri Oct 16.
    assert case.assignment.reply_due_at == datetime(2026, 10, 16, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(Conflict) as raised:
        domain.request_extension(case, LEAD, working_days=2, reason="再延期", now=T0, rules=RULES)
    assert raised.value.code == "extension_used"


def test_unsatisfied_rating_reopens_case_to_the_same_lead_with_a_new_clock() -> None:
    at = T0 + timedelta(days=20)
    result = domain.rate(
        replied(), rating=Rating.UNSATISFIED, comment="没修好", now=at, rules=RULES
    )
    case = result.case
    assert case.state == State.REOPENED and case.reopen_count == 1
    assert case.assignment is not None and case.assignment.no == 2
    assert case.assignment.lead == HOUSING and case.assignment.reply_due_at > at
    assert [e.type for e in result.events] == [EventType.RATED, EventType.REOPENED]
    assert any(n.link_role == Role.LEAD for n in result.notices)


def test_after_two_reopens_the_case_goes_to_the_coordinator() -> None:
    case = replied()
    for round_ in range(2):
        case = domain.rate(case, rating=Rating.UNSATISFIED, comment=None, now=T0, rules=RULES).case
        case = replied(case, T0 + timedelta(days=3 + round_))
    case = domain.rate(case, rating=Rating.UNSATISFIED, comment=None, now=T0, rules=RULES).case
    assert case.state == State.REOPENED and case.escalated and case.reopen_count == 2
    assert domain.coordinator_actions(case) == ["assign", "close"]
    with pytest.raises(Forbidden):
        domain.reply(
            case,
            Actor(Role.LEAD, "other"),
            outcome=Outcome.RESOLVED,
            text="x" * 12,
            planned_date=None,
            now=T0,
            rules=RULES,
        )
    closed = domain.close(case, COORD, note="经研究，已向留言人解释说明", now=T0).case
    assert closed.state == State.CLOSED


def test_a_reply_is_rated_once() -> None:
    case = domain.rate(replied(), rating=Rating.SATISFIED, comment=None, now=T0, rules=RULES).case
    assert case.state == State.CLOSED
    with pytest.raises(Conflict):
        domain.rate(case, rating=Rating.SATISFIED, comment=None, now=T0, rules=RULES)


def test_rejection_of_a_duplicate_names_the_original() -> None:
    with pytest.raises(InvalidRequest):
        domain.reject(
            submitted(),
            COORD,
            reason_code=RejectReason.DUPLICATE,
            reason="重复",
            duplicate_of=None,
            now=T0,
        )
    case = domain.reject(
        submitted(), COORD, reason_code=RejectReason.SPAM, reason="广告", duplicate_of=None, now=T0
    ).case
    assert case.state == State.REJECTED and case.closed_at == T0


def test_a_case_is_public_only_with_both_consents_and_after_acceptance() -> None:
    case = submitted()
    assert not case.is_public
    accepted = domain.accept(
        case, COORD, urgency=Urgency.URGENT, category=None, approve_public=True, now=T0
    ).case
    assert accepted.is_public
    refused = domain.accept(
        case, COORD, urgency=Urgency.URGENT, category=None, approve_public=False, now=T0
    ).case
    assert not refused.is_public


def test_internal_events_stay_internal() -> None:
    assert EventType.CO_INPUT not in PUBLIC_EVENTS
    assert EventType.RETURN_REQUESTED not in PUBLIC_EVENTS
    assert EventType.REPLIED in PUBLIC_EVENTS


def test_department_actions_follow_the_state_and_the_role() -> None:
    case = assigned()
    policy = DEFAULT_POLICY
    assert domain.department_actions(case, HOUSING.id, Role.LEAD, T0, policy) == ["sign", "return"]
    assert domain.department_actions(case, TRANSPORT.id, Role.CO_HANDLER, T0, policy) == ["input"]
    case = domain.sign(case, LEAD, now=T0).case
    assert domain.department_actions(case, HOUSING.id, Role.LEAD, T0, policy) == [
        "reply",
        "request-info",
        "extension",
        "return",
    ]


@pytest.mark.parametrize("allowed", [0, 1, 2])
def test_the_extension_action_follows_the_extensions_the_policy_allows(allowed: int) -> None:
    rules = DeadlineRules(WorkCalendar(), replace(DEFAULT_POLICY, extensions_allowed=allowed))
    case = domain.sign(assigned(), LEAD, now=T0).case
    offered = []
    for n in range(3):
        at = T0 + timedelta(hours=n + 1)
        offered.append(
            "extension" in domain.department_actions(case, HOUSING.id, Role.LEAD, at, rules.policy)
        )
        if not offered[-1]:
            break
        asked = domain.request_extension(
            case, LEAD, working_days=1, reason="需协调", now=at, rules=rules
        ).case
        case = domain.decide_extension(
            asked, COORD, approve=True, working_days=None, note="", now=at, rules=rules
        ).case
    # Offered exactly as many times as the policy allows, then no more.
    assert offered == [True] * allowed + [False]
