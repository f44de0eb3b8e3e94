"""交办: the coordinator hands an accepted case (or an escalated reopened one) to a lead
department and co-handlers; their deadlines start and each gets a magic link."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    DepartmentRef,
    Event,
    TransitionResult,
    assignment_notices,
    begin,
    finish,
    new_assignment,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, State

ASSIGNED = EventKind(EventType.ASSIGNED, "交办", public=True)


def assign(
    case: Case,
    actor: Actor,
    *,
    lead: DepartmentRef,
    co_handlers: list[DepartmentRef],
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if case.state == State.REOPENED and not case.escalated:
        raise Conflict(
            "重办案件由原牵头单位办理", "a reopened case stays with its lead", "not_escalated"
        )
    new.assignment = new_assignment(case, lead, co_handlers, now, rules)
    new.state = State.ASSIGNED
    new.escalated = False
    new.pending = None
    names = "、".join(c.name for c in co_handlers)
    note = f"牵头单位：{lead.name}" + (f"；协办单位：{names}" if names else "")
    event = Event(
        EventType.ASSIGNED,
        now,
        actor,
        before,
        new.state,
        note,
        {"lead": lead.id, "co_handlers": ",".join(c.id for c in co_handlers)},
    )
    return finish(case, new, now, [event], assignment_notices(new.assignment))


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return assign(
        case,
        actor,
        lead=ctx.department(body["lead"], "lead"),
        co_handlers=[ctx.department(i, "co_handlers") for i in body.get("co_handlers", [])],
        now=ctx.now,
        rules=ctx.rules,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.state == State.ACCEPTED or case.escalated


ACTION = ActionDef(
    name="assign",
    label="交办",
    sources=states(State.ACCEPTED, State.REOPENED),  # reopened: only once escalated
    targets=states(State.ASSIGNED),
    actors=COORDINATORS,
    events=(ASSIGNED,),
    notices=("assigned", "assigned_lead", "assigned_co_handler"),
    route=Route("staff", "assign", "assign", "交办", "指定牵头单位和协办单位，开始计时。"),
    run=run,
    available=available,
    order=20,
)
