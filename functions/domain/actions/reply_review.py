"""审核答复 (答复审核, §15): the platform holding the case reviews its unit's reply before the
citizen reads it. Approving publishes the reply exactly as an unreviewed reply is published
(functions/domain/actions/reply.py ``publish``: 已答复, the citizen's notice and its fan-outs);
returning sends it back to the lead with a note and a fresh link, on the reply deadline it had
(no new deadline: the time under review is the department's own)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.actions.reply import REPLIED, publish
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.lifecycle import EventType, Role, State

REPLY_APPROVED = EventKind(EventType.REPLY_APPROVED, "答复审核通过")
REPLY_RETURNED = EventKind(EventType.REPLY_RETURNED, "答复退回修改")


def review_reply(
    case: Case,
    actor: Actor,
    *,
    approve: bool,
    note: str,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    review = case.reply_review
    if review is None or review.draft is None or new.reply_review is None:
        raise Conflict("没有待审核的答复", "no reply awaits review", "no_reply_to_review")
    note = note.strip()
    draft = review.draft
    if approve:
        approved = Event(EventType.REPLY_APPROVED, now, actor, before, State.REPLIED, note)
        # The reply is the lead's: published in its name, at the time of publication; when it
        # was written (and whether that was late) is the department's record.
        lead = Actor(Role.LEAD, draft.department.id, draft.department.name)
        published = publish(
            new,
            before,
            lead,
            replace(draft, at=now),
            review.late,
            now,
            rules,
            {"submitted_at": draft.at.isoformat()},
        )
        return finish(case, new, now, [approved, published], [Notice("replied", "citizen")])
    if not note:
        raise invalid_field("note", "退回答复须说明理由", "note is required to return a reply")
    new.reply_review = replace(
        new.reply_review, draft=None, returned_at=now, returned_note=note, rounds=review.rounds + 1
    )
    new.state = review.resume_state
    event = Event(EventType.REPLY_RETURNED, now, actor, before, new.state, note)
    notice = Notice("reply_returned", "department", draft.department, Role.LEAD)
    return finish(case, new, now, [event], [notice])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return review_reply(
        case,
        actor,
        approve=body["decision"] == "approve",
        note=body.get("note", ""),
        now=ctx.now,
        rules=ctx.rules,
    )


ACTION = ActionDef(
    name="reply-review",
    label="审核答复",
    sources=states(State.REPLY_REVIEW),
    targets=states(State.REPLIED, State.IN_PROGRESS, State.REOPENED),
    actors=COORDINATORS,
    events=(REPLY_APPROVED, REPLIED, REPLY_RETURNED),
    notices=("replied", "reply_returned"),
    route=Route(
        "staff",
        "reply-review",
        "reply-review",
        "审核答复",
        "答复审核：通过（答复告知留言人，评价期开始）或退回承办单位修改（须说明理由，"
        "原答复时限不变）。",
    ),
    run=run,
    order=32,
)
