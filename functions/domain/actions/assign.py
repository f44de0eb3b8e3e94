"""交办: the coordinator hands an accepted case (or an escalated reopened one) to a lead
department and co-handlers; their deadlines start and each gets a magic link.

1+8+N (§15): the city may instead hand the case to a county platform as a whole (市级交办,
``lead`` a county platform's id): the county then holds it and must pass it on within its
own allowance; the citizen's reply deadline starts now and stays the one clock across the
levels. A county coordinator assigns (县级交办) only to the county's own units, on that
clock."""

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
    Handoff,
    Notice,
    TransitionResult,
    Triage,
    assignment_notices,
    begin,
    finish,
    new_assignment,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.lifecycle import EventType, State

ASSIGNED = EventKind(EventType.ASSIGNED, "交办", public=True)
HANDED_DOWN = EventKind(EventType.HANDED_DOWN, "市级交办", public=True)
COUNTY_ASSIGNED = EventKind(EventType.COUNTY_ASSIGNED, "县级交办", public=True)


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
    handoff = case.handoff
    if handoff is not None:  # the citizen's clock started at the city's hand-off
        new.assignment.reply_due_at = handoff.reply_due_at
        new.assignment.reply_started_at = handoff.at
        new.assignment.provisional = new.assignment.provisional or handoff.provisional
        new.handoff = None
    new.holder = actor.platform  # the city, or the county that passed it on
    new.state = State.ASSIGNED
    new.escalated = False
    new.pending = None
    names = "、".join(c.name for c in co_handlers)
    note = f"牵头单位：{lead.name}" + (f"；协办单位：{names}" if names else "")
    event = Event(
        EventType.COUNTY_ASSIGNED if actor.scope else EventType.ASSIGNED,
        now,
        actor,
        before,
        new.state,
        note,
        {"lead": lead.id, "co_handlers": ",".join(c.id for c in co_handlers)},
    )
    return finish(case, new, now, [event], assignment_notices(new.assignment))


def hand_down(
    case: Case, actor: Actor, *, county: DepartmentRef, now: datetime, rules: DeadlineRules
) -> TransitionResult:
    """市级交办: the city hands an accepted case to county platform ``county``, which must
    pass it on within the policy's response allowance (the working hours a unit has to sign);
    the citizen's reply deadline starts now."""
    new, before = begin(case, ACTION, actor)
    if actor.scope is not None:
        raise invalid_field("lead", "分平台只能交办本级承办单位", "a county assigns to its units")
    if case.state != State.ACCEPTED or case.urgency is None:
        raise Conflict(
            "只有已受理、尚未交办的诉求可以转交县级平台",
            "only an accepted case can be handed to a county",
            "not_accepted",
        )
    cal, policy = rules.calendar, rules.policy
    passing = cal.add_working_hours(now, policy.response_working_hours)
    reply = cal.add_working_days(now, policy.reply_days(case.urgency, case.kind))
    new.holder = county.id
    new.handoff = Handoff(
        county.id, now, passing.at, reply.at, passing.provisional or reply.provisional
    )
    # The county's own clock: the platform's ladder (受理督办) runs on it until it passes the
    # case on (or gives it back).
    new.triage = Triage(started_at=now, due_at=passing.at, provisional=passing.provisional)
    event = Event(
        EventType.HANDED_DOWN,
        now,
        actor,
        before,
        new.state,
        f"转交{county.name}办理",
        {"to": county.id},
    )
    return finish(case, new, now, [event], [Notice("handed_down", "coordinators")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    county = ctx.platform(body["lead"])
    if county is not None:
        if body.get("co_handlers"):
            raise invalid_field(
                "co_handlers", "转交县级平台时不指定协办单位", "no co-handlers for a county"
            )
        return hand_down(case, actor, county=county, now=ctx.now, rules=ctx.rules)
    lead = ctx.department(body["lead"], "lead")
    co_handlers = [ctx.department(i, "co_handlers") for i in body.get("co_handlers", [])]
    require_own_units(ctx, actor, lead, co_handlers)
    return assign(case, actor, lead=lead, co_handlers=co_handlers, now=ctx.now, rules=ctx.rules)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.state == State.ACCEPTED or case.escalated


ACTION = ActionDef(
    name="assign",
    label="交办",
    sources=states(State.ACCEPTED, State.REOPENED),  # reopened: only once escalated
    targets=states(State.ASSIGNED),
    actors=COORDINATORS,
    events=(ASSIGNED, HANDED_DOWN, COUNTY_ASSIGNED),
    notices=("assigned", "assigned_lead", "assigned_co_handler", "handed_down"),
    route=Route(
        "staff",
        "assign",
        "assign",
        "交办",
        "指定牵头单位和协办单位，开始计时。`lead` 为县级平台（分平台）时为市级交办：该县（区）"
        "平台在时限内再交办本级承办单位，留言人的答复时限自市级交办起计算。",
    ),
    run=run,
    available=available,
    order=20,
)
