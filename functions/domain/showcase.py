"""回音壁 (showcase) rules, as pure functions: which cases a coordinator may feature, and the
internal timeline event each feature / unfeature appends to the case.

A featured case is closed and public on the board (the citizen consented AND a coordinator
approved it). Featuring is not a state transition: the case stays closed; the event is the
record of who put it on the wall, with which summary, and who took it down.
"""

from __future__ import annotations

import copy
from datetime import datetime

from functions.domain.cases import Actor, Case, Event, TransitionResult, require_writable
from functions.domain.errors import Conflict, Forbidden, invalid_field
from functions.domain.lifecycle import STATE_LABELS, EventType, State

SUMMARY_MIN = 2


def check_featurable(case: Case) -> None:
    """Raise ``Conflict`` (409) unless the case may go on the 回音壁, saying why."""
    if case.state != State.CLOSED:
        raise Conflict(
            f"只有已办结的诉求才能精选到回音壁，本件当前状态为“{STATE_LABELS[case.state]}”",
            f"only a closed case can be featured; this one is {case.state.value}",
            "showcase_not_closed",
        )
    if not case.consent_public:
        raise Conflict(
            "留言人未同意公开本件诉求，不能精选到回音壁",
            "the citizen did not agree to publish this case",
            "showcase_no_consent",
        )
    if not case.is_public:
        raise Conflict(
            "本件诉求未经总平台同意在留言板公开，不能精选到回音壁",
            "this case was not approved for the public board",
            "showcase_not_public",
        )


def _require_coordinator(actor: Actor) -> None:
    if not actor.is_coordinator:
        raise Forbidden("无权执行此操作", f"{actor.role} may not feature cases", "forbidden")


def _touch(case: Case, event: Event, now: datetime) -> TransitionResult:
    new = copy.deepcopy(case)
    new.updated_at = now
    new.version = case.version + 1
    new.event_count = case.event_count + 1
    return TransitionResult(new, case.state, case.version, [event])


def feature(
    case: Case,
    actor: Actor,
    *,
    summary: str,
    before_after: str | None,
    now: datetime,
    already: bool,
) -> TransitionResult:
    """Put a closed public case on the 回音壁 (``already``: it is there; the summary is
    edited). The case keeps its state; an internal event records the summary."""
    _require_coordinator(actor)
    require_writable(case)
    check_featurable(case)
    summary = summary.strip()
    if len(summary) < SUMMARY_MIN:
        raise invalid_field("summary", "请填写精选摘要（至少 2 个字）", "summary is blank")
    data = {"edited": "true"} if already else {}
    if before_after:
        data["before_after"] = before_after
    event = Event(EventType.FEATURED, now, actor, case.state, case.state, summary, data)
    return _touch(case, event, now)


def unfeature(case: Case, actor: Actor, *, now: datetime) -> TransitionResult:
    """Take the case off the 回音壁; an internal event records who did it."""
    _require_coordinator(actor)
    require_writable(case)
    event = Event(EventType.UNFEATURED, now, actor, case.state, case.state)
    return _touch(case, event, now)


def can_feature(case: Case) -> bool:
    """Whether the console offers 精选到回音壁 (or editing the summary) on the case."""
    return case.state == State.CLOSED and case.is_public
