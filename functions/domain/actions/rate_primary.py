"""评价主件答复: the citizen of a merged case (并件) rates the primary's reply on their own
tracking page, once per reply. It changes nothing of the primary's course: closing or
reopening stays with the primary's own citizen. A 不满意 becomes a flag on the primary for
the coordinators (an internal event and an e-mail to them), written in the same transaction
as the rating (the rating's result carries the primary's as a companion)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    CITIZEN,
    Actor,
    Case,
    Event,
    MergedComplaint,
    MergedRating,
    Notice,
    TransitionResult,
    begin,
    finish,
    require_writable,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.taxonomy import Rating

MERGED_RATED = EventKind(EventType.MERGED_RATED, "评价主件答复", public=True)
MERGED_UNSATISFIED = EventKind(EventType.MERGED_UNSATISFIED, "并件留言人不满意")


def rate_primary(
    case: Case, primary: Case, *, rating: Rating, comment: str | None, now: datetime
) -> TransitionResult:
    new, before = begin(case, ACTION, CITIZEN)
    merged = case.merged
    assert merged is not None and merged.into == primary.case_id
    n = len(primary.replies)
    if n == 0:
        raise Conflict(
            f"主件 {primary.case_id} 尚未答复，答复后才能评价",
            "the primary has no reply yet",
            "primary_not_replied",
        )
    if merged.rated(n) is not None:
        raise Conflict("该答复已评价", "this reply is already rated", "already_rated")
    comment = (comment or "").strip() or None
    new.merged = replace(merged, ratings=[*merged.ratings, MergedRating(n, rating, now, comment)])
    data = {"rating": rating.value, "into": primary.case_id, "reply": str(n)}
    event = Event(EventType.MERGED_RATED, now, CITIZEN, before, before, comment or "", data)
    result = finish(case, new, now, [event])
    if rating == Rating.UNSATISFIED:
        require_writable(primary)
        flagged = copy.deepcopy(primary)
        flagged.merged_complaints = [
            *primary.merged_complaints,
            MergedComplaint(case.case_id, n, now, comment),
        ]
        note = f"并件 {case.case_id} 的留言人对答复不满意" + (f"：{comment}" if comment else "")
        complaint = Event(
            EventType.MERGED_UNSATISFIED,
            now,
            CITIZEN,
            primary.state,
            primary.state,
            note,
            {"case_id": case.case_id, "reply": str(n)},
        )
        told = Notice("merged_unsatisfied", "coordinators")
        result.companions.append(finish(primary, flagged, now, [complaint], [told]))
    return result


def _primary(case: Case, ctx: Context) -> Case:
    if case.merged is None:  # the table allows it only from MERGED: never reached
        raise Conflict("本件未并件", "the case is not merged", "not_merged")
    return ctx.case_of(case.merged.into, "into")


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return rate_primary(
        case,
        _primary(case, ctx),
        rating=Rating(body["rating"]),
        comment=body.get("comment"),
        now=ctx.now,
    )


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    """While the primary's last reply is unrated by this citizen."""
    if case.merged is None:
        return False
    n = len(_primary(case, ctx).replies)
    return n > 0 and case.merged.rated(n) is None


ACTION = ActionDef(
    name="rate_primary",
    label="评价主件答复",
    sources=states(State.MERGED),
    targets=states(State.MERGED),
    actors=frozenset({Role.CITIZEN}),
    events=(MERGED_RATED, MERGED_UNSATISFIED),
    notices=("merged_unsatisfied",),
    route=Route(
        "citizen",
        "primary-rating",
        "rating",
        "评价主件答复（并件）",
        "并件的留言人凭本件查询码评价主件的答复，每次答复评价一次。不满意时提示总平台关注主件，"
        "重办仍由主件留言人的评价决定。",
    ),
    run=run,
    available=available,
    order=71,
)
