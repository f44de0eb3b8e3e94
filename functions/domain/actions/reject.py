"""不予受理: the coordinator declines a new case, with a reason (a duplicate names the
original)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    Notice,
    Rejection,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import invalid_field
from functions.domain.lifecycle import EventType, State
from functions.domain.taxonomy import RejectReason

REJECTED = EventKind(EventType.REJECTED, "不予受理")


def reject(
    case: Case,
    actor: Actor,
    *,
    reason_code: RejectReason,
    reason: str,
    duplicate_of: str | None,
    now: datetime,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if reason_code == RejectReason.DUPLICATE and not duplicate_of:
        raise invalid_field("duplicate_of", "重复诉求须注明原诉求编号", "duplicate_of is required")
    new.state = State.REJECTED
    new.rejection = Rejection(reason_code, reason.strip(), duplicate_of)
    new.closed_at = now
    event = Event(
        EventType.REJECTED,
        now,
        actor,
        before,
        new.state,
        reason.strip(),
        {"reason_code": reason_code},
    )
    return finish(case, new, now, [event], [Notice("rejected", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return reject(
        case,
        actor,
        reason_code=RejectReason(body["reason_code"]),
        reason=body["reason"],
        duplicate_of=body.get("duplicate_of"),
        now=ctx.now,
    )


ACTION = ActionDef(
    name="reject",
    label="不予受理",
    sources=states(State.SUBMITTED),
    targets=states(State.REJECTED),
    actors=COORDINATORS,
    events=(REJECTED,),
    notices=("rejected",),
    route=Route("staff", "reject", "reject", "不予受理", "注明原因；重复诉求须注明原诉求编号。"),
    run=run,
    order=11,
)
