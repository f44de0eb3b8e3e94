"""Scheduled use cases over what is due now, found through sparse indexes."""

from __future__ import annotations

from datetime import datetime

from functions.domain import cases as domain
from functions.domain.errors import Conflict
from functions.services.common import commit, load
from functions.storage import cases_repo


def close_unrated(now: datetime) -> dict[str, int]:
    """Close replied cases whose 7-day rating window passed without a rating (未评价)."""
    closed = raced = 0
    for case_id in cases_repo.rating_window_ended(now):
        try:
            commit(domain.expire_rating(load(case_id), now=now), now)
        except Conflict:
            raced += 1  # rated (or otherwise changed) meanwhile: nothing to do
            continue
        closed += 1
    return {"closed": closed, "raced": raced}
