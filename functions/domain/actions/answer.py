"""直接答复 (§16): an operator or a coordinator answers a 咨询 at once, from a 知识库 entry or
in their own words, and the platform closes it without dispatch. The case, waiting for 受理 or
accepted and not yet assigned, gets a reply whose replying unit is the platform holding it
(the city's 总平台 or a county platform), goes to 已答复 and is rated like any reply; an
unsatisfied rating sends it back to the platform (已受理, to answer again or assign: see
functions/domain/actions/rate.py). The rankings count it in the platform's own line
(functions/domain/rankings.py). Only a consultation: anything else needs a unit (409)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, Route, states
from functions.domain.actions.reply import REPLIED
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    DepartmentRef,
    Event,
    Notice,
    Reply,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.hashes import text_digest
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.platforms import CITY, platform_label
from functions.domain.taxonomy import Kind, Outcome, Urgency


def answer(
    case: Case,
    actor: Actor,
    *,
    text: str,
    kb_id: str | None,
    platform: DepartmentRef,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if case.kind != Kind.CONSULTATION:
        raise Conflict(
            "只有咨询类诉求可以直接答复，其他诉求须交办承办单位",
            "only a consultation may be answered directly",
            "not_a_consultation",
        )
    if case.assignment is not None and case.state != State.ACCEPTED:  # pragma: no cover
        raise Conflict("该诉求已交办", "the case is assigned", "invalid_transition")
    late = case.triage is not None and before == State.SUBMITTED and now > case.triage.due_at
    new.urgency = case.urgency or Urgency.GENERAL  # a direct answer is also its 受理
    new.district_claimed = None
    new.replies.append(
        Reply(now, platform, Outcome.EXPLAINED, text.strip(), direct=True, kb_id=kb_id)
    )
    new.state = State.REPLIED
    new.rating_window_ends_at = now + timedelta(days=rules.policy.rating_window_days)
    data = {
        "outcome": Outcome.EXPLAINED.value,
        "late": str(late).lower(),
        "text_sha256": text_digest(text.strip()),
        "direct": "true",
        "platform": platform.id,
    }
    if kb_id:
        data["kb_id"] = kb_id
    event = Event(EventType.REPLIED, now, actor, before, new.state, "", data)
    return finish(case, new, now, [event], [Notice("replied", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    kb_id = body.get("kb_id")
    if kb_id and not ctx.known_kb(kb_id):
        raise invalid_field("kb_id", "没有这个知识库条目，或已停用", "no such live entry")
    platform = ctx.platform(case.holder) if case.holder != CITY else None
    return answer(
        case,
        actor,
        text=body["text"],
        kb_id=kb_id,
        platform=platform or DepartmentRef(case.holder, platform_label(case.holder)),
        now=ctx.now,
        rules=ctx.rules,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    return case.kind == Kind.CONSULTATION


ACTION = ActionDef(
    name="answer",
    label="直接答复",
    sources=states(State.SUBMITTED, State.ACCEPTED),
    targets=states(State.REPLIED),
    actors=COORDINATORS | {Role.OPERATOR},
    events=(REPLIED,),
    notices=("replied",),
    route=Route(
        "staff",
        "answer",
        "answer",
        "直接答复咨询",
        "话务员或平台工作人员依知识库条目（kb_id）或自拟文字直接答复咨询类诉求，不再交办："
        "诉求由办理该件的平台答复，进入已答复，留言人照常评价；不满意的退回平台重新处理。"
        "仅限待受理或已受理未交办的咨询（其他类型 409 not_a_consultation）。",
    ),
    run=run,
    available=available,
    order=14,
)
