"""Scheduled use cases over what is due now, found through sparse indexes, and the one loop
they (and the SLA sweep, ``functions/services/sla.py``) run over the cases due."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions import logs
from functions.domain.actions import anonymise as anonymising
from functions.domain.actions import archive as archiving
from functions.domain.actions.expire_rating import expire_rating
from functions.domain.actions.followup import request_followup
from functions.domain.calendar import local_date
from functions.domain.cases import Case, TransitionResult, public_text
from functions.domain.errors import Conflict, Gone
from functions.services.common import commit
from functions.settings import settings
from functions.storage import cases_repo

log = logging.getLogger("wenzheng.jobs")


@dataclass
class Tally:
    """What one pass over the due cases did, case by case."""

    due: int = 0  # cases the index listed
    done: int = 0  # cases written
    events: int = 0  # events those writes appended
    unchanged: int = 0  # listed but nothing to do (the index lags the table a little)
    raced: int = 0  # changed (or archived) by someone else between read and write
    failed: int = 0  # could not be read or written (storage trouble, bad data): logged


def each_due(
    case_ids: Iterable[str], step: Callable[[Case], TransitionResult | None], now: datetime
) -> Tally:
    """Read each case, apply ``step`` (None: nothing to do) and commit the result, one
    conditional transaction per case. One case failing never holds up the others: it stays
    in its index and the next run tries it again; a case a concurrent change made moot
    counts as raced. Safe to rerun at the same instant and to kill midway."""
    tally = Tally()
    for case_id in case_ids:
        tally.due += 1
        try:
            case = cases_repo.get(case_id)
            result = step(case) if case is not None else None
        except (Conflict, Gone):  # the step refuses a case changed meanwhile
            tally.raced += 1
            continue
        except Exception as error:
            log.error("due_case_not_read", extra={"case_id": case_id, **logs.failure(error)})
            tally.failed += 1
            continue
        if result is None:
            tally.unchanged += 1
            continue
        try:
            commit(result, now)
        except (Conflict, Gone):
            tally.raced += 1
            continue
        except Exception as error:
            log.error("due_case_not_written", extra={"case_id": case_id, **logs.failure(error)})
            tally.failed += 1
            continue
        tally.done += 1
        tally.events += len(result.events)
    return tally


def _counts(name: str, tally: Tally) -> dict[str, int]:
    return {name: tally.done, f"{name}_raced": tally.raced, f"{name}_failed": tally.failed}


def close_unrated(now: datetime) -> dict[str, int]:
    """Close replied cases whose 7-day rating window passed without a rating (未评价); a case
    rated meanwhile counts as raced."""
    due = cases_repo.rating_window_ended(now)
    tally = each_due(due, lambda case: expire_rating(case, now=now), now)
    return {"closed": tally.done, "raced": tally.raced, "failed": tally.failed}


def request_followups(now: datetime) -> dict[str, int]:
    """Ask the lead how each 列入计划 promise went once its planned date has passed (Shanghai
    date): per promise ONE transaction with the internal event, the email and its fresh link,
    conditional on the case version, and the promise leaves the ``followup-due`` index with it,
    so a rerun (or a concurrent run) sends nothing more."""
    due = cases_repo.followup_due(local_date(now))
    return _counts("followups", each_due(due, lambda c: request_followup(c, now=now), now))


def auto_close(now: datetime) -> dict[str, int]:
    """The ``auto-close`` job: close unrated cases first (a promise's follow-up then sees the
    case as closed), then follow up the promises whose date has passed."""
    return {**close_unrated(now), **request_followups(now)}


def _forgetting_followers(result: TransitionResult) -> TransitionResult:
    """关注: a case that is archived (or anonymised) sends no notice again, so its followers'
    addresses go, before the case's own write: should that write fail, the case stays due and
    the next run tries both again (the deletion is idempotent)."""
    from functions.services import following

    following.forget(result.case.case_id)
    return result


def _deleting_mailed_objects(case: Case) -> None:
    """A mailed case's files and stored messages go before the case's own write, as its
    followers do: should that write fail, the case stays due and the next run deletes again
    (deleting a missing object succeeds)."""
    from functions.storage import media_store

    for key in anonymising.mailed_objects(case):
        media_store.delete(key)


def archive(now: datetime) -> dict[str, int]:
    """The ``archive`` job: cases closed ``archive_after_days`` ago (and whose 列入计划 promise,
    if any, has been followed up) become read-only, one conditional transaction each; their
    followers are removed."""
    until = now - timedelta(days=settings().archive_after_days)
    due = cases_repo.retire_due("archive", until)

    def step(case: Case) -> TransitionResult:
        return _forgetting_followers(archiving.archive(case, now=now))

    return _counts("archived", each_due(due, step, now))


def _years_before(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year - years)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year - years, day=28)


def anonymise(now: datetime) -> dict[str, int]:
    """The ``retention`` job: archived ``retention_years`` ago, a case loses the citizen's
    name, phone and email (and the salt of their reference) and keeps its text only as
    scrubbed for the public, and any follower still recorded; a mailed case loses its files
    and stored messages (市长信箱); statistics and the hash chain stay."""
    until = _years_before(now, settings().retention_years)

    def step(case: Case) -> TransitionResult:
        title, content = (
            public_text(case, case.title),
            public_text(case, case.content),
        )
        result = anonymising.anonymise(case, now=now, title=title, content=content)
        _deleting_mailed_objects(case)
        return _forgetting_followers(result)  # any left since archiving (a race, a failure)

    return _counts("anonymised", each_due(cases_repo.retire_due("anonymise", until), step, now))
