"""补充材料 (1/3): the lead asks the citizen for more information. The case waits for the
citizen (待补充材料) and the reply deadline stops (中止计时) until the citizen answers
(``supplement``) or the citizen's deadline passes (``supplement_expired``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    Event,
    InfoRequest,
    Notice,
    TransitionResult,
    begin,
    finish,
    lead_may_ask,
    require_lead,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role, State

INFO_REQUESTED = EventKind("info_requested", "请留言人补充材料", public=True)


def request_info(
    case: Case, actor: Actor, *, question: str, now: datetime, rules: DeadlineRules
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    assignment = require_lead(case, actor)
    policy = rules.policy
    if case.pending is not None:
        raise Conflict("已有待总平台审核的申请", "a request is already pending", "request_pending")
    if len(case.info_requests) >= policy.info_requests_allowed:
        raise Conflict(
            f"每件诉求最多请留言人补充材料 {policy.info_requests_allowed} 次，已用完",
            f"at most {policy.info_requests_allowed} requests for information per case",
            "info_requests_used",
        )
    if now > assignment.reply_due_at:
        raise Conflict(
            "已超过答复时限，不能再请留言人补充材料", "the reply is already overdue", "overdue"
        )
    due = rules.calendar.add_working_days(now, policy.supplement_working_days)
    question = question.strip()
    new.info_requests.append(InfoRequest(question, assignment.lead, now, due.at, before))
    new.state = State.AWAITING_CITIZEN
    event = Event(
        INFO_REQUESTED.type, now, actor, before, new.state, question, {"due_at": due.at.isoformat()}
    )
    return finish(case, new, now, [event], [Notice("info_requested", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return request_info(case, actor, question=body["question"], now=ctx.now, rules=ctx.rules)


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    a = case.assignment
    return (
        lead_may_ask(case, actor)
        and a is not None
        and len(case.info_requests) < ctx.rules.policy.info_requests_allowed
        and ctx.now <= a.reply_due_at
    )


ACTION = ActionDef(
    name="request-info",
    label="请留言人补充材料",
    sources=states(State.IN_PROGRESS, State.REOPENED),
    targets=states(State.AWAITING_CITIZEN),
    actors=frozenset({Role.LEAD}),
    events=(INFO_REQUESTED,),
    notices=("info_requested",),
    route=Route(
        "department",
        "request-info",
        "handle-request-info",
        "请留言人补充材料",
        "牵头单位向留言人提出需补充的材料；等待期间答复时限暂停计时（中止计时），"
        "留言人逾期未补充的恢复计时。",
    ),
    run=run,
    available=available,
    order=53,
)
