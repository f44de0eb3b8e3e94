"""Load the demo city's cases by replaying each case's script through the real use cases,
at the times the script gives, so every demo case got where it is the way a real one would:
same state machine, same deadlines, same events, links and messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from functions.domain import cases as domain
from functions.domain import sla
from functions.domain.calendar import SHANGHAI
from functions.domain.cases import Actor, DepartmentRef
from functions.domain.lifecycle import Role
from functions.domain.taxonomy import Outcome, Rating, RejectReason, Urgency
from functions.services import citizen
from functions.services.common import clock, commit, load
from functions.storage import directory

CASES = Path(__file__).parent / "demo" / "cases.json"
COORDINATOR = Actor(Role.COORDINATOR, "coordinator@wenzheng.example", "总平台值班员 林晓")


def _dept(department_id: str) -> DepartmentRef:
    found = directory.department(department_id)
    if found is None:
        raise ValueError(f"demo data names an unknown department: {department_id}")
    return DepartmentRef(found.id, found.name)


def _lead(case_id: str) -> Actor:
    lead = load(case_id).lead
    assert lead is not None
    return Actor(Role.LEAD, lead.id, lead.name)


def _step(case_id: str, step: dict[str, Any], at: datetime) -> None:
    case, c, do = load(case_id), clock(), step["do"]
    if do == "accept":
        result = domain.accept(
            case,
            COORDINATOR,
            urgency=Urgency(step.get("urgency", "general")),
            category=step.get("category"),
            approve_public=step.get("public", True),
            now=at,
        )
    elif do == "reject":
        result = domain.reject(
            case,
            COORDINATOR,
            reason_code=RejectReason(step["reason_code"]),
            reason=step["reason"],
            duplicate_of=step.get("duplicate_of"),
            now=at,
        )
    elif do == "assign":
        result = domain.assign(
            case,
            COORDINATOR,
            lead=_dept(step["lead"]),
            co_handlers=[_dept(d) for d in step.get("co_handlers", [])],
            now=at,
            clock=c,
        )
    elif do == "sign":
        result = domain.sign(case, _lead(case_id), now=at)
    elif do == "input":
        dept = _dept(step["department"])
        result = domain.co_input(
            case, Actor(Role.CO_HANDLER, dept.id, dept.name), text=step["text"], now=at
        )
    elif do == "extension":
        result = domain.request_extension(
            case,
            _lead(case_id),
            working_days=step["working_days"],
            reason=step["reason"],
            now=at,
            clock=c,
        )
    elif do == "extension_decision":
        result = domain.decide_extension(
            case,
            COORDINATOR,
            approve=step["decision"] == "approve",
            working_days=step.get("working_days"),
            note=step.get("note", ""),
            now=at,
            clock=c,
        )
    elif do == "return":
        result = domain.request_return(case, _lead(case_id), reason=step["reason"], now=at)
    elif do == "return_decision":
        reassign = step["decision"] == "reassign"
        result = domain.decide_return(
            case,
            COORDINATOR,
            reassign=reassign,
            lead=_dept(step["lead"]) if reassign else None,
            co_handlers=[_dept(d) for d in step.get("co_handlers", [])],
            note=step.get("note", ""),
            now=at,
            clock=c,
        )
    elif do == "reply":
        planned = step.get("planned_date")
        result = domain.reply(
            case,
            _lead(case_id),
            outcome=Outcome(step["outcome"]),
            text=step["text"],
            planned_date=datetime.fromisoformat(planned).date() if planned else None,
            now=at,
            clock=c,
        )
    elif do == "rate":
        result = domain.rate(
            case, rating=Rating(step["rating"]), comment=step.get("comment"), now=at, clock=c
        )
    elif do == "close":
        result = domain.close(case, COORDINATOR, note=step["note"], now=at)
    else:
        raise ValueError(f"unknown demo step {do!r}")
    commit(result, at)


def _climb_until(case_id: str, until: datetime) -> None:
    """The SLA ladder as the sweep would have climbed it, each rung at its own time, up to
    ``until`` (the next step of the script, or now)."""
    while True:
        case = load(case_id)
        due = case.assignment.next_check_at if case.assignment else None
        if due is None or due > until:
            return
        result = sla.climb(case, due, clock())
        if result is None:
            return
        commit(result, due)


def _start(days_ago: float, script_hours: float, index: int, now: datetime) -> datetime:
    """A plausible submission time about ``days_ago`` days back (daytime local), early enough
    for the whole script to have happened before ``now``."""
    day = (now - timedelta(days=days_ago)).astimezone(SHANGHAI).date()
    minutes = 8 * 60 + (index * 137) % (12 * 60)
    start = datetime.combine(day, time(minutes // 60, minutes % 60), SHANGHAI)
    latest = now - timedelta(hours=script_hours, minutes=30 + index)
    return min(start, latest).astimezone(UTC)


def _original(
    step: dict[str, Any], spec: dict[str, Any], created: list[dict[str, str]]
) -> str | None:
    """The case a duplicate repeats: named by its demo key, else the first of its category."""
    by_key = {c["key"]: c["case_id"] for c in created}
    if step.get("duplicate_of") in by_key:
        return by_key[step["duplicate_of"]]
    same = [c["case_id"] for c in created if c["category"] == spec["category"]]
    return same[0] if same else (created[0]["case_id"] if created else None)


def load_demo(now: datetime | None = None, path: Path = CASES) -> list[dict[str, str]]:
    """Load every demo case; return a few (case id, tracking code, state) to try tracking."""
    now = now or datetime.now(UTC)
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    created: list[dict[str, str]] = []
    for index, spec in enumerate(cases):
        hours = sum(step.get("after_hours", 1) for step in spec.get("script", []))
        at = _start(spec.get("submitted_days_ago", 1), hours, index, now)
        body = {k: spec[k] for k in ("kind", "category", "district", "title", "content", "public")}
        body["contact"] = {k: v for k, v in spec["contact"].items() if v}
        answer = citizen.submit(body, idempotency_key=None, now=at)
        for step in spec.get("script", []):
            at = min(at + timedelta(hours=step.get("after_hours", 1)), now - timedelta(minutes=1))
            if step["do"] == "reject" and step.get("reason_code") == "duplicate":
                step = {**step, "duplicate_of": _original(step, spec, created)}
            _climb_until(answer["case_id"], at)
            _step(answer["case_id"], step, at)
        _climb_until(answer["case_id"], now)
        created.append(
            {
                "case_id": answer["case_id"],
                "tracking_code": answer["tracking_code"],
                "state": load(answer["case_id"]).state.value,
                "key": spec["key"],
                "category": spec["category"],
            }
        )
    replied = [c for c in created if c["state"] == "replied"][:2]
    others = [c for c in created if c["state"] in ("in_progress", "closed")][:1]
    return replied + others
