"""群众关注: a case's 附议 crossed a threshold of the settings (functions/domain/support.py). The
first flags it 群众关注 and tells the coordinators; the second tells the lead department's
leader (the 黄牌 contact of the reminder ladder), or the coordinators while no department
leads it. Each level is reached once: the case is written on the version it was read at, so
of two supports racing over a threshold one writes and the other finds it done. Not an
action a person takes: the support that reads the crossing back takes it as the system; the
state stays."""

from __future__ import annotations

import copy
from datetime import date, datetime

from functions.domain.actions.base import ActionDef, EventKind
from functions.domain.cases import (
    SYSTEM,
    Attention,
    Case,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import READ_ONLY, STATES, EventType, Role
from functions.domain.support import ATTENTION as FIRST
from functions.domain.support import LEADER, SupportThresholds, reached

ATTENTION = EventKind(EventType.ATTENTION, "群众关注", public=True)
ATTENTION_LEADER = EventKind(EventType.ATTENTION_LEADER, "提请承办单位负责人关注", public=True)

# Supports reach a case while it is on the board and not yet the auditors' record.
_SUPPORTED = frozenset(s for s, info in STATES.items() if info.publishable) - READ_ONLY


def raise_attention(
    case: Case,
    *,
    thresholds: SupportThresholds,
    days: dict[date, int],
    today: date,
    now: datetime,
) -> TransitionResult:
    """The level the supports per day (``days``, Shanghai) reach today, if above the case's:
    its events, the flag and the notices. 409 ``attention_reached`` when nothing is new."""
    new, before = begin(case, ACTION, SYSTEM)
    got = reached(thresholds, case.category, days, today)
    if got.level <= case.attention_level:
        raise Conflict(
            "附议未达到新的阈值", "no new support threshold reached", "attention_reached"
        )
    events: list[Event] = []
    notices: list[Notice] = []
    old = case.attention
    flagged = copy.deepcopy(old) if old else None
    if flagged is None:
        t, n = got.thresholds[FIRST], got.counts[FIRST]
        flagged = Attention(FIRST, now, n, t.supports, t.days)
        events.append(
            Event(
                EventType.ATTENTION,
                now,
                SYSTEM,
                before,
                before,
                f"{t.days} 日内 {n} 人附议（阈值 {t.supports} 人），列为群众关注件",
                {"supports": str(n), "threshold": str(t.supports), "days": str(t.days)},
            )
        )
        notices.append(Notice("attention", "coordinators"))
    if got.level >= LEADER:
        t, n = got.thresholds[LEADER], got.counts[LEADER]
        lead = case.lead
        told = f"提请{lead.name}负责人关注" if lead else "尚未交办，提请总平台尽快交办"
        events.append(
            Event(
                EventType.ATTENTION_LEADER,
                now,
                SYSTEM,
                before,
                before,
                f"{t.days} 日内 {n} 人附议（阈值 {t.supports} 人），{told}",
                {"supports": str(n), "threshold": str(t.supports), "days": str(t.days)},
            )
        )
        notices.append(
            Notice("attention_leader", "leader", lead)
            if lead
            else Notice("attention_leader", "coordinators")
        )
        flagged.level, flagged.leader_at = LEADER, now
        flagged.leader_supports, flagged.leader_threshold, flagged.leader_days = (
            n,
            t.supports,
            t.days,
        )
    new.attention = flagged
    return finish(case, new, now, events, notices)


ACTION = ActionDef(
    name="attention",
    label="群众关注",
    sources=_SUPPORTED,
    targets=_SUPPORTED,
    actors=frozenset({Role.SYSTEM}),
    events=(ATTENTION, ATTENTION_LEADER),
    notices=("attention", "attention_leader"),
    order=220,
)
