"""补充材料 (2/3): the citizen answers the lead's question on the tracking page. The case goes
back to the lead and the reply deadline resumes, its deadline later by the office time waited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    CITIZEN,
    Actor,
    Case,
    DeadlineRules,
    Event,
    InfoRequest,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict
from functions.domain.hashes import text_digest
from functions.domain.lifecycle import Role, State

SUPPLEMENTED = EventKind("supplemented", "留言人补充材料", public=True)


def resume(case: Case, request: InfoRequest, now: datetime, rules: DeadlineRules) -> None:
    """The wait is over: back to the state the case left, the reply deadline moved later by
    the office time spent waiting (working hours on working days, 调休 included)."""
    a = case.assignment
    assert a is not None
    waited = rules.calendar.working_seconds_between(request.asked_at, now)
    if waited > 0:
        moved = rules.calendar.add_working_hours(a.reply_due_at, waited / 3600)
        a.reply_due_at = moved.at
        a.provisional = a.provisional or moved.provisional
    request.paused_seconds = waited
    case.state = request.resume_state


def paused_note(seconds: float) -> str:
    hours = seconds / 3600
    return f"答复时限顺延 {hours:.1f} 个工作小时" if hours else "答复时限不变"


def supplement(case: Case, *, text: str, now: datetime, rules: DeadlineRules) -> TransitionResult:
    new, before = begin(case, ACTION, CITIZEN)
    request = new.open_info_request
    if request is None:
        raise Conflict("没有待补充的材料", "no request for information is open", "no_request")
    request.answer, request.answered_at = text.strip(), now
    resume(new, request, now, rules)
    event = Event(
        SUPPLEMENTED.type,
        now,
        CITIZEN,
        before,
        new.state,
        f"留言人已补充材料，恢复计时，{paused_note(request.paused_seconds)}",
        {
            "text_sha256": text_digest(request.answer),
            "paused_seconds": f"{request.paused_seconds:g}",
        },
    )
    notice = Notice("supplemented", "department", request.department, Role.LEAD)
    return finish(case, new, now, [event], [notice])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return supplement(case, text=body["text"], now=ctx.now, rules=ctx.rules)


ACTION = ActionDef(
    name="supplement",
    label="补充材料",
    sources=states(State.AWAITING_CITIZEN),
    targets=states(State.IN_PROGRESS, State.REOPENED),
    actors=frozenset({Role.CITIZEN}),
    events=(SUPPLEMENTED,),
    notices=("supplemented",),
    route=Route(
        "citizen",
        "supplement",
        "supplement",
        "补充材料",
        "凭查询码回答承办单位的问题；承办单位恢复办理，答复时限顺延等待的工作时间。",
    ),
    run=run,
    order=72,
)
