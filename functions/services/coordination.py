"""The coordinator's (总平台) use cases: the queue, triage, assignment and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import cases as domain
from functions.domain import showcase
from functions.domain.cases import Actor, Case, DepartmentRef
from functions.domain.errors import invalid_field
from functions.domain.lifecycle import TERMINAL, State
from functions.domain.taxonomy import RejectReason, Urgency
from functions.services import views
from functions.services.common import clock, commit, load
from functions.services.staff_auth import StaffSession
from functions.storage import cases_repo, directory, showcase_repo


def actor(session: StaffSession) -> Actor:
    return Actor(session.role, session.email, session.name)


def _department(department_id: str, field: str) -> DepartmentRef:
    found = directory.department(department_id)
    if found is None:
        raise invalid_field(field, "未找到该单位", f"unknown department {department_id}")
    return DepartmentRef(found.id, found.name)


def _departments(ids: list[str], field: str) -> list[DepartmentRef]:
    return [_department(i, field) for i in ids]


def view(case: Case, now: datetime) -> dict[str, Any]:
    events = cases_repo.timeline(case.case_id, public_only=False)
    # Only a closed public case can be on the 回音壁: the others cost no extra read.
    featurable = showcase.can_feature(case)
    on_wall = showcase_repo.get(case.case_id) if featurable else None
    out = views.staff_case(
        case,
        events,
        directory.taxonomy(),
        now,
        domain.coordinator_actions(case),
        unreachable={d.id: d.unreachable_contacts() for d in directory.departments().values()},
    )
    out["can_feature"] = featurable
    out["featured"] = views.featured(on_wall)
    return out


def case_view(case_id: str, now: datetime) -> dict[str, Any]:
    return view(load(case_id), now)


def queue(filters: dict[str, str], now: datetime) -> dict[str, Any]:
    state = filters.get("state")
    bucket = "done" if state in {s.value for s in TERMINAL} else "open"
    sort = filters.get("sort") or "newest"
    page = cases_repo.queue(filters, sort=sort, bucket=bucket, cursor=filters.get("cursor"))
    tax = directory.taxonomy()
    counts = cases_repo.state_counts()
    return {
        "items": [views.staff_summary(c, tax, now) for c in page.cases],
        "next_cursor": page.next_cursor,
        "counts": {s.value: counts.get(s.value, 0) for s in State},
    }


def accept(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    category = body.get("category")
    if category and category not in dict(directory.taxonomy().categories):
        raise invalid_field("category", "请选择有效的问题分类", "unknown category")
    result = domain.accept(
        load(case_id),
        actor(session),
        urgency=Urgency(body["urgency"]),
        category=category,
        approve_public=body["public"],
        now=now,
        public_version=_public_version(body.get("public_version")),
    )
    return view(commit(result, now), now)


def _public_version(body: dict[str, Any] | None) -> tuple[str, str] | None:
    return (body["title"], body["content"]) if body else None


def edit_public_version(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """编辑公开版本: what the public reads of the case, beside the original."""
    result = domain.edit_public_version(
        load(case_id), actor(session), title=body["title"], content=body["content"], now=now
    )
    return view(commit(result, now), now)


def reject(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    result = domain.reject(
        load(case_id),
        actor(session),
        reason_code=RejectReason(body["reason_code"]),
        reason=body["reason"],
        duplicate_of=body.get("duplicate_of"),
        now=now,
    )
    return view(commit(result, now), now)


def assign(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    result = domain.assign(
        load(case_id),
        actor(session),
        lead=_department(body["lead"], "lead"),
        co_handlers=_departments(body.get("co_handlers", []), "co_handlers"),
        now=now,
        clock=clock(),
    )
    return view(commit(result, now), now)


def decide_return(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    reassign = body["decision"] == "reassign"
    lead = _department(body["lead"], "lead") if reassign and body.get("lead") else None
    result = domain.decide_return(
        load(case_id),
        actor(session),
        reassign=reassign,
        lead=lead,
        co_handlers=_departments(body.get("co_handlers", []), "co_handlers"),
        note=body.get("note", ""),
        now=now,
        clock=clock(),
    )
    return view(commit(result, now), now)


def decide_extension(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    result = domain.decide_extension(
        load(case_id),
        actor(session),
        approve=body["decision"] == "approve",
        working_days=body.get("working_days"),
        note=body.get("note", ""),
        now=now,
        clock=clock(),
    )
    return view(commit(result, now), now)


def close(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    result = domain.close(load(case_id), actor(session), note=body["note"], now=now)
    return view(commit(result, now), now)
