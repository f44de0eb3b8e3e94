"""答复: the lead answers the citizen; the reply deadline stops and the rating window opens.
Where the policy has the platform holding the case review its units' replies (答复审核, §15),
the reply waits as a draft for that review (functions/domain/actions/reply_review.py), and
:func:`publish` is what the approval then does."""

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
    ReplyReview,
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
REPLY_SUBMITTED = EventKind(EventType.REPLY_SUBMITTED, "答复提交审核")


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
    draft = Reply(now, assignment.lead, outcome, text.strip(), planned_date)
    late = now > assignment.reply_due_at
    if rules.policy.reviews_replies(case.holder, case.kind):
        return _for_review(case, new, before, actor, draft, late, now)
    event = publish(new, before, actor, draft, late, now, rules)
    return finish(case, new, now, [event], [Notice("replied", "citizen")])


def publish(
    new: Case,
    before: State,
    actor: Actor,
    reply: Reply,
    late: bool,
    now: datetime,
    rules: DeadlineRules,
    data: Mapping[str, str] | None = None,
) -> Event:
    """The reply reaches the citizen (the caller adds the ``replied`` citizen notice, which the
    followers and merged cases' citizens hear of too): the case is 已答复 and may be rated."""
    new.replies.append(reply)
    new.state = State.REPLIED
    new.rating_window_ends_at = now + timedelta(days=rules.policy.rating_window_days)
    new.reply_review = None
    return Event(
        EventType.REPLIED,
        now,
        actor,
        before,
        new.state,
        "",
        {
            "outcome": reply.outcome,
            "late": str(late).lower(),
            "text_sha256": text_digest(reply.text),
            **(data or {}),
        },
    )


def _for_review(
    case: Case, new: Case, before: State, actor: Actor, draft: Reply, late: bool, now: datetime
) -> TransitionResult:
    """答复审核: the reply waits for the platform holding the case; its coordinators are told.
    The department's reply deadline stops here as on any reply."""
    rounds = case.reply_review.rounds if case.reply_review else 0
    new.reply_review = ReplyReview(before, draft, late, rounds=rounds)
    new.state = State.REPLY_REVIEW
    event = Event(
        EventType.REPLY_SUBMITTED,
        now,
        actor,
        before,
        new.state,
        "",
        {
            "outcome": draft.outcome,
            "late": str(late).lower(),
            "text_sha256": text_digest(draft.text),
        },
    )
    return finish(case, new, now, [event], [Notice("reply_review", "coordinators")])


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
        # the reply's number once published (a draft under review is the next one)
        index = len(case.replies)
        for photo in ctx.attach_photos(list(body["photos"])):
            photo.reply = index
            result.case.photos.append(photo)
    return result


ACTION = ActionDef(
    name="reply",
    label="答复",
    sources=states(State.IN_PROGRESS, State.REOPENED),
    targets=states(State.REPLIED, State.REPLY_REVIEW),
    actors=frozenset({Role.LEAD}),
    events=(REPLIED, REPLY_SUBMITTED),
    notices=("replied", "reply_review"),
    route=Route(
        "department",
        "reply",
        "handle-reply",
        "答复",
        "答复留言人；答复时限停止计时，评价期开始。平台审核答复时（答复审核），答复先交办理该件的"
        "平台审核，审核通过后才告知留言人。",
    ),
    run=run,
    available=lead_acts,
    order=52,
)
