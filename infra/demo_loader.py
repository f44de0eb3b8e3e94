"""Load the demo city's cases by replaying each case's script through the real use cases,
at the times the script gives, so every demo case got where it is the way a real one would:
same state machine, same deadlines, same events, links and messages.

A script's ``after_hours`` count on a working-day timeline: weekends and holidays of the
official calendar are skipped, so a step written "60 hours after signing" stands in the same
relation to its working-day deadlines whichever day the demo is loaded on. Dates a reply
promises (``planned_in_days``) are counted from the reply, so they never fall in the past.
A case's ``supports`` are given by that many clients in the minutes before now."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from functions import clock as platform_clock
from functions.domain import actions, sla
from functions.domain.actions.accept import accept
from functions.domain.actions.assign import assign, hand_down
from functions.domain.actions.close import close
from functions.domain.actions.co_input import co_input
from functions.domain.actions.extension_decision import decide_extension
from functions.domain.actions.rate import rate
from functions.domain.actions.reject import reject
from functions.domain.actions.reply import reply
from functions.domain.actions.request_extension import request_extension
from functions.domain.actions.request_return import request_return
from functions.domain.actions.return_decision import decide_return
from functions.domain.actions.sign import sign
from functions.domain.calendar import SHANGHAI, WorkCalendar
from functions.domain.cases import CITIZEN, Actor, Case, DepartmentRef, TransitionResult
from functions.domain.geo import Boundary
from functions.domain.lifecycle import Role
from functions.domain.platforms import CITY
from functions.domain.taxonomy import Kind, Outcome, Rating, RejectReason, Urgency
from functions.services import citizen
from functions.services.common import commit, commit_all, context, deadline_rules, load
from functions.storage import boundaries, config_repo, directory

CASES = Path(__file__).parent / "demo" / "cases.json"
COORDINATOR = Actor(Role.COORDINATOR, "coordinator@wenzheng.example", "总平台值班员 林晓")


def _dept(department_id: str) -> DepartmentRef:
    found = directory.department(department_id)
    if found is None:
        raise ValueError(f"demo data names an unknown department: {department_id}")
    return DepartmentRef(found.id, found.name)


def _coordinator(case: Case, units: list[str]) -> Actor:
    """Who takes a coordinator's step (§15): the county platform holding the case when every
    unit the step names is the county's own, else the city's coordinator (who may act on
    any case)."""
    if case.holder == CITY:
        return COORDINATOR
    own = all(
        (unit := directory.department(u)) is not None and unit.platform == case.holder
        for u in units
    )
    county = directory.platform(case.holder)
    if not own or county is None:
        return COORDINATOR
    code = county.districts[0]
    return Actor(Role.COUNTY_COORDINATOR, f"{code}-coordinator@wenzheng.example", "", county.id)


def _lead(case_id: str) -> Actor:
    lead = load(case_id).lead
    assert lead is not None
    return Actor(Role.LEAD, lead.id, lead.name)


def _step(case_id: str, step: dict[str, Any], at: datetime) -> None:
    case, c, do = load(case_id), deadline_rules(), step["do"]
    named = [step[k] for k in ("lead",) if step.get(k)] + list(step.get("co_handlers", []))
    by = _coordinator(case, named)
    if do == "accept":
        result = accept(
            case,
            by,
            urgency=Urgency(step.get("urgency", "general")),
            category=step.get("category"),
            approve_public=step.get("public", True),
            now=at,
        )
    elif do == "reject":
        result = reject(
            case,
            by,
            reason_code=RejectReason(step["reason_code"]),
            reason=step["reason"],
            duplicate_of=step.get("duplicate_of"),
            now=at,
        )
    elif do == "hand_down":  # 市级交办: the city hands the case to a county platform
        county = directory.platform(step["county"])
        assert county is not None, step["county"]
        ref = DepartmentRef(county.id, county.name)
        result = hand_down(case, COORDINATOR, county=ref, now=at, rules=c)
    elif do == "assign":
        result = assign(
            case,
            by,
            lead=_dept(step["lead"]),
            co_handlers=[_dept(d) for d in step.get("co_handlers", [])],
            now=at,
            rules=c,
        )
    elif do == "sign":
        result = sign(case, _lead(case_id), now=at)
    elif do == "input":
        dept = _dept(step["department"])
        result = co_input(
            case, Actor(Role.CO_HANDLER, dept.id, dept.name), text=step["text"], now=at
        )
    elif do == "extension":
        result = request_extension(
            case,
            _lead(case_id),
            working_days=step["working_days"],
            reason=step["reason"],
            now=at,
            rules=c,
        )
    elif do == "extension_decision":
        result = decide_extension(
            case,
            by,
            approve=step["decision"] == "approve",
            working_days=step.get("working_days"),
            note=step.get("note", ""),
            now=at,
            rules=c,
        )
    elif do == "return":
        result = request_return(case, _lead(case_id), reason=step["reason"], now=at)
    elif do == "return_decision":
        reassign = step["decision"] == "reassign"
        result = decide_return(
            case,
            by,
            reassign=reassign,
            lead=_dept(step["lead"]) if reassign else None,
            co_handlers=[_dept(d) for d in step.get("co_handlers", [])],
            note=step.get("note", ""),
            now=at,
            rules=c,
        )
    elif do == "reply":
        planned = None
        if step.get("planned_in_days") is not None:
            planned = at.astimezone(SHANGHAI).date() + timedelta(days=step["planned_in_days"])
        text = step["text"]
        if planned is not None:
            text = text.replace("{planned}", f"{planned.year}年{planned.month}月{planned.day}日")
        result = reply(
            case,
            _lead(case_id),
            outcome=Outcome(step["outcome"]),
            text=text,
            planned_date=planned,
            now=at,
            rules=c,
        )
    elif do == "rate":
        result = rate(
            case, rating=Rating(step["rating"]), comment=step.get("comment"), now=at, rules=c
        )
    elif do == "close":
        result = close(case, COORDINATOR, note=step["note"], now=at)
    else:
        result = _registered(case_id, case, step, at)
    commit_all([result, *result.companions], at)  # a merge writes its primary too


def _registered(case_id: str, case: Case, step: dict[str, Any], at: datetime) -> TransitionResult:
    """Any other step is an action of the registry taken with the step as its request body
    (``{"do": "request-info", "question": …}``), by the lead or the citizen as its route says."""
    if step["do"] not in actions.REGISTRY:
        raise ValueError(f"unknown demo step {step['do']!r}")
    action = actions.get(step["do"])
    audience = action.route.audience if action.route else "system"
    actor = (
        _lead(case_id)
        if audience == "department"
        else CITIZEN
        if audience == "citizen"
        else _coordinator(case, [])
    )
    body = {k: v for k, v in step.items() if k not in ("do", "after_hours")}
    assert action.run is not None
    return action.run(case, actor, body, context(at))


def _supported(case_id: str, spec: dict[str, Any], now: datetime) -> None:
    """附议: ``supports`` neighbours (one client each) in the last minutes before ``now``,
    through the real use case, so a case past the 群众关注 threshold is flagged, its event on
    the timeline and the coordinators' e-mail in the outbox, and 热议 has counts to sort."""
    from functions.services import supports

    n = int(spec.get("supports", 0))
    for i in range(n):
        at = now - timedelta(seconds=10 * (n - i))
        supports.support(case_id, f"demo-{spec['key']}-{i}", at)


def _reviewed(case_id: str, spec: dict[str, Any], after: datetime, now: datetime) -> None:
    """监督评议 (§16): each review the script gives, written by its supervisor ``after_hours``
    after the case's last step and, when ``approved``, approved by the city's coordinator an
    hour later, through the real use cases."""
    from functions.services import reviews
    from functions.services.staff_auth import StaffSession

    moderator = StaffSession(COORDINATOR.id, Role.COORDINATOR, COORDINATOR.name)
    for given in spec.get("reviews", []):
        at = min(after + timedelta(hours=given.get("after_hours", 1)), now - timedelta(minutes=2))
        author = StaffSession(given["by"], Role.SUPERVISOR, "")
        written = reviews.write(case_id, {"text": given["text"]}, author, at)
        if given.get("approved"):
            decided = min(at + timedelta(hours=1), now - timedelta(minutes=1))
            reviews.moderate(written["review_id"], {"decision": "approve"}, moderator, decided)


def _climb_until(case_id: str, until: datetime) -> None:
    """The SLA ladders (a department's, or the platform's own 受理 ladder) as the sweep would
    have climbed them, each rung at its own time, up to ``until`` (the next step of the
    script, or now)."""
    while True:
        case = load(case_id)
        due = sla.next_look(case)
        if due is None or due > until:
            return
        result = sla.climb(case, due, deadline_rules())
        if result is None:
            return
        commit(result, due)


def _shift(instant: datetime, hours: float, calendar: WorkCalendar) -> datetime:
    """``instant`` moved by ``hours`` (back when negative) counting only the working days of
    the official calendar, all 24 hours of each; time on other days does not pass. No hours
    is no move, also on a day off (not on to the next working day: that may be after now)."""
    if not hours:
        return instant
    remaining = timedelta(hours=abs(hours))
    cursor = instant.astimezone(SHANGHAI)
    while True:
        if hours >= 0:
            day = cursor.date()
            edge = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)
        else:  # the day holding the moment just before the cursor
            day = (cursor - timedelta(microseconds=1)).date()
            edge = datetime.combine(day, time(0), SHANGHAI)
        if calendar.is_working_day(day):
            available = abs(edge - cursor)
            if remaining <= available:
                moved = cursor + remaining if hours >= 0 else cursor - remaining
                return moved.astimezone(UTC)
            remaining -= available
        cursor = edge


def _start(
    days_ago: float, script_hours: float, index: int, now: datetime, calendar: WorkCalendar
) -> datetime:
    """A plausible submission time about ``days_ago`` working days back (daytime local), early
    enough for the whole script to have happened before ``now``. Counting in working days
    keeps how overdue a demo case is the same on any day the demo is loaded; a case of today
    loaded on a day off was sent in that day, before ``now``, as citizens do."""
    last = now - timedelta(minutes=30 + index)
    day = _shift(now, -24 * days_ago, calendar).astimezone(SHANGHAI).date()
    minutes = 8 * 60 + (index * 137) % (12 * 60)
    start = datetime.combine(day, time(minutes // 60, minutes % 60), SHANGHAI)
    script_fits = _shift(last, -script_hours, calendar)
    return min(start, script_fits, last).astimezone(UTC)


def _original(
    step: dict[str, Any], spec: dict[str, Any], created: list[dict[str, str]]
) -> str | None:
    """The case a duplicate repeats: named by its demo key, else the first of its category."""
    by_key = {c["key"]: c["case_id"] for c in created}
    if step.get("duplicate_of") in by_key:
        return by_key[step["duplicate_of"]]
    same = [c["case_id"] for c in created if c["category"] == spec["category"]]
    return same[0] if same else (created[0]["case_id"] if created else None)


def _location(spec: dict[str, Any], bounds: list[Boundary]) -> dict[str, Any] | None:
    """The case's place: what the demo file gives, and where it gives no point, one drawn
    inside its district (the same one every load: the draw is seeded by the case's key)."""
    location = dict(spec.get("location") or {})
    district = next((b for b in bounds if b.code == spec["district"]), None)
    if "lat" not in location and district is not None:
        ring = [p for polygon in district.polygons for p in polygon[0]]
        lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
        draw = random.Random(spec["key"])
        while True:
            lng = draw.uniform(min(lngs), max(lngs))
            lat = draw.uniform(min(lats), max(lats))
            if district.contains(lng, lat):
                location.update(lat=round(lat, 6), lng=round(lng, 6))
                break
    return location or None


def load_demo(now: datetime | None = None, path: Path = CASES) -> list[dict[str, str]]:
    """Load every demo case, its timeline ending at ``now`` (the platform clock's, by
    default); return a few (case id, tracking code, state) to try tracking."""
    now = now or platform_clock.utcnow()
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    created: list[dict[str, str]] = []
    # 答复审核 (§15): the demo city's county platforms review their units' replies to
    # complaints, requests for help and suggestions (not to questions or thanks), so the path
    # is seen (the policy's default is off everywhere).
    policy, _ = config_repo.policy_document()
    reviewed = frozenset({Kind.COMPLAINT, Kind.HELP, Kind.SUGGESTION})
    review = {"city": frozenset[Kind](), "county": reviewed}
    config_repo.put_policy(replace(policy, reply_review=review), by="demo", now=now)
    calendar = deadline_rules().calendar
    bounds, _ = boundaries.current()
    for index, spec in enumerate(cases):
        hours = sum(step.get("after_hours", 1) for step in spec.get("script", []))
        at = _start(spec.get("submitted_days_ago", 1), hours, index, now, calendar)
        body = {k: spec[k] for k in ("kind", "category", "district", "title", "content", "public")}
        body["contact"] = {k: v for k, v in spec["contact"].items() if v}
        if (location := _location(spec, bounds)) is not None:
            body["location"] = location
        answer = citizen.submit(body, idempotency_key=None, now=at)
        for step in spec.get("script", []):
            at = min(_shift(at, step.get("after_hours", 1), calendar), now - timedelta(minutes=1))
            if step["do"] == "reject" and step.get("reason_code") == "duplicate":
                step = {**step, "duplicate_of": _original(step, spec, created)}
            if step["do"] == "merge":  # 并件: into the demo case its key names
                step = {**step, "into": {c["key"]: c["case_id"] for c in created}[step["into"]]}
            _climb_until(answer["case_id"], at)
            _step(answer["case_id"], step, at)
        _climb_until(answer["case_id"], now)
        _supported(answer["case_id"], spec, now)
        _reviewed(answer["case_id"], spec, at, now)
        created.append(
            {
                "case_id": answer["case_id"],
                "tracking_code": answer["tracking_code"],
                "state": load(answer["case_id"]).state.value,
                "key": spec["key"],
                "category": spec["category"],
            }
        )
    # 舆情预警: the demo's last ten cases are one morning's water outage in 滨河区; the job,
    # run once at the platform clock, counts every demo case and raises its warning.
    from functions.services import hotspots

    hotspots.run(now)
    # A demo city of sixty cases has a few per department a month: rank from two, not ten.
    config_repo.put_rankings({"min_sample": 2}, by="demo", now=now)
    load_knowledge(now)
    replied = [c for c in created if c["state"] == "replied"][:2]
    others = [c for c in created if c["state"] in ("in_progress", "closed")][:1]
    return replied + others


KNOWLEDGE = Path(__file__).parent / "demo" / "knowledge.json"


def load_knowledge(now: datetime, path: Path = KNOWLEDGE) -> int:
    """The demo 知识库 (§16): real-sounding questions and answers of 临江市, one internal."""
    from functions.domain.knowledge import Entry
    from functions.services import knowledge
    from functions.storage import knowledge_repo

    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    for n, spec in enumerate(entries, start=1):
        until = spec.get("valid_until")
        entry = Entry(
            kb_id=f"kb-demo{n:03d}",
            question=spec["question"],
            answer=spec["answer"],
            category=spec["category"],
            source_unit=spec["source_unit"],
            public=spec["public"],
            created_at=now - timedelta(days=30 - n),
            created_by="demo",
            updated_at=now - timedelta(days=30 - n),
            updated_by="demo",
            valid_until=date.fromisoformat(until) if until else None,
        )
        if knowledge_repo.get(entry.kb_id) is None:
            knowledge_repo.save(entry, None, by="demo", at=now)
    knowledge.forget()
    return len(entries)
