"""The daily digest (每日待办): at 08:30 Shanghai on working days, each department with open
cases gets one email listing them with their deadlines and the time left."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from pynamodb.models import Model

from functions.domain import digest
from functions.domain.calendar import SHANGHAI
from functions.notify import templates
from functions.services.common import deadline_rules, fresh_link
from functions.settings import settings
from functions.storage import cases_repo, directory, job_markers, outbox_repo

SEND_AT = time(8, 30)  # Asia/Shanghai; the schedule fires then (00:30 UTC)


# A transaction holds at most 100 items: the marker, the email, and one link token per line.
MAX_LINKS = 98


def _fresh_links(
    department_id: str, items: list[digest.DigestItem], now: datetime
) -> tuple[list[Model], dict[str, str]]:
    """A fresh link per listed case (every email to a handler carries its links), bound to the
    department's role and the current assignment; the most urgent lines first."""
    records: list[Model] = []
    links: dict[str, str] = {}
    for item in items[:MAX_LINKS]:
        links[item.case_id] = fresh_link(
            records,
            case_id=item.case_id,
            department_id=department_id,
            role=item.role.value,
            assignment_no=item.assignment_no,
            now=now,
        )
    return records, links


def send_digests(now: datetime) -> dict[str, Any]:
    """Send today's digests, once per department per day.

    Skips a non-working day on the deployment's calendar (the schedule fires daily because a
    make-up Saturday, 调休, is a working day) and any run before 08:30 (the local timer runs
    every few seconds). Each department's email is written with its marker
    ``digest#<date>#<department>`` in one conditional transaction, so a rerun sends nothing;
    once every department is done the day's marker ``digest#<date>`` makes later runs of the
    day a single read."""
    local = now.astimezone(SHANGHAI)
    day = local.date()
    result: dict[str, Any] = {"date": day.isoformat(), "sent": 0, "already_sent": 0}
    calendar = deadline_rules().calendar
    if not calendar.is_working_day(day):
        return {**result, "skipped": "non_working_day"}
    if local.time() < SEND_AT:
        return {**result, "skipped": "before_send_time"}
    day_key = f"digest#{day.isoformat()}"
    if job_markers.done(day_key):
        return {**result, "skipped": "done_today"}
    handle_page = f"{settings().public_base_url}/handle.html"
    no_address: list[str] = []
    for department_id, items in sorted(
        digest.open_work(cases_repo.with_departments(), now, calendar).items()
    ):
        dept = directory.department(department_id)
        if dept is None or not dept.handler.email:
            no_address.append(department_id)
            continue
        tokens_, links = _fresh_links(department_id, items, now)
        text = templates.digest(dept.name, items, now=now, handle_page=handle_page, links=links)
        message = outbox_repo.email(
            dept.handler.email,
            text,
            case_id=None,
            template="digest",
            now=now,
        )
        key = f"{day_key}#{department_id}"
        sent = job_markers.send_once(key, len(items), message, tokens_)
        result["sent" if sent else "already_sent"] += 1
    job_markers.mark(day_key, result["sent"] + result["already_sent"])
    return {**result, "no_address": no_address, "skipped": None}
