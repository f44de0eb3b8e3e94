"""办结 by the coordinator: a case escalated after its last allowed reopen is closed by the
central office with a note. ``CLOSED`` is also the event of every other way a case closes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.cases import Actor, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, State

CLOSED = EventKind(EventType.CLOSED, "办结", public=True)


def close(case: Case, actor: Actor, *, note: str, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if not case.escalated:
        raise Conflict(
            "只有转总平台的重办案件可由总平台办结", "only an escalated case", "not_escalated"
        )
    new.state = State.CLOSED
    new.escalated = False
    new.closed_at = now
    event = Event(EventType.CLOSED, now, actor, before, new.state, note.strip())
    return finish(case, new, now, [event], [Notice("closed", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return close(case, actor, note=body["note"], now=ctx.now)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.escalated


ACTION = ActionDef(
    name="close",
    label="办结",
    sources=states(State.REOPENED),
    targets=states(State.CLOSED),
    actors=COORDINATORS,
    events=(CLOSED,),
    notices=("closed",),
    route=Route("staff", "close", "close", "总平台办结", "多次重办仍不满意、已转总平台的诉求。"),
    run=run,
    available=available,
    order=40,
)
