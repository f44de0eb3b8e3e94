"""受理督办: a case still waiting for 受理 reached a rung of the platform's own ladder on its 受理
deadline (the policy's ``triage_ladder``: 受理超时提醒 when it is due, 受理超时催办 a working day
later). Not an action a person takes: the SLA sweep (functions/domain/sla.py) finds the rungs
that came due and takes it as the system. One event per rung crossed, public like the
departments' 督办 (§4: the public sees the delays, the platform's own too), and the e-mails of
the highest rung to the people of the platform that holds the case (audience ``platform``,
functions/services/platforms.py); the state stays. Each rung is recorded on the case in the
transaction that sends it, so it is sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from functions.domain.actions.base import ActionDef, EventKind
from functions.domain.cases import (
    SYSTEM,
    TRIAGE,
    Case,
    Event,
    Notice,
    TransitionResult,
    begin,
    finish,
    running_triage,
)
from functions.domain.errors import Conflict
from functions.domain.lifecycle import AWAITING_TRIAGE, EventType, Role, State
from functions.domain.platforms import holding_platform, platform_label
from functions.domain.policy import ADMIN, Rung

TRIAGE_REMINDER = EventKind(EventType.TRIAGE_REMINDER, "受理督办", public=True)
NOTICE = "triage_overdue"  # the template of every rung (functions/notify/templates.py)


def note(rung: Rung, platform: str, step: str = "受理") -> str:
    """What the timeline says of a rung: no one's name or address, the public reads it.
    ``step``: what the platform owes (受理, or 交办 of a case the city handed down)."""
    told = f"{platform}及管理员" if ADMIN in rung.recipients else platform
    if rung.trigger == "used":
        return f"{step}时限已用去 {round(rung.amount * 100)}%，已提醒{told}"
    if rung.trigger == "due":
        return f"{step}时限已到，尚未{step}，已提醒{told}"
    return f"{step}超时 {rung.amount:g} 个工作日，{rung.label}（{told}）"


def remind(case: Case, rungs: Sequence[Rung], *, now: datetime) -> TransitionResult:
    """The ``rungs`` (in the order they came due, none done yet) reached at ``now``: an event
    each, and the messages of the last one (a sweep that fell behind sends no stale reminder
    below it). 409 ``not_waiting`` when the case no longer waits for 受理."""
    new, before = begin(case, ACTION, SYSTEM)
    running = running_triage(case)
    if running is None or new.triage is None or not rungs:
        raise Conflict("该诉求已不在待受理", "the case no longer waits for 受理", "not_waiting")
    platform = platform_label(holding_platform(case))
    events = [
        Event(
            EventType.TRIAGE_REMINDER,
            now,
            SYSTEM,
            before,
            before,
            note(rung, platform, "交办" if case.handoff is not None else "受理"),
            {
                "clock": TRIAGE,
                "rung": rung.code,
                "label": rung.label,
                "due_at": running.due_at.isoformat(),
                "platform": holding_platform(case),
            },
        )
        for rung in rungs
    ]
    new.triage.rungs.extend(rung.code for rung in rungs)
    notice = Notice(NOTICE, "platform", rung=rungs[-1], deadline=TRIAGE)
    return finish(case, new, now, events, [notice])


ACTION = ActionDef(
    name="triage_overdue",
    label="受理督办",
    # 待受理, and 已受理 while a county owes the city's hand-down its passing on (§15).
    sources=AWAITING_TRIAGE | {State.ACCEPTED},
    targets=AWAITING_TRIAGE | {State.ACCEPTED},
    actors=frozenset({Role.SYSTEM}),
    events=(TRIAGE_REMINDER,),
    # Its e-mails are the rung's, rendered by ``templates.platform_ladder`` for each recipient
    # (as the departments' ladder's are): not a notice of the template registries.
    notices=(),
    order=206,
)
