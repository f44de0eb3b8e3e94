"""The SLA deadlines and their reminder ladders (§4–§6, §15), as pure rules.

A case with a department runs up to two deadlines: the response deadline (assignment → 签收) and the
reply deadline (assignment or reopen → 答复). Each deadline climbs the policy's ladder: reminders at
a share of the working time used, 催办 when due, 黄牌 and 红牌 working days after. A case waiting
for 受理 runs the platform's own deadline instead (submission → 受理), which climbs the policy's
``triage_ladder`` (functions/domain/actions/triage_overdue.py). The case remembers the rungs each
deadline has done and when it must be looked at next; the sweep asks for the cases whose time
has come and calls :func:`climb`.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from functions.domain.actions import triage_overdue
from functions.domain.actions.supplement_expired import supplement_expired
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import (
    REPLY,
    RESPONSE,
    SYSTEM,
    Case,
    DeadlineRules,
    Event,
    Notice,
    RunningDeadline,
    TransitionResult,
    finish,
    running_deadlines,
    running_triage,
)
from functions.domain.lifecycle import EventType, Role
from functions.domain.policy import Rung

DEADLINE_LABELS = {RESPONSE: "签收", REPLY: "答复"}
_TRIGGER_ORDER = {"used": 0, "due": 1, "overdue": 2}


def ordered(ladder: tuple[Rung, ...]) -> tuple[Rung, ...]:
    """The ladder in the order its rungs come due, whatever order the policy lists them in."""
    return tuple(sorted(ladder, key=lambda r: (_TRIGGER_ORDER[r.trigger], r.amount)))


def office_day_hours(calendar: WorkCalendar) -> float:
    """The working hours of one office day: what "a working day" overdue counts."""
    hours = calendar.office_hours
    span = datetime.combine(datetime.min, hours.closes) - datetime.combine(
        datetime.min, hours.opens
    )
    return span / timedelta(hours=1)


def rung_time(rung: Rung, deadline: RunningDeadline, calendar: WorkCalendar) -> datetime:
    """When ``rung`` comes due on ``deadline``.

    ``used``: after that share of the deadline's working time (office hours on working days);
    ``due``: at the deadline; ``overdue``: N office days of working time past the deadline,
    so "1 working day overdue" is a whole working day the department let pass."""
    if rung.trigger == "used":
        total = calendar.working_seconds_between(deadline.started_at, deadline.due_at)
        at = calendar.add_working_hours(deadline.started_at, rung.amount * total / 3600).at
        return min(at, deadline.due_at)
    if rung.trigger == "due":
        return deadline.due_at
    hours = rung.amount * office_day_hours(calendar)
    return calendar.add_working_hours(deadline.due_at, hours).at


def _remaining(ladder: tuple[Rung, ...], done: list[str]) -> range:
    """Positions of the rungs still ahead: those after the highest one done. Progress is kept
    by rung code, so an admin's edit of the ladder neither repeats nor skips a rung."""
    positions = [i for i, rung in enumerate(ladder) if rung.code in done]
    return range(max(positions) + 1 if positions else 0, len(ladder))


def next_check(case: Case, rules: DeadlineRules) -> datetime | None:
    """The earliest instant a running deadline reaches its next rung, or a paused one's wait for
    the citizen ends (补充材料); None when none will."""
    a = case.assignment
    if a is None:
        return None
    if (waiting := case.open_info_request) is not None:
        return waiting.due_at
    ladder = ordered(rules.policy.ladder)
    times = []
    for running in running_deadlines(case):
        ahead = _remaining(ladder, a.rungs.get(running.name, []))
        if ahead:
            times.append(rung_time(ladder[ahead[0]], running, rules.calendar))
    return min(times) if times else None


def triage_next_check(case: Case, rules: DeadlineRules) -> datetime | None:
    """When the platform's 受理 deadline reaches its next rung; None once the case has left 待受理
    or every rung is done."""
    running = running_triage(case)
    if running is None or case.triage is None:
        return None
    ladder = ordered(rules.policy.triage_ladder)
    ahead = _remaining(ladder, case.triage.rungs)
    return rung_time(ladder[ahead[0]], running, rules.calendar) if ahead else None


def triage_overdue_hours(case: Case, now: datetime, calendar: WorkCalendar) -> float:
    """Working hours (office hours on working days) ``case`` has waited for 受理 past its 受理
    deadline by ``now``; 0 when it is not past it or no longer waits."""
    running = running_triage(case)
    if running is None or now <= running.due_at:
        return 0.0
    return calendar.working_seconds_between(running.due_at, now) / 3600


def next_look(case: Case) -> datetime | None:
    """When the sweep must look at the case next, whichever ladder it climbs (the key of the
    sweep's index), as the last commit derived it."""
    a, t = case.assignment, case.triage
    times = [
        at
        for at in (a.next_check_at if a else None, t.next_check_at if t else None)
        if at is not None
    ]
    return min(times) if times else None


def reconcile(case: Case, now: datetime, rules: DeadlineRules) -> None:
    """Keep only the rungs (and cards) still earned under the clock's current deadline: an
    extension approved after a rung, or a policy change, moves rungs back into the future,
    where they come due again, and a card whose rung moved is no longer held."""
    a = case.assignment
    if a is None:
        return
    ladder = {rung.code: rung for rung in rules.policy.ladder}
    for running in running_deadlines(case):
        done = [
            code
            for code in a.rungs.get(running.name, [])
            if code in ladder and rung_time(ladder[code], running, rules.calendar) <= now
        ]
        if done:
            a.rungs[running.name] = done
        else:
            a.rungs.pop(running.name, None)
        cards = {ladder[code].card for code in done if ladder[code].card}
        card = "red" if "red" in cards else ("yellow" if "yellow" in cards else None)
        if card:
            a.cards[running.name] = card
        else:
            a.cards.pop(running.name, None)


def active_card(case: Case) -> str | None:
    """The strongest card (红牌 over 黄牌) earned by a clock that is still running."""
    a = case.assignment
    if a is None:
        return None
    running = {c.name for c in running_deadlines(case)}
    earned = {card for name, card in a.cards.items() if name in running}
    return "red" if "red" in earned else ("yellow" if "yellow" in earned else None)


def _note(rung: Rung, deadline: RunningDeadline, department: str) -> str:
    label = DEADLINE_LABELS[deadline.name]
    if rung.trigger == "used":
        return f"{label}时限已用去 {round(rung.amount * 100)}%，已提醒{department}"
    if rung.trigger == "due":
        return f"{label}时限已到，已催办{department}"
    return f"{label}超期 {rung.amount:g} 个工作日，{rung.label}（{department}）"


def climb(case: Case, now: datetime, rules: DeadlineRules) -> TransitionResult | None:
    """Every rung that came due by ``now``, as one transition: an event per rung crossed, and
    the messages of the highest rung per deadline (a sweep that fell behind does not send stale
    reminders below it). None when nothing is due: running the sweep twice changes nothing.
    The caller commits the result, which derives the case's next check afresh."""
    if running_triage(case) is not None:
        return _climb_triage(case, now, rules)
    a = case.assignment
    if a is None:
        return None
    waiting = case.open_info_request
    if waiting is not None:
        # 中止计时: no rung while the case waits for the citizen; once the wait is over the
        # clock resumes and the lead replies on what it has.
        return supplement_expired(case, now=now, rules=rules) if now >= waiting.due_at else None
    ladder = ordered(rules.policy.ladder)
    new = copy.deepcopy(case)
    assert new.assignment is not None
    events: list[Event] = []
    notices: list[Notice] = []
    for running in running_deadlines(case):
        crossed = [
            i
            for i in _remaining(ladder, a.rungs.get(running.name, []))
            if rung_time(ladder[i], running, rules.calendar) <= now
        ]
        if not crossed:
            continue
        for i in crossed:
            rung = ladder[i]
            events.append(
                Event(
                    EventType.REMINDER,
                    now,
                    SYSTEM,
                    case.state,
                    case.state,
                    _note(rung, running, a.lead.name),
                    {
                        "clock": running.name,
                        "rung": rung.code,
                        "label": rung.label,
                        "due_at": running.due_at.isoformat(),
                    },
                )
            )
            if rung.card:
                new.assignment.cards[running.name] = rung.card
        top = ladder[crossed[-1]]
        done = new.assignment.rungs.setdefault(running.name, [])
        done.extend(ladder[i].code for i in crossed)
        notices.append(
            Notice(f"sla_{top.code}", "ladder", a.lead, Role.LEAD, rung=top, deadline=running.name)
        )
    if not events:
        if a.next_check_at is not None and a.next_check_at <= now:
            # Listed as due though no rung is (the policy or calendar changed since): write
            # the case back so its next check is derived afresh and it leaves the due list.
            return finish(case, new, now, [], [])
        return None
    return finish(case, new, now, events, notices)


def _climb_triage(case: Case, now: datetime, rules: DeadlineRules) -> TransitionResult | None:
    """The platform's own ladder on a case waiting for 受理: every rung due by ``now`` as one
    transition (functions/domain/actions/triage_overdue.py), None when none is."""
    running, t = running_triage(case), case.triage
    assert running is not None and t is not None
    ladder = ordered(rules.policy.triage_ladder)
    crossed = [
        ladder[i]
        for i in _remaining(ladder, t.rungs)
        if rung_time(ladder[i], running, rules.calendar) <= now
    ]
    if crossed:
        return triage_overdue.remind(case, crossed, now=now)
    if t.next_check_at is not None and t.next_check_at <= now:
        # Listed as due though no rung is (the policy or calendar changed since): written
        # back, its next check derived afresh.
        return finish(case, copy.deepcopy(case), now, [], [])
    return None
