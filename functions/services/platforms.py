"""The platforms' own side of the SLA (§4, §15): who a case waiting for 受理 belongs to, the
e-mails of the platform's 受理 ladder, and the platform's own delays (平台受理超时) the overdue
lists show beside the departments'.

:func:`holder_coordinators` is the one place that says whose coordinators a case waiting for
受理 is with: the platform holding it (functions/domain/platforms.py ``holding_platform``), the
city's or a county's (1+8+N, §15)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.models import Model

from functions.domain import sla
from functions.domain.cases import Case, DeadlineRules, Notice
from functions.domain.errors import invalid_field
from functions.domain.platforms import CITY, holding_platform
from functions.domain.policy import ADMIN, COORDINATOR
from functions.services import presenters
from functions.services.common import deadline_rules, staff_case_url
from functions.storage import cases_repo, directory
from functions.storage.codec import iso

TRIAGE_CARD = "triage"  # the third 督办 list, beside 黄牌 and 红牌
TRIAGE_LABEL = "平台受理超时"


def holder_coordinators(case: Case) -> list[str]:
    """The addresses of the coordinators of the platform that holds ``case``: those who must
    受理 it, and whom its 受理 ladder reminds."""
    return platform_coordinators(holding_platform(case))


def platform_coordinators(platform: str) -> list[str]:
    """The coordinators of ``platform``: the city's, or a county platform's own."""
    return directory.platform_coordinator_emails(platform)


def platform_name(platform: str) -> str:
    """The city platform's label, or a county platform's name."""
    county = directory.platform(platform) if platform != CITY else None
    return county.name if county else "总平台"


def every_platform() -> list[str]:
    """The city's platform first, then the county platforms."""
    return [CITY, *(p.id for p in directory.platforms())]


def allowed_hours(case: Case, rules: DeadlineRules) -> float:
    """The working hours the platform had to 受理 ``case`` (the policy's, when it was set)."""
    t = case.triage
    if t is None:
        return rules.policy.triage_working_hours
    return rules.calendar.working_seconds_between(t.started_at, t.due_at) / 3600


def ladder_messages(case: Case, notice: Notice, now: datetime) -> list[Model]:
    """A rung of the platform's 受理 ladder (audience ``platform``) to each recipient it names:
    the holding platform's coordinators, the admins; by e-mail."""
    from functions.notify import templates
    from functions.storage import outbox_repo

    rung = notice.rung
    assert rung is not None
    platform = holding_platform(case)
    hours = allowed_hours(case, deadline_rules())
    found: list[Model] = []
    for recipient in rung.recipients:
        if recipient == COORDINATOR:
            emails = holder_coordinators(case)
        elif recipient == ADMIN:
            emails = directory.admin_emails()
        else:
            continue  # a department's recipient: the policy refuses it on this ladder
        text = templates.platform_ladder(
            rung,
            case,
            recipient=recipient,
            platform_name=platform_name(platform),
            triage_hours=hours,
            console_url=staff_case_url(case.case_id),
        )
        for email in emails:
            found.append(
                outbox_repo.email(
                    email,
                    text,
                    case_id=case.case_id,
                    template=notice.template,
                    now=now,
                )
            )
    return found


# --- 平台受理超时: the platforms' own delays ------------------------------------------------------


def delays(now: datetime) -> list[dict[str, Any]]:
    """Per platform, the cases waiting for 受理 past its deadline: how many (counted up to
    ``cases_repo.TRIAGE_COUNT_CAP``), and how long the oldest has waited past it, in working
    hours and whole working days (an office day of working hours each). Two small reads of the
    ``cards`` index per platform, never a scan; no case's text or id (none is public yet)."""
    rules = deadline_rules()
    day = sla.office_day_hours(rules.calendar)
    out = []
    for platform in every_platform():
        count, capped = cases_repo.triage_overdue_count(platform, now)
        oldest = cases_repo.triage_oldest_overdue(platform, now)
        hours = sla.triage_overdue_hours(oldest, now, rules.calendar) if oldest else 0.0
        out.append(
            {
                "platform": platform,
                "platform_label": platform_name(platform),
                "label": TRIAGE_LABEL,
                "triage_working_hours": rules.policy.triage_working_hours,
                "count": count,
                "count_capped": capped,
                "oldest_due_at": iso(oldest.triage.due_at) if oldest and oldest.triage else None,
                "longest_overdue_working_hours": round(hours, 1),
                "longest_overdue_working_days": int(hours // day) if day else 0,
            }
        )
    return out


def overdue_cases(
    filters: dict[str, str], cursor: str | None, now: datetime, platform: str = CITY
) -> dict[str, Any]:
    """The coordinators' list of cases waiting for 受理 past their deadline, most overdue first
    (``GET /api/staff/overdue?card=triage``): one Query of the ``cards`` index per page."""
    if filters.get("department"):
        raise invalid_field(
            "department",
            "平台受理超时列表不按承办单位筛选",
            "the 受理 list is not filtered by department",
        )
    # The city platform's own list (county platforms' cases are listed under their own
    # partitions of the index, and counted in ``delays``).
    page = cases_repo.triage_overdue(platform, now, cursor)
    tax = directory.taxonomy()
    return {
        "card": TRIAGE_CARD,
        "card_label": TRIAGE_LABEL,
        "items": [presenters.staff_summary(c, tax, now) for c in page.cases],
        "next_cursor": page.next_cursor,
    }
