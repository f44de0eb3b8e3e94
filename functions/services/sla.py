"""The SLA sweep (`sla-sweep`, every 5 minutes): every case whose next rung is due climbs the
ladder in one conditional transaction per case, then leaves the due index until its next
rung. Safe to rerun at the same instant and to kill midway: a case either climbed (its next
check moved past now) or is still due and climbs on the next run (the loop over the due
cases is the other jobs' too: ``functions.services.sweeps.each_due``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from functions.domain import sla
from functions.domain.errors import invalid_field
from functions.domain.platforms import CITY
from functions.services import presenters
from functions.services.common import deadline_rules
from functions.services.sweeps import each_due
from functions.storage import cases_repo, directory


@dataclass
class SweepReport:
    due: int = 0  # cases the index listed as due
    climbed: int = 0  # cases written (rungs climbed, or a stale next check re-derived)
    rungs: int = 0  # rung events written
    unchanged: int = 0  # listed but nothing to do (the index lags the table a little)
    raced: int = 0  # changed by someone else between read and write: the next run retries
    failed: int = 0  # could not be written (storage trouble, bad data): logged, retried

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweep(now: datetime) -> SweepReport:
    rules = deadline_rules()
    tally = each_due(cases_repo.sla_due(now), lambda case: sla.climb(case, now, rules), now)
    return SweepReport(
        due=tally.due,
        climbed=tally.done,
        rungs=tally.events,
        unchanged=tally.unchanged,
        raced=tally.raced,
        failed=tally.failed,
    )


def lag_seconds(now: datetime) -> float:
    """How long the oldest due deadline check has waited for the sweep (0 when nothing is due): the
    ``SlaSweepLagSeconds`` metric."""
    oldest = cases_repo.sla_oldest_due(now)
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


CARDS = ("yellow", "red")


def overdue(
    card: str,
    filters: dict[str, str],
    cursor: str | None,
    now: datetime,
    *,
    public: bool,
    scope: str | None = None,
) -> dict[str, Any]:
    """The overdue lists: the 黄牌/红牌 list of ``card`` (the public sees red only), or for staff
    the platform's own list (``triage``: 平台受理超时); and beside it each platform's own
    delays, how many and how long (functions/services/platforms.py). A county coordinator's
    (``scope``) lists hold only their platform's cases."""
    from functions.services import platforms

    if card == platforms.TRIAGE_CARD and not public:
        listing = platforms.overdue_cases(filters, cursor, now, platform=scope or CITY)
    else:
        if scope is not None:
            filters = {**filters, "holder": scope}
        listing = carded(card, filters, cursor, now, public=public)
    return {**listing, "platforms": platforms.delays(now)}


def carded(
    card: str, filters: dict[str, str], cursor: str | None, now: datetime, *, public: bool
) -> dict[str, Any]:
    """The 黄牌/红牌 list: cases holding ``card`` on a deadline still running, most overdue
    first. The public sees red cards on public cases; staff see both cards on every case."""
    if card not in CARDS:
        raise invalid_field(
            "card", "请选择黄牌、红牌或平台受理超时", "card must be yellow, red or triage"
        )
    page = cases_repo.carded(card, filters, cursor, public=public)
    tax = directory.taxonomy()
    shape = presenters.summary if public else presenters.staff_summary
    return {
        "card": card,
        "card_label": presenters.CARD_LABELS[card],
        "items": [shape(c, tax, now) for c in page.cases],
        "next_cursor": page.next_cursor,
    }
