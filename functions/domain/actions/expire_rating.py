"""评价期满: the rating window passed without a rating; the case closes (the auto-close job)."""

from __future__ import annotations

from datetime import datetime

from functions.domain.actions.base import ActionDef, states
from functions.domain.actions.close import CLOSED
from functions.domain.cases import SYSTEM, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role, State


def expire_rating(case: Case, *, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, SYSTEM)
    if case.rating_window_ends_at is None or now < case.rating_window_ends_at:
        raise Conflict("评价期尚未结束", "the rating window is still open", "rating_window_open")
    new.state = State.CLOSED
    new.closed_at = now
    new.rating_window_ends_at = None
    event = Event(CLOSED.type, now, SYSTEM, before, new.state, "评价期满未评价，自动办结")
    return finish(case, new, now, [event], [Notice("closed", "citizen")])


ACTION = ActionDef(
    name="expire_rating",
    label="评价期满自动办结",
    sources=states(State.REPLIED),
    targets=states(State.CLOSED),
    actors=frozenset({Role.SYSTEM}),
    events=(CLOSED,),
    notices=("closed",),
    order=200,
)
