"""The auditors' use cases (§2): query the archive, read a case's full history with its hash
chain, verify it, and read who looked at what. Every answer is recorded in the access log
before it goes out; when the record cannot be written, the answer is not given (503)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain import integrity
from functions.domain.audit_filter import AUDITED, AuditFilter, parse_filter
from functions.domain.cases import Case, month_key
from functions.domain.errors import NotFound, invalid_field
from functions.domain.rankings import is_month
from functions.services import presenters
from functions.services.common import load
from functions.services.staff_auth import StaffSession
from functions.storage import archive_repo, cases_repo, directory
from functions.storage.codec import iso


def audit_filter(params: Mapping[str, object], now: datetime) -> AuditFilter:
    tax = directory.taxonomy()
    return parse_filter(
        params,
        now=now,
        departments=set(directory.departments()),
        districts={code for code, _ in tax.districts},
        categories={code for code, _ in tax.categories},
    )


def record(
    session: StaffSession,
    action: str,
    now: datetime,
    *,
    target: str = "",
    filter: dict[str, str] | None = None,
    count: int | None = None,
) -> None:
    archive_repo.record_access(
        actor=session.email,
        role=session.role.value,
        action=action,
        at=now,
        target=target,
        filter=filter,
        count=count,
    )


def search(
    params: Mapping[str, object], cursor: str | None, session: StaffSession, now: datetime
) -> dict[str, Any]:
    f = audit_filter(params, now)
    page = archive_repo.search(f, cursor)
    tax = directory.taxonomy()
    logged = {**f.as_dict(), **({"cursor": cursor} if cursor else {})}
    record(session, "search", now, filter=logged, count=len(page.cases))
    return {
        "filter": f.as_dict(),
        "cases": [presenters.audit_row(c, tax) for c in page.cases],
        "next_cursor": page.next_cursor,
    }


def _archived(case_id: str) -> Case:
    case = load(case_id)
    if case.state not in AUDITED:
        raise NotFound(
            "该诉求尚未办结，不在档案中", "the case is not closed or archived", "not_in_archive"
        )
    return case


def case_record(case_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    case = _archived(case_id)
    links = cases_repo.history(case_id)
    checked = integrity.verify(case, links)
    record(session, "case", now, target=case_id)
    return presenters.audit_case(case, links, directory.taxonomy(), checked)


def verify(case_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    case = _archived(case_id)
    result = presenters.verification(case, integrity.verify(case, cases_repo.history(case_id)))
    record(session, "verify", now, target=case_id)
    return result


def access_log(month: str | None, session: StaffSession, now: datetime) -> dict[str, Any]:
    """Who read the archive in ``month`` (default: this month), newest first."""
    month = month or month_key(now)
    if not is_month(month):
        raise invalid_field("month", "月份格式应为 YYYY-MM", "must be YYYY-MM")
    entries = archive_repo.access_log(month)
    record(session, "access-log", now, filter={"month": month}, count=len(entries))
    return {
        "month": month,
        "entries": [
            {
                "at": iso(e.at),
                "actor": e.actor,
                "role": e.role,
                "action": e.action,
                "target": e.target,
                "filter": e.filter,
                "count": e.count,
            }
            for e in entries
        ],
    }
