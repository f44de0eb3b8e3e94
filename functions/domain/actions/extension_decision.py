"""审核延期申请: the coordinator approves (the reply deadline moves, within the policy's cap)
or refuses a lead's request for more time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.calendar import local_date
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

EXTENSION_APPROVED = EventKind(EventType.EXTENSION_APPROVED, "同意延期", public=True)
EXTENSION_REFUSED = EventKind(EventType.EXTENSION_REFUSED, "不同意延期")
COUNTY_EXTENSIONS = 1  # extensions a county platform may grant its units (§15)


def decide_extension(
    case: Case,
    actor: Actor,
    *,
    approve: bool,
    working_days: int | None,
    note: str,
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    new, before = begin(case, ACTION, actor)
    if case.pending is None or case.pending.type != "extension" or new.assignment is None:
        raise Conflict("没有待审核的延期申请", "no extension request pending", "no_request")
    if not within_county_authority(case, actor):
        raise Conflict(
            f"县（区）平台可审核第 {COUNTY_EXTENSIONS} 次延期申请，之后的延期由市级平台审核",
            "a further extension is the city's to decide",
            "beyond_county_authority",
        )
    days = working_days or case.pending.working_days or 0
    if approve:
        if not 1 <= days <= rules.policy.extension_max_working_days:
            raise invalid_field("working_days", "延期天数超出允许范围", "working_days out of range")
        moved = rules.calendar.add_working_days(new.assignment.reply_due_at, days)
        # No reply deadline runs past the policy's cap, extension included (答复时限上限).
        cap = rules.policy.reply_cap_working_days
        started = new.assignment.reply_started_at or new.assignment.assigned_at
        latest = rules.calendar.add_working_days(started, cap).at
        if moved.at > latest:
            raise Conflict(
                f"延期后答复时限将超过 {cap} 个工作日的上限（最晚 {local_date(latest)}），"
                "请减少延期天数",
                f"the extension would run the reply deadline past its cap of {cap} working days "
                f"(latest {local_date(latest)})",
                "reply_cap_exceeded",
            )
        new.assignment.reply_due_at = moved.at
        new.assignment.provisional = new.assignment.provisional or moved.provisional
        new.extensions_used += 1
        event = Event(
            EventType.EXTENSION_APPROVED,
            now,
            actor,
            before,
            new.state,
            f"答复时限延长 {days} 个工作日",
            {"working_days": str(days)},
        )
    else:
        event = Event(EventType.EXTENSION_REFUSED, now, actor, before, new.state, note.strip())
    new.pending = None
    template = "extension_approved" if approve else "extension_refused"
    notices = [Notice(template, "department", new.lead, Role.LEAD)]
    if approve:
        notices.append(Notice("extended", "citizen"))  # the new reply date
    return finish(case, new, now, [event], notices)


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return decide_extension(
        case,
        actor,
        approve=body["decision"] == "approve",
        working_days=body.get("working_days"),
        note=body.get("note", ""),
        now=ctx.now,
        rules=ctx.rules,
    )


def within_county_authority(case: Case, actor: Actor) -> bool:
    """A county platform decides its units' first extension; the city every later one."""
    return actor.scope is None or case.extensions_used < COUNTY_EXTENSIONS


def available(case: Case, actor: Actor, ctx: Context) -> bool:
    pending = case.pending is not None and case.pending.type == "extension"
    return pending and within_county_authority(case, actor)


_HANDLING = states(State.IN_PROGRESS, State.REOPENED)

ACTION = ActionDef(
    name="extension-decision",
    label="审核延期申请",
    sources=_HANDLING,
    targets=_HANDLING,
    actors=COORDINATORS,
    events=(EXTENSION_APPROVED, EXTENSION_REFUSED),
    notices=("extension_approved", "extension_refused", "extended"),
    route=Route(
        "staff",
        "extension-decision",
        "extension-decision",
        "审核延期申请",
        "同意（答复时限顺延，不超过上限）或不同意。",
    ),
    run=run,
    available=available,
    order=31,
)
