"""撤销并件: within 5 working days of a merge, the coordinator takes the duplicate back out of
its primary: it returns to the state it left and is handled on its own again (back at 待受理,
the platform's 受理 deadline starts afresh: the merge was its decision); both citizens are
told. Both cases change in one transaction."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
    new_triage,
    require_writable,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import AWAITING_TRIAGE, EventType, State

UNMERGE_WORKING_DAYS = 5

UNMERGED = EventKind(EventType.UNMERGED, "撤销并件", public=True)
UNMERGED_OUT = EventKind(EventType.UNMERGED_OUT, "同类诉求撤销并入", public=True)


def unmerge_until(case: Case, rules: DeadlineRules) -> datetime | None:
    """Until when the merge may be undone (None: the case is not merged)."""
    if case.merged is None:
        return None
    return rules.calendar.add_working_days(case.merged.at, UNMERGE_WORKING_DAYS).at


def unmerge(
    case: Case, primary: Case, actor: Actor, *, note: str, now: datetime, rules: DeadlineRules
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    assert case.merged is not None and primary.case_id == case.merged.into
    until = unmerge_until(case, rules)
    if until is not None and now > until:
        raise Conflict(
            f"并件已超过 {UNMERGE_WORKING_DAYS} 个工作日，不能撤销",
            f"a merge can be undone within {UNMERGE_WORKING_DAYS} working days",
            "unmerge_window_closed",
        )
    require_writable(primary)
    note = note.strip()
    new.state = case.merged.left
    new.merged = None
    if new.state in AWAITING_TRIAGE:
        new.triage = new_triage(now, rules)
    event = Event(
        EventType.UNMERGED, now, actor, before, new.state, note, {"from": primary.case_id}
    )
    result = finish(case, new, now, [event], [Notice("unmerged", "citizen")])
    left = copy.deepcopy(primary)
    left.merged_cases = [c for c in primary.merged_cases if c != case.case_id]
    data = {"case_id": case.case_id, "count": str(len(left.merged_cases))}
    out = Event(EventType.UNMERGED_OUT, now, actor, primary.state, primary.state, note, data)
    result.companions.append(
        finish(primary, left, now, [out], [Notice("unmerged_primary", "citizen")])
    )
    return result


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    if case.merged is None:  # the table allows it only from MERGED: never reached
        raise Conflict("本件未并件", "the case is not merged", "not_merged")
    primary = ctx.case_of(case.merged.into, "into")
    return unmerge(case, primary, actor, note=body["note"], now=ctx.now, rules=ctx.rules)


def _window_open(case: Case, actor: Actor, ctx: Context) -> bool:
    until = unmerge_until(case, ctx.rules)
    return until is not None and ctx.now <= until


ACTION = ActionDef(
    name="unmerge",
    label="撤销并件",
    sources=states(State.MERGED),
    targets=states(State.SUBMITTED, State.ACCEPTED),
    actors=COORDINATORS,
    events=(UNMERGED, UNMERGED_OUT),
    notices=("unmerged", "unmerged_primary"),
    route=Route(
        "staff",
        "unmerge",
        "unmerge",
        "撤销并件",
        f"并件后 {UNMERGE_WORKING_DAYS} 个工作日内可撤销：本件回到并件前的状态单独办理，"
        "两件的留言人都会收到通知。",
    ),
    run=run,
    available=_window_open,
    order=22,
)
