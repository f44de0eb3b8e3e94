"""答复: the lead answers the citizen; the reply deadline stops and the rating window opens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from functions.domain import photos as photo_rules
from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.calendar import local_date
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    Event,
    Notice,
    Reply,
    TransitionResult,
    begin,
    finish,
    lead_acts,
    require_lead,
)
from functions.domain.errors import invalid_field
from functions.domain.hashes import text_digest
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.taxonomy import Outcome

REPLIED = EventKind(EventType.REPLIED, "答复", public=True)


def reply(
    case: Case,
    actor: Actor,
    *,
    outcome: Outcome,
    text: str,
    planned_date: date | None,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    assignment = require_lead(case, actor)
    if outcome == Outcome.SCHEDULED:
        if planned_date is None:
            raise invalid_field(
                "planned_date",
                "列入计划的答复须填写计划完成日期",
                "planned_date is required for scheduled",
            )
        if planned_date < local_date(now):  # today in Shanghai, not in UTC
            raise invalid_field(
                "planned_date", "计划完成日期不能早于今天", "planned_date must not be in the past"
            )
    elif planned_date is not None:
        planned_date = None
    if case.pending is not None:
        new.pending = None  # a reply settles any open request
    new.replies.append(Reply(now, assignment.lead, outcome, text.strip(), planned_date))
    new.state = State.REPLIED
    new.rating_window_ends_at = now + timedelta(days=rules.policy.rating_window_days)
    event = Event(
        EventType.REPLIED,
        now,
        actor,
        before,
        new.state,
        "",
        {
            "outcome": outcome,
            "late": str(now > assignment.reply_due_at).lower(),
            "text_sha256": text_digest(new.replies[-1].text),
        },
    )
    return finish(case, new, now, [event], [Notice("replied", "citizen")])


def planned(raw: str | None) -> date | None:
    """The schema's pattern admits 2026-02-30 and 2000-00-00; a calendar date or a 400."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid_field(
            "planned_date", f"计划完成日期无效：{raw}", "must be a real date YYYY-MM-DD"
        ) from None


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    result = reply(
        case,
        actor,
        outcome=Outcome(body["outcome"]),
        text=body["text"],
        planned_date=planned(body.get("planned_date")),
        now=ctx.now,
        rules=ctx.rules,
    )
    if body.get("photos"):  # 办理前后: shown with this reply
        held, limit = len(case.photos), photo_rules.MAX_ON_CASE
        if held + len(body["photos"]) > limit:
            room = max(0, limit - held)
            raise invalid_field(
                "photos",
                f"本件已有 {held} 张照片，每件最多 {limit} 张，本次最多还能添加 {room} 张",
                f"the case holds {held} photos of at most {limit}",
            )
        index = len(result.case.replies) - 1
        for photo in ctx.attach_photos(list(body["photos"])):
            photo.reply = index
            result.case.photos.append(photo)
    return result


ACTION = ActionDef(
    name="reply",
    label="答复",
    sources=states(State.IN_PROGRESS, State.REOPENED),
    targets=states(State.REPLIED),
    actors=frozenset({Role.LEAD}),
    events=(REPLIED,),
    notices=("replied",),
    route=Route(
        "department", "reply", "handle-reply", "答复", "答复留言人；答复时限停止计时，评价期开始。"
    ),
    run=run,
    available=lead_acts,
    order=52,
)
