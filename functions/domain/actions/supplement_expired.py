"""补充材料 (3/3): the citizen did not answer by the deadline. The reply deadline runs again
and the lead replies on what it has (the SLA sweep runs it when the deadline passes)."""

from __future__ import annotations

from datetime import datetime

from functions.domain.actions.base import ActionDef, EventKind, states
from functions.domain.actions.supplement import paused_note, resume
from functions.domain.cases import (
    SYSTEM,
    Case,
    DeadlineRules,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role, State

SUPPLEMENT_EXPIRED = EventKind("supplement_expired", "补充材料期满", public=True)


def supplement_expired(case: Case, *, now: datetime, rules: DeadlineRules) -> TransitionResult:
    new, before = begin(case, ACTION, SYSTEM)
    request = new.open_info_request
    if request is None or now < request.due_at:
        raise Conflict("补充材料期限未满", "the citizen's deadline has not passed", "not_due")
    request.expired_at = now
    resume(new, request, now, rules)
    event = Event(
        SUPPLEMENT_EXPIRED.type,
        now,
        SYSTEM,
        before,
        new.state,
        f"留言人未在期限内补充材料，恢复计时，承办单位依现有材料办理；{paused_note(request.paused_seconds)}",
        {"paused_seconds": f"{request.paused_seconds:g}"},
    )
    notice = Notice("supplement_expired", "department", request.department, Role.LEAD)
    return finish(case, new, now, [event], [notice])


ACTION = ActionDef(
    name="supplement_expired",
    label="补充材料期满恢复计时",
    sources=states(State.AWAITING_CITIZEN),
    targets=states(State.IN_PROGRESS, State.REOPENED),
    actors=frozenset({Role.SYSTEM}),
    events=(SUPPLEMENT_EXPIRED,),
    notices=("supplement_expired",),
    order=205,
)
