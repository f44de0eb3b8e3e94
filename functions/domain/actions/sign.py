"""签收: the lead department signs for an assigned case; the response deadline stops."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    TransitionResult,
    begin,
    finish,
    lead_acts,
    require_lead,
)
from functions.domain.lifecycle import EventType, Role, State

SIGNED = EventKind(EventType.SIGNED, "签收", public=True)


def sign(case: Case, actor: Actor, *, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    require_lead(case, actor)
    assert new.assignment is not None
    new.assignment.signed_at = now
    new.state = State.IN_PROGRESS
    event = Event(EventType.SIGNED, now, actor, before, new.state, f"{actor.name}已签收")
    return finish(case, new, now, [event])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return sign(case, actor, now=ctx.now)


ACTION = ActionDef(
    name="sign",
    label="签收",
    sources=states(State.ASSIGNED),
    targets=states(State.IN_PROGRESS),
    actors=frozenset({Role.LEAD}),
    events=(SIGNED,),
    route=Route("department", "sign", "empty", "签收", "牵头单位签收，签收时限停止计时。"),
    run=run,
    available=lead_acts,
    order=50,
)
