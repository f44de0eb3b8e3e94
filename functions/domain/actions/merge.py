"""并件: the coordinator merges a duplicate into the case that reports the same problem (its
primary). The duplicate becomes ``merged``: no clock and no ranking of its own, it follows
the primary, whose reply its citizen gets. The primary records the case that now follows
it. Both cases change in one transaction (the duplicate's result carries the primary's as a
companion). At triage only: a case already with a department is handled on its own."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    Merged,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import OPEN, READ_ONLY, STATE_LABELS, EventType, State

MERGED = EventKind(EventType.MERGED, "并件办理", public=True)
MERGED_IN = EventKind(EventType.MERGED_IN, "同类诉求并入", public=True)


def _refusal(case: Case, primary: Case) -> tuple[str, str, str] | None:
    """Why ``primary`` cannot take ``case`` (message, detail, code), or None."""
    pid = primary.case_id
    if pid == case.case_id:
        return "不能并入本件自身", "a case cannot be merged into itself", "same_case"
    if primary.state in READ_ONLY:
        return f"主件 {pid} 已归档，不能并入", "the primary is archived", "primary_archived"
    if primary.state == State.MERGED:
        into = primary.merged.into if primary.merged else ""
        return (
            f"主件 {pid} 本身已并入 {into}，请并入 {into}",
            "the primary is itself merged",
            "primary_merged",
        )
    if primary.state not in OPEN:
        return (
            f"主件 {pid} 已{STATE_LABELS[primary.state].removeprefix('已')}，不能并入",
            "the primary is no longer open",
            "primary_not_open",
        )
    return None


def merge(case: Case, primary: Case, actor: Actor, *, note: str, now: datetime) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    refused = _refusal(case, primary)
    if refused is not None:
        raise Conflict(*refused)
    if case.merged_cases:
        raise Conflict(
            "已有其他诉求并入本件，本件不能再并入其他诉求",
            "cases follow this one: it cannot follow another",
            "has_merged_cases",
        )
    note = note.strip()
    new.state = State.MERGED
    new.merged = Merged(primary.case_id, before, now)
    merged = finish(
        case,
        new,
        now,
        [
            Event(
                EventType.MERGED, now, actor, before, State.MERGED, note, {"into": primary.case_id}
            )
        ],
        [Notice("merged", "citizen")],
    )
    followed = copy.deepcopy(primary)
    followed.merged_cases = [*primary.merged_cases, case.case_id]
    data = {"case_id": case.case_id, "count": str(len(followed.merged_cases))}
    event = Event(EventType.MERGED_IN, now, actor, primary.state, primary.state, note, data)
    merged.companions.append(finish(primary, followed, now, [event]))
    return merged


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return merge(case, ctx.case_of(body["into"], "into"), actor, note=body["note"], now=ctx.now)


ACTION = ActionDef(
    name="merge",
    label="并件",
    sources=states(State.SUBMITTED, State.ACCEPTED),
    targets=states(State.MERGED),
    actors=COORDINATORS,
    events=(MERGED, MERGED_IN),
    notices=("merged",),
    route=Route(
        "staff",
        "merge",
        "merge",
        "并件（合并办理）",
        "把重复诉求并入反映同一问题的主件（`into`）：本件不再单独计时和考核，主件答复后同时告知"
        "本件留言人。5 个工作日内可撤销。",
    ),
    run=run,
    order=21,
)
