"""催报计划落实情况: a reply promised a date (列入计划); once it has passed the lead is asked,
once, how the plan went (the follow-up job). The state stays."""

from __future__ import annotations

from datetime import datetime

from functions.domain.actions.base import ActionDef, EventKind, states
from functions.domain.calendar import local_date
from functions.domain.cases import (
    SYSTEM,
    Case,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
    promise_awaiting_followup,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State

FOLLOWUP_REQUESTED = EventKind(EventType.FOLLOWUP_REQUESTED, "催报计划落实情况")


def request_followup(case: Case, *, now: datetime) -> TransitionResult:
    """The planned date has passed (Shanghai date): ask the lead how the plan went, once. An
    internal event and an email with a fresh link (to see the case); the state stays."""
    new, before = begin(case, ACTION, SYSTEM)
    promise = promise_awaiting_followup(new)
    if promise is None or promise.planned_date is None or case.lead is None:
        raise Conflict("没有待催报的计划", "no promise awaiting a follow-up", "no_followup")
    if local_date(now) <= promise.planned_date:
        raise Conflict("计划完成日期尚未到", "the planned date has not passed", "not_due")
    promise.followup_requested_at = now
    event = Event(
        EventType.FOLLOWUP_REQUESTED,
        now,
        SYSTEM,
        before,
        new.state,
        f"计划完成日期（{promise.planned_date.isoformat()}）已过，请{promise.department.name}"
        "报告落实情况",
        {"planned_date": promise.planned_date.isoformat(), "department": promise.department.id},
    )
    notice = Notice("followup_requested", "department", promise.department, Role.LEAD)
    return finish(case, new, now, [event], [notice])


# A promise (列入计划) stands after the case closes: the follow-up changes no state.
_PROMISED = states(State.REPLIED, State.CLOSED)

ACTION = ActionDef(
    name="followup",
    label="催报计划落实情况",
    sources=_PROMISED,
    targets=_PROMISED,
    actors=frozenset({Role.SYSTEM}),
    events=(FOLLOWUP_REQUESTED,),
    notices=("followup_requested",),
    order=210,
)
