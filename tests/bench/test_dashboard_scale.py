"""The leaders' dashboard reads a year of daily series at a cost independent of the number of
cases: one Query per month of ``daily-tallies`` (one item per day and district), whatever the
counts inside; 10,000 and 100,000 cases under ``make bench``.

Seeded as real transitions leave a year: the N cases themselves in the ``cases`` table (the
rankings bench's stories: assigned, signed, closed 满意, reopened 不满意), and the year's
daily tallies: each case submitted on one of the 365 days in one of the 11 districts, adding
what the real ``functions.domain.dashboard.deltas`` of its transitions add. Then
``services.dashboard.figures`` reads the year (weekly granularity) for the whole city.

Counted with the rankings bench's botocore hooks: requests per operation and table, and the
items they return; deterministic, so asserted equal at every case count. Timings printed.

``make test`` runs 300 / 1,200 cases and times one warm read of each (the counts asserted are
the same in every round; the timings are only printed); ``make bench``
(``BENCH_DASHBOARD_CASES=10000,100000``, ``BENCH_DASHBOARD_ROUNDS=5``) medians of five.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from functions.domain.calendar import SHANGHAI
from tests.bench.test_rankings_scale import (
    COUNTIES,
    Reads,
    _directory,
    _put_cases,
    _stories,
    measuring,
    reads,
)

__all__ = ["reads"]  # the request-counting fixture, shared with the rankings bench

CASES = [int(n) for n in os.environ.get("BENCH_DASHBOARD_CASES", "300,1200").split(",")]
ROUNDS = int(os.environ.get("BENCH_DASHBOARD_ROUNDS", "1"))
DEPARTMENTS = 10
FIRST = datetime(2025, 12, 1, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)
DAYS = 365
DISTRICTS = ["city", *COUNTIES]


def _per_case() -> Counter[str]:
    """What one case's life adds to the daily series (summed over its days): submitted,
    assigned, signed, replied on time, rated 满意 and closed, by the real ``deltas``."""
    from functions.domain.calendar import WorkCalendar
    from functions.domain.cases import Actor, DeadlineRules, DepartmentRef
    from functions.domain.dashboard import deltas
    from functions.domain.lifecycle import Role
    from functions.domain.policy import DEFAULT_POLICY
    from functions.domain.taxonomy import Outcome, Rating
    from tests import factories
    from tests import transitions as domain

    rules = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
    lead = DepartmentRef("dept-1", "测试单位001")
    handler = Actor(Role.LEAD, lead.id, lead.name)
    at = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    steps = [factories.new_case(now=at)]
    coordinator = Actor(Role.COORDINATOR, "coordinator@wenzheng.example")
    steps.append(
        factories.accept_and_assign(steps[-1].case, coordinator, lead=lead, now=at, rules=rules)
    )
    steps.append(domain.sign(steps[-1].case, handler, now=at + timedelta(hours=1)))
    steps.append(
        domain.reply(
            steps[-1].case,
            handler,
            outcome=Outcome.RESOLVED,
            text="您好！经现场核查，问题已解决。" * 2,
            planned_date=None,
            now=at + timedelta(days=1),
            rules=rules,
        )
    )
    steps.append(
        domain.rate(
            steps[-1].case,
            rating=Rating.SATISFIED,
            comment=None,
            now=at + timedelta(days=2),
            rules=rules,
        )
    )
    total: Counter[str] = Counter()
    for step in steps:
        for counts in deltas(step).values():
            total.update(counts)
    return total


def _put_tallies(cases: int) -> int:
    """The year's (day, district) tallies for ``cases`` cases spread round-robin over the days
    and districts, straight into moto's table (as the rankings bench puts its cases)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from functions.settings import settings

    one = _per_case()
    spread: Counter[tuple[int, int]] = Counter(
        (i % DAYS, (i // DAYS) % len(DISTRICTS)) for i in range(cases)
    )
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    table = backend.get_table(f"{settings().table_prefix}daily-tallies")
    items = 0
    for day_n in range(DAYS):
        day = (FIRST + timedelta(days=day_n)).date().isoformat()
        for d, district in enumerate(DISTRICTS):
            k = spread[(day_n, d)]
            item: dict[str, Any] = {
                "month": {"S": day[:7]},
                "day_district": {"S": f"{day}#{district}"},
            }
            item.update({name: {"N": str(n * k)} for name, n in one.items()})
            table.put_item(item)
            items += 1
    return items


def _timed(fn: Any, reads: Reads) -> tuple[float, Any]:
    reads.reset()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def test_a_year_of_the_dashboard_reads_the_same_whatever_the_number_of_cases(
    reads: Reads,
) -> None:
    from functions.services import dashboard
    from functions.storage import directory
    from functions.storage.models import CaseModel

    _directory(DEPARTMENTS)
    stories = _stories(DEPARTMENTS)
    figures: dict[int, dict[str, Any]] = {}
    try:
        for cases in CASES:
            measuring(reads, on=False)
            gc.unfreeze()
            _put_cases(stories, range(CaseModel.count(), cases), DEPARTMENTS)
            assert CaseModel.count() == cases
            tallies = _put_tallies(cases)
            directory.clear_cache()
            gc.collect()
            gc.freeze()
            measuring(reads)

            def year() -> dict[str, Any]:
                return dashboard.figures("2025-12-01", "2026-11-30", None, NOW)

            _, cold_answer = _timed(year, reads)
            cold = (reads.by_operation(), reads.items_read, reads.tables())
            assert cold_answer["granularity"] == "week" and len(cold_answer["days"]) == DAYS
            assert cold_answer["totals"]["counts"]["intake"] == cases
            assert cold_answer["totals"]["counts"]["closed_satisfied"] == cases
            times = []
            for _ in range(ROUNDS):
                elapsed, _ = _timed(year, reads)
                times.append(elapsed)
            warm = (reads.by_operation(), reads.items_read, reads.requests.copy())
            figures[cases] = {"cold": cold, "warm": warm, "s": statistics.median(times)}
            assert tallies == DAYS * len(DISTRICTS)
    finally:
        gc.unfreeze()

    first = figures[CASES[0]]
    for cases, f in figures.items():
        assert f["warm"][:2] == first["warm"][:2], (cases, f["warm"], first["warm"])
    ops, items, requests = first["warm"]
    from functions.settings import settings

    prefix = settings().table_prefix
    # (and the week's 舆情预警: one Query of the month's warnings)
    tables = {table.removeprefix(prefix) for _, table in requests}
    assert tables == {"daily-tallies", "cases", "hotspot-warnings"}
    assert requests[("Query", f"{prefix}cases")] == 2  # the cards index, not a scan
    # A year: 12 Queries of daily-tallies (one per month), 2 of the cards index (黄牌, 红牌:
    # no case is overdue here), 1 of the week's 舆情预警 (one month here), nothing else once
    # the reference data is cached.
    assert ops == {"Query": 15}, ops
    assert items == DAYS * len(DISTRICTS), items

    print(f"\n领导驾驶舱: a year ({DAYS} days × {len(DISTRICTS)} districts), {ROUNDS} rounds")
    for cases, f in figures.items():
        ops, items, _ = f["warm"]
        print(f"  {cases:>7,} cases: {ops} read {items} items, median {f['s'] * 1000:.1f} ms")
