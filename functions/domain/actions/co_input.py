"""协办意见: a co-handler gives its input to the lead, once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route
from functions.domain.cases import Actor, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.errors import Conflict, Forbidden
from functions.domain.lifecycle import WITH_DEPARTMENT, EventType, Role

CO_INPUT = EventKind(EventType.CO_INPUT, "协办意见")


def co_input(case: Case, actor: Actor, *, text: str, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    slot = new.assignment.co_handler(actor.id) if new.assignment else None
    if slot is None:
        raise Forbidden("贵单位不是本案协办单位", "not a co-handler of this case", "not_co_handler")
    if slot.input is not None:
        raise Conflict("协办意见已提交", "input already given", "input_given")
    slot.input, slot.input_at = text.strip(), now
    event = Event(EventType.CO_INPUT, now, actor, before, new.state, text.strip())
    return finish(case, new, now, [event], [Notice("co_input", "department", new.lead, Role.LEAD)])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return co_input(case, actor, text=body["text"], now=ctx.now)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    slot = case.assignment.co_handler(actor.id) if case.assignment else None
    return slot is not None and slot.input is None


ACTION = ActionDef(
    name="input",
    label="提交协办意见",
    sources=WITH_DEPARTMENT,
    targets=WITH_DEPARTMENT,
    actors=frozenset({Role.CO_HANDLER}),
    events=(CO_INPUT,),
    notices=("co_input",),
    route=Route(
        "department", "input", "handle-input", "提交协办意见", "协办单位向牵头单位提交意见，一次。"
    ),
    run=run,
    available=available,
    order=58,
)
