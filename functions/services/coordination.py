"""The coordinator's (总平台) use cases: the queue, triage, assignment and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import actions, platforms, showcase
from functions.domain.cases import Actor, Case
from functions.domain.errors import NotFound
from functions.domain.lifecycle import TERMINAL, Role, State
from functions.services import presenters
from functions.services.common import context, load, take
from functions.services.staff_auth import StaffSession
from functions.storage import cases_repo, directory, showcase_repo

# Who the console's forms are offered to: any coordinator may take a coordinator's action.
CONSOLE = Actor(Role.COORDINATOR, "console")


def actor(session: StaffSession) -> Actor:
    return Actor(session.role, session.email, session.name, session.county)


def view(case: Case, now: datetime, viewer: Actor = CONSOLE) -> dict[str, Any]:
    events = cases_repo.timeline(case.case_id, public_only=False)
    # Only a closed public case can be on the 回音壁: the others cost no extra read.
    featurable = showcase.can_feature(case)
    on_wall = showcase_repo.get(case.case_id) if featurable else None
    out = presenters.staff_case(
        case,
        events,
        directory.taxonomy(),
        now,
        actions.offered(case, viewer, context(now), "staff"),
        unreachable={d.id: d.unreachable_contacts() for d in directory.departments().values()},
    )
    out["can_feature"] = featurable
    out["featured"] = presenters.featured(on_wall)
    from functions.services import following  # the staff view's only: not on public reads

    out["followers"] = following.followers(case.case_id)  # how many, never who (§14)
    return out


def load_scoped(case_id: str, scope: str | None) -> Case:
    """The case, if someone scoped to ``scope`` (a county platform; None: the city) may see
    it: another county's case is a 404, as if it did not exist, so ids cannot be probed."""
    case = load(case_id)
    if not platforms.in_scope(case.holder, scope):
        raise NotFound("未找到该诉求", "no such case", "case_not_found")
    return case


def case_view(case_id: str, now: datetime, scope: str | None = None) -> dict[str, Any]:
    return view(load_scoped(case_id, scope), now, _viewer(scope))


def _viewer(scope: str | None) -> Actor:
    """Whose forms the console shows: any coordinator's, or a county platform's."""
    return CONSOLE if scope is None else Actor(Role.COUNTY_COORDINATOR, "console", "", scope)


def queue(filters: dict[str, str], now: datetime, scope: str | None = None) -> dict[str, Any]:
    """The queue; a county coordinator's holds only what their platform holds, and its
    ``counts`` are the city's only for the city (the counters are kept city-wide)."""
    state = filters.get("state")
    bucket = "done" if state in {s.value for s in TERMINAL} else "open"
    sort = filters.get("sort") or "newest"
    if scope is not None:
        filters = {**filters, "holder": scope}
    page = cases_repo.queue(filters, sort=sort, bucket=bucket, cursor=filters.get("cursor"))
    tax = directory.taxonomy()
    counts = cases_repo.state_counts() if scope is None else {}
    return {
        "items": [presenters.staff_summary(c, tax, now) for c in page.cases],
        "next_cursor": page.next_cursor,
        "counts": {s.value: counts[s.value] for s in State if s.value in counts}
        if scope is not None
        else {s.value: counts.get(s.value, 0) for s in State},
    }


def act(
    suffix: str, case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """A coordinator's lifecycle action (``POST /api/staff/cases/{case_id}/<suffix>``), as its
    module declares it; the answer is the console's view of the case after it."""
    action = actions.by_suffix("staff", suffix)
    case = load_scoped(case_id, session.county)
    taken = take(action, case, actor(session), body, now, scope=session.county)
    return view(taken, now, _viewer(session.county))
