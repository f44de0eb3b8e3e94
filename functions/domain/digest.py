"""The daily digest (每日待办): what each department has open, with its deadlines and how much
time is left, as pure functions of the cases, ``now`` and the working-day calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from functions.domain.calendar import WorkCalendar, local_date
from functions.domain.cases import Case
from functions.domain.lifecycle import WITH_DEPARTMENT, Role, State


@dataclass(frozen=True)
class Due:
    """One deadline of a digest line: what it is for, when, and how it stands now."""

    label: str  # 签收时限 | 答复时限 | 协办意见时限
    at: datetime
    overdue: bool
    standing: str  # 剩余 N 个工作日 | 今日到期 | 已超期 N 个工作日


@dataclass(frozen=True)
class DigestItem:
    case_id: str
    title: str
    role: Role  # LEAD | CO_HANDLER
    state: State
    dues: tuple[Due, ...]
    note: str = ""  # e.g. a request waiting for the coordinator
    assignment_no: int = 0  # the assignment a fresh link for this line is bound to

    @property
    def overdue(self) -> bool:
        return any(d.overdue for d in self.dues)

    @property
    def first_due(self) -> datetime:
        return min(d.at for d in self.dues)


def standing(due: datetime, now: datetime, calendar: WorkCalendar) -> tuple[bool, str]:
    """Whether ``due`` has passed, and the words for it (working days, Shanghai dates)."""
    if due < now:
        days = calendar.overdue_working_days(due, now)
        return True, f"已超期 {days} 个工作日" if days else "已超期"
    days = calendar.working_days_between(local_date(now), local_date(due))
    return False, f"剩余 {days} 个工作日" if days > 0 else "今日到期"


def _due(label: str, at: datetime, now: datetime, calendar: WorkCalendar) -> Due:
    overdue, words = standing(at, now, calendar)
    return Due(label, at, overdue, words)


def _pending_note(case: Case) -> str:
    if case.pending is None:
        return ""
    what = "延期" if case.pending.type == "extension" else "退回"
    return f"已申请{what}，待总平台审核"


def open_work(
    cases: Iterable[Case], now: datetime, calendar: WorkCalendar
) -> dict[str, list[DigestItem]]:
    """Department id → the cases it must work on now, most urgent first.

    The lead sees every case with it (assigned: both 签收 and 答复 deadlines; in progress or
    reopened: 答复). A co-handler sees a case while its input (协办意见) is still owed; once
    given, nothing is left for it to do. A case escalated to the coordinator is nobody's here.
    """
    work: dict[str, list[DigestItem]] = {}
    for case in cases:
        a = case.assignment
        if a is None or case.state not in WITH_DEPARTMENT or case.escalated:
            continue
        lead_dues = []
        if case.state == State.ASSIGNED and a.response_due_at is not None:
            lead_dues.append(_due("签收时限", a.response_due_at, now, calendar))
        lead_dues.append(_due("答复时限", a.reply_due_at, now, calendar))
        work.setdefault(a.lead.id, []).append(
            DigestItem(
                case.case_id,
                case.title,
                Role.LEAD,
                case.state,
                tuple(lead_dues),
                _pending_note(case),
                a.no,
            )
        )
        for co in a.co_handlers:
            if co.input is not None:
                continue
            work.setdefault(co.department.id, []).append(
                DigestItem(
                    case.case_id,
                    case.title,
                    Role.CO_HANDLER,
                    case.state,
                    (_due("协办意见时限", co.input_due_at, now, calendar),),
                    assignment_no=a.no,
                )
            )
    for items in work.values():
        items.sort(key=lambda item: (not item.overdue, item.first_due, item.case_id))
    return work
