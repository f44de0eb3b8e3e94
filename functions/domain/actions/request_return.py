"""申请退回: the lead asks the coordinator to take the case back (not its remit), within the
return window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.calendar import local_date
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    PendingRequest,
    TransitionResult,
    begin,
    finish,
    lead_may_ask,
    require_lead,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State

RETURN_REQUESTED = EventKind(EventType.RETURN_REQUESTED, "申请退回")


def request_return(case: Case, actor: Actor, *, reason: str, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    assignment = require_lead(case, actor)
    if case.pending is not None:
        raise Conflict("已有待总平台审核的申请", "a request is already pending", "request_pending")
    if now > assignment.return_window_ends_at:
        last = local_date(assignment.return_window_ends_at)
        raise Conflict(
            f"已超过退回时限（截至 {last:%Y年%m月%d日}）",
            f"the return window closed on {last.isoformat()}",
            "return_window_closed",
        )
    new.pending = PendingRequest("return", assignment.lead, reason.strip(), now)
    event = Event(EventType.RETURN_REQUESTED, now, actor, before, new.state, reason.strip())
    return finish(case, new, now, [event])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return request_return(case, actor, reason=body["reason"], now=ctx.now)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    a = case.assignment
    return lead_may_ask(case, actor) and a is not None and ctx.now <= a.return_window_ends_at


_HELD = states(State.ASSIGNED, State.IN_PROGRESS)

ACTION = ActionDef(
    name="return",
    label="申请退回",
    sources=_HELD,
    targets=_HELD,
    actors=frozenset({Role.LEAD}),
    events=(RETURN_REQUESTED,),
    route=Route(
        "department", "return", "handle-return", "申请退回", "在退回时限内，由总平台审核。"
    ),
    run=run,
    available=available,
    order=56,
)
