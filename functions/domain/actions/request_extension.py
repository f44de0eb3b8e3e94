"""申请延期: the lead asks the coordinator for more working days, before the reply is due,
within the policy's number of extensions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    Event,
    PendingRequest,
    TransitionResult,
    begin,
    finish,
    lead_may_ask,
    require_lead,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.lifecycle import EventType, Role, State

EXTENSION_REQUESTED = EventKind(EventType.EXTENSION_REQUESTED, "申请延期")


def request_extension(
    case: Case,
    actor: Actor,
    *,
    working_days: int,
    reason: str,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    assignment = require_lead(case, actor)
    policy = rules.policy
    if case.pending is not None:
        raise Conflict("已有待总平台审核的申请", "a request is already pending", "request_pending")
    if case.extensions_used >= policy.extensions_allowed:
        raise Conflict("延期次数已用完", "no extension left", "extension_used")
    if not 1 <= working_days <= policy.extension_max_working_days:
        raise invalid_field(
            "working_days",
            f"延期天数应为 1 至 {policy.extension_max_working_days} 个工作日",
            f"must be 1..{policy.extension_max_working_days}",
        )
    if now > assignment.reply_due_at:
        raise Conflict("已超过答复时限，不能申请延期", "the reply is already overdue", "overdue")
    new.pending = PendingRequest("extension", assignment.lead, reason.strip(), now, working_days)
    event = Event(
        EventType.EXTENSION_REQUESTED,
        now,
        actor,
        before,
        new.state,
        reason.strip(),
        {"working_days": str(working_days)},
    )
    return finish(case, new, now, [event])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return request_extension(
        case,
        actor,
        working_days=body["working_days"],
        reason=body["reason"],
        now=ctx.now,
        rules=ctx.rules,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    a = case.assignment
    return (
        lead_may_ask(case, actor)
        and a is not None
        and case.extensions_used < ctx.rules.policy.extensions_allowed
        and ctx.now <= a.reply_due_at
    )


_HANDLING = states(State.IN_PROGRESS, State.REOPENED)

ACTION = ActionDef(
    name="extension",
    label="申请延期",
    sources=_HANDLING,
    targets=_HANDLING,
    actors=frozenset({Role.LEAD}),
    events=(EXTENSION_REQUESTED,),
    route=Route("department", "extension", "handle-extension", "申请延期", "由总平台审核。"),
    run=run,
    available=available,
    order=54,
)
