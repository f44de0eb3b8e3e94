"""Scheduled use cases over what is due now, found through sparse indexes."""

from __future__ import annotations

import logging
from datetime import datetime

from functions.domain import cases as domain
from functions.domain.calendar import local_date
from functions.domain.errors import Conflict
from functions.services.common import commit, load
from functions.storage import cases_repo

log = logging.getLogger("wenzheng.jobs")


def close_unrated(now: datetime) -> dict[str, int]:
    """Close replied cases whose 7-day rating window passed without a rating (未评价)."""
    closed = raced = failed = 0
    for case_id in cases_repo.rating_window_ended(now):
        try:
            commit(domain.expire_rating(load(case_id), now=now), now)
        except Conflict:
            raced += 1  # rated (or otherwise changed) meanwhile: nothing to do
            continue
        except Exception:  # one bad case must not hold up the others; it is retried next run
            log.exception("auto-close failed: case=%s", case_id)
            failed += 1
            continue
        closed += 1
    return {"closed": closed, "raced": raced, "failed": failed}


def request_followups(now: datetime) -> dict[str, int]:
    """Ask the lead how each 列入计划 promise went once its planned date has passed (Shanghai
    date): per promise ONE transaction with the internal event, the email and its fresh link,
    conditional on the case version, and the promise leaves the ``followup-due`` index with it,
    so a rerun (or a concurrent run) sends nothing more."""
    asked = raced = failed = 0
    for case_id in cases_repo.followup_due(local_date(now)):
        try:
            commit(domain.request_followup(load(case_id), now=now), now)
        except Conflict:
            raced += 1  # asked by a concurrent run, or the case moved on meanwhile
            continue
        except Exception:  # one bad case must not hold up the others; it is retried next run
            log.exception("follow-up failed: case=%s", case_id)
            failed += 1
            continue
        asked += 1
    return {"followups": asked, "followups_raced": raced, "followups_failed": failed}


def auto_close(now: datetime) -> dict[str, int]:
    """The ``auto-close`` job: close unrated cases first (a promise's follow-up then sees the
    case as closed), then follow up the promises whose date has passed."""
    return {**close_unrated(now), **request_followups(now)}
