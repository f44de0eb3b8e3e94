"""归档: a case closed for the configured time becomes read-only, the auditors' record (the
archive job)."""

from __future__ import annotations

from datetime import datetime

from functions.domain.actions.base import ActionDef, EventKind, states
from functions.domain.cases import SYSTEM, Case, Event, TransitionResult, archivable, begin, finish
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State

ARCHIVED = EventKind(EventType.ARCHIVED, "归档")


def archive(case: Case, *, now: datetime) -> TransitionResult:
    """Closed for the configured time: the case becomes read-only, the auditors' record."""
    new, before = begin(case, ACTION, SYSTEM)
    if not archivable(case):
        raise Conflict("计划落实情况尚未催报，暂不归档", "a promise awaits follow-up", "not_due")
    new.state = State.ARCHIVED
    new.archived_at = now
    event = Event(EventType.ARCHIVED, now, SYSTEM, before, new.state, "办结期满，归档")
    return finish(case, new, now, [event])


ACTION = ActionDef(
    name="archive",
    label="归档",
    sources=states(State.CLOSED),
    targets=states(State.ARCHIVED),
    actors=frozenset({Role.SYSTEM}),
    events=(ARCHIVED,),
    order=220,
)
