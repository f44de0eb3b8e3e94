"""The SLA clocks and the reminder ladder as pure rules: when each rung comes due on China's
working-day calendar, which clocks run in which state, and climbing exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.domain import sla
from functions.domain.actions import is_public
from functions.domain.calendar import SHANGHAI
from functions.domain.cases import Case
from functions.domain.lifecycle import EventType, State
from functions.domain.policy import DEFAULT_LADDER
from functions.domain.taxonomy import Rating
from tests import transitions as domain
from tests.unit.test_lifecycle import (
    COORD,
    LEAD,
    RULES,
    T0,
    assigned,
    replied,
    signed,
    submitted,
)


def sh(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def scheduled(case: Case, now: datetime | None = None) -> Case:
    """What the service's commit does after every transition: keep the rungs still earned,
    derive the next check."""
    assert case.assignment is not None
    sla.reconcile(case, now or case.updated_at or T0, RULES)
    case.assignment.next_check_at = sla.next_check(case, RULES)
    return case


def climbed(case: Case, now: datetime) -> tuple[Case, domain.TransitionResult]:
    result = sla.climb(case, now, RULES)
    assert result is not None
    return scheduled(result.case), result


def rung_times(case: Case, clock_name: str) -> dict[str, datetime]:
    running = {c.name: c for c in sla.running_deadlines(case)}[clock_name]
    return {
        r.code: sla.rung_time(r, running, RULES.calendar).astimezone(SHANGHAI)
        for r in DEFAULT_LADDER
    }


# Assigned Wed 2026-09-30 10:00 Shanghai; National Day follows; Sat 10-10 is a workday.


def test_response_clock_rungs_on_the_official_calendar() -> None:
    """8 working hours: 09-30 10:00 → 10-08 10:00. Half = 4 h, 80% = 6.4 h; overdue rungs
    count whole office days (8 h) past the deadline."""
    assert rung_times(assigned(), sla.RESPONSE) == {
        "half": sh(9, 30, 14),
        "late": sh(9, 30, 16, 24),
        "due": sh(10, 8, 10),
        "yellow": sh(10, 9, 10),
        # 40 h: 7 h left on 10-08, 10-09, 10-10 (调休), 10-12, 10-13, then 1 h on 10-14
        "red": sh(10, 14, 10),
    }


def test_reply_clock_rungs_on_the_official_calendar() -> None:
    """5 working days for a general complaint: due Tue 10-13 23:59:59. Working time from
    09-30 10:00 is 7 h + 5 × 8 h = 47 h: half at 23.5 h, 80% at 37.6 h."""
    assert rung_times(assigned(), sla.REPLY) == {
        "half": sh(10, 10, 9, 30),
        "late": sh(10, 12, 15, 36),
        "due": sh(10, 13, 23, 59, 59),
        "yellow": sh(10, 14, 17),
        "red": sh(10, 20, 17),
    }


def test_both_clocks_start_at_assignment_and_signing_stops_the_response_clock() -> None:
    case = scheduled(assigned())
    assert [c.name for c in sla.running_deadlines(case)] == [sla.RESPONSE, sla.REPLY]
    assert case.assignment is not None and case.assignment.next_check_at == sh(9, 30, 14)
    after = scheduled(signed())
    assert [c.name for c in sla.running_deadlines(after)] == [sla.REPLY]
    assert after.assignment is not None and after.assignment.next_check_at == sh(10, 10, 9, 30)


def test_the_reply_stops_every_clock() -> None:
    case = scheduled(replied())
    assert sla.running_deadlines(case) == []
    assert sla.next_check(case, RULES) is None
    assert sla.climb(case, sh(12, 1), RULES) is None


def test_a_rung_is_climbed_once() -> None:
    case = scheduled(assigned())
    assert sla.climb(case, sh(9, 30, 13, 59), RULES) is None  # not yet
    case, result = climbed(case, sh(9, 30, 14))
    assert [e.type for e in result.events] == [EventType.REMINDER]
    assert result.events[0].data["clock"] == sla.RESPONSE
    assert result.events[0].data["rung"] == "half"
    assert result.events[0].from_state == result.events[0].to_state == State.ASSIGNED
    assert is_public(result.events[0])
    (notice,) = result.notices
    assert (notice.template, notice.audience, notice.deadline) == ("sla_half", "ladder", "response")
    assert notice.rung is not None and notice.rung.recipients == ("handler",)
    assert case.assignment is not None and case.assignment.rungs == {"response": ["half"]}
    assert case.version == 4  # submit, accept, assign, then this
    # The same instant again: nothing; the next look is the 80% rung.
    assert sla.climb(case, sh(9, 30, 14), RULES) is None
    assert case.assignment.next_check_at == sh(9, 30, 16, 24)


def test_a_sweep_that_fell_behind_records_every_rung_but_sends_only_the_highest() -> None:
    case = scheduled(assigned())
    case, result = climbed(case, sh(10, 9, 12))  # response: half, late, due, yellow
    assert [(e.data["clock"], e.data["rung"]) for e in result.events] == [
        ("response", "half"),
        ("response", "late"),
        ("response", "due"),
        ("response", "yellow"),
    ]
    (notice,) = result.notices
    assert notice.template == "sla_yellow"
    assert notice.rung is not None and set(notice.rung.recipients) == {"coordinator", "leader"}
    assert case.assignment is not None and case.assignment.cards == {"response": "yellow"}
    assert sla.active_card(case) == "yellow"
    assert "超期 1 个工作日" in result.events[-1].note


def test_cards_last_only_while_their_clock_runs() -> None:
    case = scheduled(assigned())
    case, _ = climbed(case, sh(10, 9, 12))
    assert sla.active_card(case) == "yellow"
    signed_late = scheduled(domain.sign(case, LEAD, now=sh(10, 9, 13)).case)
    assert sla.active_card(signed_late) is None  # the response clock stopped
    assert signed_late.assignment is not None
    assert signed_late.assignment.cards == {"response": "yellow"}  # still on record


def test_a_red_card_after_five_working_days_overdue() -> None:
    case = scheduled(signed())
    case, result = climbed(case, sh(10, 20, 17))
    assert [e.data["rung"] for e in result.events] == ["half", "late", "due", "yellow", "red"]
    assert result.notices[0].template == "sla_red" and sla.active_card(case) == "red"
    assert case.assignment is not None and case.assignment.next_check_at is None  # top rung


def test_an_approved_extension_moves_the_reply_rungs() -> None:
    case = scheduled(signed())
    case = domain.request_extension(
        case, LEAD, working_days=3, reason="需要现场勘查", now=sh(10, 9, 10), rules=RULES
    ).case
    case = scheduled(
        domain.decide_extension(
            case,
            COORD,
            approve=True,
            working_days=None,
            note="同意",
            now=sh(10, 9, 11),
            rules=RULES,
        ).case
    )
    times = rung_times(case, sla.REPLY)
    assert times["due"] == sh(10, 16, 23, 59, 59)  # 10-14, 10-15, 10-16
    assert case.assignment is not None and case.assignment.next_check_at == times["half"]


def test_a_reopen_starts_a_new_reply_clock_with_its_own_ladder() -> None:
    case = scheduled(replied(at=sh(10, 20, 17)))  # replied late, after a red card…
    case.assignment.rungs["reply"] = ["half", "late", "due", "yellow", "red"]  # type: ignore[union-attr]
    case.assignment.cards["reply"] = "red"  # type: ignore[union-attr]
    case = domain.rate(
        case, rating=Rating.UNSATISFIED, comment="没有解决", now=sh(10, 21, 10), rules=RULES
    ).case
    case = scheduled(case)
    assert case.state == State.REOPENED and case.assignment is not None
    assert case.assignment.rungs == {} and case.assignment.cards == {}
    (reply_clock,) = sla.running_deadlines(case)
    assert reply_clock.started_at == sh(10, 21, 10)
    assert reply_clock.due_at == sh(10, 28, 23, 59, 59)
    assert case.assignment.next_check_at == rung_times(case, sla.REPLY)["half"]


def test_an_escalated_case_runs_no_department_clock() -> None:
    case = replied()
    case.reopen_count = 2
    case = domain.rate(
        case, rating=Rating.UNSATISFIED, comment=None, now=T0 + timedelta(days=3), rules=RULES
    ).case
    assert case.escalated and sla.running_deadlines(case) == []


def test_a_stale_next_check_is_rewritten_without_events() -> None:
    """Listed as due, but the policy changed and nothing is: the case is written back so its
    next check is derived afresh (and it leaves the due list)."""
    case = scheduled(assigned())
    assert case.assignment is not None
    case.assignment.next_check_at = sh(9, 30, 11)
    result = sla.climb(case, sh(9, 30, 12), RULES)
    assert result is not None and result.events == [] and result.notices == []
    assert scheduled(result.case).assignment.next_check_at == sh(9, 30, 14)  # type: ignore[union-attr]


def test_the_ladder_is_climbed_in_time_order_whatever_its_listed_order() -> None:
    assert sla.ordered(tuple(reversed(DEFAULT_LADDER))) == DEFAULT_LADDER


def test_no_clock_before_assignment_or_after_closure() -> None:
    assert sla.running_deadlines(submitted()) == []
    closed = domain.rate(
        replied(),
        rating=Rating.SATISFIED,
        comment=None,
        now=T0 + timedelta(days=3),
        rules=RULES,
    ).case
    assert closed.state == State.CLOSED and sla.running_deadlines(closed) == []


def test_an_extension_approved_after_a_card_takes_the_card_back() -> None:
    """Asked on the due date, approved after the 黄牌: the new deadline has not passed, so the
    card and the rungs now in the future are no longer held; they come due again."""
    case = scheduled(signed())
    case = domain.request_extension(
        case, LEAD, working_days=5, reason="需要协调", now=sh(10, 13, 12), rules=RULES
    ).case
    case, _ = climbed(case, sh(10, 15, 9))  # half, late, due, yellow
    assert sla.active_card(case) == "yellow"
    case = domain.decide_extension(
        case,
        COORD,
        approve=True,
        working_days=None,
        note="同意",
        now=sh(10, 15, 10),
        rules=RULES,
    ).case
    case = scheduled(case, sh(10, 15, 10))  # new reply deadline: Tue 10-20
    assert case.assignment is not None
    assert sla.active_card(case) is None and case.assignment.cards == {}
    # 87 working hours now: 50% fell on 10-13 13:30 (still held), 80% moves to 10-16 15:36.
    assert case.assignment.rungs == {"reply": ["half"]}
    assert case.assignment.next_check_at == sh(10, 16, 15, 36)
    case, again = climbed(case, sh(10, 20, 23, 59, 59))
    assert [e.data["rung"] for e in again.events] == ["late", "due"]  # 催办 at the new deadline


def test_editing_the_ladder_neither_repeats_nor_skips_a_rung() -> None:
    from dataclasses import replace

    from functions.domain.cases import DeadlineRules
    from functions.domain.policy import Rung

    case = scheduled(assigned())
    case, _ = climbed(case, sh(10, 8, 10))  # response: half, late, due
    extra = Rung("ninety", "时限临近提醒", "used", 0.9, ("handler",))
    edited = DeadlineRules(RULES.calendar, replace(RULES.policy, ladder=(*DEFAULT_LADDER, extra)))
    result = sla.climb(case, sh(10, 9, 10), edited)  # 1 working day over: yellow only
    assert result is not None
    assert [(e.data["clock"], e.data["rung"]) for e in result.events] == [("response", "yellow")]
