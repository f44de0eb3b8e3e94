"""评价: the citizen rates the reply. Satisfied (or basically) closes the case; unsatisfied
reopens it with the lead (重办), or after the last allowed reopen hands it to the coordinator
(转总平台); unsatisfied with a platform's 直接答复 (§16), it goes back to that platform
(已受理: answer again or assign it to a unit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.actions.close import CLOSED
from functions.domain.cases import (
    CITIZEN,
    SYSTEM,
    Actor,
    Case,
    DeadlineRules,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.taxonomy import Rating, Urgency

RATED = EventKind(EventType.RATED, "评价", public=True)
REOPENED = EventKind(EventType.REOPENED, "重办", public=True)
ESCALATED = EventKind(EventType.ESCALATED, "转总平台处理", public=True)


def rate(
    case: Case,
    *,
    rating: Rating,
    comment: str | None,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, CITIZEN)
    last = new.last_reply
    if last is None or last.rating is not None:
        raise Conflict("该答复已评价", "this reply is already rated", "already_rated")
    last.rating, last.rating_comment, last.rated_at = rating, (comment or "").strip() or None, now
    rated = Event(
        EventType.RATED, now, CITIZEN, before, before, (comment or "").strip(), {"rating": rating}
    )
    events = [rated]
    notices: list[Notice] = []
    new.rating_window_ends_at = None
    if rating != Rating.UNSATISFIED:
        new.state = State.CLOSED
        new.closed_at = now
        events.append(Event(CLOSED.type, now, SYSTEM, before, new.state, "留言人已评价"))
        notices.append(Notice("closed", "citizen"))
    elif last.direct:
        # 直接答复: no unit to send it back to; the platform holding it answers again or
        # assigns it (已受理), and no deadline of a unit starts.
        new.state = State.ACCEPTED
        new.reopen_count += 1
        events.append(
            Event(
                EventType.REOPENED,
                now,
                SYSTEM,
                before,
                new.state,
                f"留言人对直接答复不满意，退回{last.department.name}重新处理",
                {"direct": "true"},
            )
        )
        notices.append(Notice("reopened_platform", "citizen"))
    elif case.reopen_count >= rules.policy.reopens_before_escalation:
        new.state = State.REOPENED
        new.escalated = True
        events.append(
            Event(
                EventType.ESCALATED,
                now,
                SYSTEM,
                before,
                new.state,
                "多次重办仍不满意，转总平台研究处理",
            )
        )
        notices.append(Notice("escalated", "citizen"))
    else:
        assert new.assignment is not None
        new.state = State.REOPENED
        new.reopen_count += 1
        urgency = case.urgency or Urgency.GENERAL
        due = rules.calendar.add_working_days(now, rules.policy.reply_days(urgency, case.kind))
        new.assignment.no += 1  # old links end; the lead gets a fresh one
        new.assignment.response_due_at = None
        new.assignment.reply_due_at = due.at
        new.assignment.provisional = due.provisional
        new.assignment.reply_started_at = now  # a new reply deadline, with its own ladder
        new.assignment.rungs.pop("reply", None)
        new.assignment.cards.pop("reply", None)
        events.append(
            Event(
                EventType.REOPENED,
                now,
                SYSTEM,
                before,
                new.state,
                f"第 {new.reopen_count} 次重办，退回{new.assignment.lead.name}",
            )
        )
        notices += [
            Notice("reopened", "citizen"),
            Notice("reopened_lead", "department", new.assignment.lead, Role.LEAD),
        ]
    return finish(case, new, now, events, notices)


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return rate(
        case,
        rating=Rating(body["rating"]),
        comment=body.get("comment"),
        now=ctx.now,
        rules=ctx.rules,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    last = case.last_reply
    return last is not None and last.rating is None


ACTION = ActionDef(
    name="rate",
    label="评价",
    sources=states(State.REPLIED),
    targets=states(State.CLOSED, State.REOPENED, State.ACCEPTED),
    actors=frozenset({Role.CITIZEN}),
    events=(RATED, REOPENED, ESCALATED),
    notices=("closed", "reopened", "reopened_lead", "escalated", "reopened_platform"),
    route=Route("citizen", "rating", "rating", "评价答复", "凭查询码评价；不满意则重办。"),
    run=run,
    available=available,
    order=70,
)
