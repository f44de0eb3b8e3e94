"""Scheduled use cases over what is due now, found through sparse indexes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from functions.domain.actions import anonymise as anonymising
from functions.domain.actions import archive as archiving
from functions.domain.actions.expire_rating import expire_rating
from functions.domain.actions.followup import request_followup
from functions.domain.calendar import local_date
from functions.domain.cases import Case, TransitionResult, public_text
from functions.domain.errors import Conflict, Gone
from functions.services.common import commit, load
from functions.settings import settings
from functions.storage import cases_repo

log = logging.getLogger("wenzheng.jobs")


def _each(
    case_ids: Iterable[str], step: Callable[[Case], TransitionResult], now: datetime, name: str
) -> dict[str, int]:
    """Apply ``step`` to each case and commit it, counting what was done, what a concurrent
    change made moot and what failed (retried on the next run)."""
    done = raced = failed = 0
    for case_id in case_ids:
        try:
            commit(step(load(case_id)), now)
        except (Conflict, Gone):  # changed (or archived) by a concurrent run meanwhile
            raced += 1
            continue
        except Exception:  # one bad case must not hold up the others
            log.exception("%s failed: case=%s", name, case_id)
            failed += 1
            continue
        done += 1
    return {name: done, f"{name}_raced": raced, f"{name}_failed": failed}


def close_unrated(now: datetime) -> dict[str, int]:
    """Close replied cases whose 7-day rating window passed without a rating (未评价); a case
    rated meanwhile counts as raced."""
    due = cases_repo.rating_window_ended(now)
    counts = _each(due, lambda case: expire_rating(case, now=now), now, "closed")
    return {
        "closed": counts["closed"],
        "raced": counts["closed_raced"],
        "failed": counts["closed_failed"],
    }


def request_followups(now: datetime) -> dict[str, int]:
    """Ask the lead how each 列入计划 promise went once its planned date has passed (Shanghai
    date): per promise ONE transaction with the internal event, the email and its fresh link,
    conditional on the case version, and the promise leaves the ``followup-due`` index with it,
    so a rerun (or a concurrent run) sends nothing more."""
    due = cases_repo.followup_due(local_date(now))
    return _each(due, lambda case: request_followup(case, now=now), now, "followups")


def auto_close(now: datetime) -> dict[str, int]:
    """The ``auto-close`` job: close unrated cases first (a promise's follow-up then sees the
    case as closed), then follow up the promises whose date has passed."""
    return {**close_unrated(now), **request_followups(now)}


def archive(now: datetime) -> dict[str, int]:
    """The ``archive`` job: cases closed ``archive_after_days`` ago (and whose 列入计划 promise,
    if any, has been followed up) become read-only, one conditional transaction each."""
    until = now - timedelta(days=settings().archive_after_days)
    due = cases_repo.retire_due("archive", until)
    return _each(due, lambda case: archiving.archive(case, now=now), now, "archived")


def _years_before(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year - years)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year - years, day=28)


def anonymise(now: datetime) -> dict[str, int]:
    """The ``retention`` job: archived ``retention_years`` ago, a case loses the citizen's
    name, phone and email (and the salt of their reference) and keeps its text only as
    scrubbed for the public; statistics and the hash chain stay."""
    until = _years_before(now, settings().retention_years)

    def step(case: Case) -> TransitionResult:
        title, content = (
            public_text(case, case.title),
            public_text(case, case.content),
        )
        return anonymising.anonymise(case, now=now, title=title, content=content)

    return _each(cases_repo.retire_due("anonymise", until), step, now, "anonymised")
