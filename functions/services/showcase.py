"""回音壁 use cases: a coordinator features a closed public case with a short editorial summary
(and an optional before/after note) or takes it down; the public reads the wall, newest first.

Each feature / unfeature is ONE transaction: the case (conditional on the version it was read
at, with an internal timeline event) and the wall item. The case stays closed and no clock
runs on a closed case, so there is nothing to reconcile, no notice and no ranking tally: the
transaction goes to ``case_commit.commit`` directly with the wall item as its extra item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import showcase as rules
from functions.domain.cases import require_writable
from functions.domain.errors import NotFound
from functions.services import presenters
from functions.services.common import load
from functions.services.coordination import actor, view
from functions.services.staff_auth import StaffSession
from functions.storage import case_commit, directory, showcase_repo


def feature(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """Feature the case, or edit its summary when it is already on the wall."""
    case = load(case_id)
    who = actor(session)
    previous = showcase_repo.get(case_id)
    already = previous is not None and previous.on_wall
    before_after = (body.get("before_after") or "").strip() or None
    result = rules.feature(
        case,
        who,
        summary=body["summary"],
        before_after=before_after,
        now=now,
        already=already,
    )
    item = showcase_repo.featured_item(
        previous,
        case_id=case_id,
        snapshot=presenters.showcase_snapshot(
            case, directory.taxonomy(), summary=body["summary"].strip(), before_after=before_after
        ),
        summary=body["summary"].strip(),
        before_after=before_after,
        actor=who,
        now=now,
    )
    case_commit.commit(result, extra=[item])
    return view(result.case, now)


def unfeature(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """Take the case off the wall (404 when it is not on it; 410 once archived)."""
    case = load(case_id)
    require_writable(case)
    previous = showcase_repo.get(case_id)
    if previous is None or not previous.on_wall:
        raise NotFound("本件诉求不在回音壁上", "this case is not featured", "not_featured")
    who = actor(session)
    result = rules.unfeature(case, who, now=now)
    case_commit.commit(result, extra=[showcase_repo.withdrawn_item(previous, actor=who, now=now)])
    return view(result.case, now)


def wall(cursor: str | None) -> dict[str, Any]:
    """The public 回音壁: featured cases, newest first, a page of 10 per request."""
    entries, next_cursor = showcase_repo.page(cursor)
    return {"items": [presenters.showcase_item(e) for e in entries], "next_cursor": next_cursor}
