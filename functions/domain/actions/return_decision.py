"""审核退回申请: the coordinator decides a lead's request to return the case: keep the
assignment (维持交办) or reassign it to another lead (改派), whose deadlines start afresh."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import (
    COORDINATORS,
    ActionDef,
    Context,
    EventKind,
    Route,
    require_own_units,
    states,
)
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    DepartmentRef,
    Event,
    Notice,
    TransitionResult,
    assignment_notices,
    begin,
    finish,
    month_key,
    new_assignment,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.lifecycle import EventType, Role, State

REASSIGNED = EventKind(EventType.REASSIGNED, "改派", public=True)
RETURN_REFUSED = EventKind(EventType.RETURN_REFUSED, "维持交办")


def decide_return(
    case: Case,
    actor: Actor,
    *,
    reassign: bool,
    lead: DepartmentRef | None,
    co_handlers: list[DepartmentRef],
    note: str,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if case.pending is None or case.pending.type != "return" or case.assignment is None:
        raise Conflict("没有待审核的退回申请", "no return request pending", "no_request")
    new.pending = None
    if not reassign:
        event = Event(EventType.RETURN_REFUSED, now, actor, before, new.state, note.strip())
        return finish(
            case, new, now, [event], [Notice("return_refused", "department", new.lead, Role.LEAD)]
        )
    if lead is None:
        raise invalid_field("lead", "改派须指定新的牵头单位", "lead is required to reassign")
    if lead.id == case.assignment.lead.id:
        raise invalid_field("lead", "新的牵头单位与原单位相同", "same lead as before")
    new.assignment = new_assignment(case, lead, co_handlers, now, rules)
    new.state = State.ASSIGNED
    event = Event(
        EventType.REASSIGNED,
        now,
        actor,
        before,
        new.state,
        f"改派至：{lead.name}",
        {
            "lead": lead.id,
            "previous": case.assignment.lead.id,
            # the previous lead's ranking cohort (亮晒比 counts the return there)
            "previous_month": month_key(case.assignment.assigned_at),
        },
    )
    return finish(case, new, now, [event], assignment_notices(new.assignment))


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    reassign = body["decision"] == "reassign"
    lead = ctx.department(body["lead"], "lead") if reassign and body.get("lead") else None
    co_handlers = [ctx.department(i, "co_handlers") for i in body.get("co_handlers", [])]
    require_own_units(ctx, actor, lead, co_handlers)
    return decide_return(
        case,
        actor,
        reassign=reassign,
        lead=lead,
        co_handlers=co_handlers,
        note=body.get("note", ""),
        now=ctx.now,
        rules=ctx.rules,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.pending is not None and case.pending.type == "return"


_HELD = states(State.ASSIGNED, State.IN_PROGRESS)

ACTION = ActionDef(
    name="return-decision",
    label="审核退回申请",
    sources=_HELD,
    targets=_HELD,
    actors=COORDINATORS,
    events=(REASSIGNED, RETURN_REFUSED),
    notices=("return_refused", "assigned", "assigned_lead", "assigned_co_handler"),
    route=Route(
        "staff",
        "return-decision",
        "return-decision",
        "审核退回申请",
        "维持交办，或改派至新的牵头单位（重新计时）。",
    ),
    run=run,
    available=available,
    order=30,
)
