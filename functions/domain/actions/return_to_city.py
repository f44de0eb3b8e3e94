"""退回市级平台 (§15): a county platform gives a case it holds back to the city with its
reason, before passing it on to one of its units (at 受理, or after the city handed it
down); the city decides what becomes of it (hands it to another county, assigns it itself).
The state stays; the county's allowance ends; the city's coordinators are told."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import Actor, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.platforms import CITY

RETURNED_TO_CITY = EventKind(EventType.RETURNED_TO_CITY, "退回市级平台", public=True)


def return_to_city(case: Case, actor: Actor, *, reason: str, now: Any) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if case.holder == CITY or case.holder != actor.scope:
        raise Conflict(
            "本件不由本县（区）平台办理，无需退回", "the county does not hold the case", "not_held"
        )
    new.holder = CITY
    new.handoff = None
    data = {"from": case.holder}
    event = Event(EventType.RETURNED_TO_CITY, now, actor, before, before, reason.strip(), data)
    return finish(case, new, now, [event], [Notice("returned_to_city", "coordinators")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return return_to_city(case, actor, reason=body["reason"], now=ctx.now)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.holder != CITY


ACTION = ActionDef(
    name="return_to_city",
    label="退回市级平台",
    sources=states(State.SUBMITTED, State.ACCEPTED),
    targets=states(State.SUBMITTED, State.ACCEPTED),
    actors=frozenset({Role.COUNTY_COORDINATOR}),
    events=(RETURNED_TO_CITY,),
    notices=("returned_to_city",),
    route=Route(
        "staff",
        "return-to-city",
        "return-to-city",
        "退回市级平台",
        "县（区）平台把不属于本级办理的诉求退回市级平台，说明理由；由市级平台决定重新交办。",
    ),
    run=run,
    available=available,
    order=23,
)
