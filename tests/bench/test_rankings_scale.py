"""A month's 亮晒比 ranking reads one item per unit, never one per case: 30 and 300
departments, 10,000 and 100,000 cases assigned in the month.

Seeded as real transitions leave a month: the directory with D departments; the month's
counters (one ``tallies`` item per department, the sums of what each case's transitions
added, computed by the real ``deltas``); the previous month's counters, frozen by the
``rankings`` job; and the N cases themselves in the ``cases`` table, built by the real
domain functions (assigned, signed, closed 满意, reopened 不满意; spread over the D
departments). Then ``services.rankings.ranking`` reads November while it is the current month
(computed from the counters, month to date) and after the job froze it on 1 December.

Counted with botocore hooks: requests per operation and table, and the items they return.
Timed: the ranking read, median over the rounds, as a ratio against a bare
``TallyModel.query`` of the same month in the same run. Timings are printed, never asserted.

``make test`` runs a small instance (10 / 30 departments, 300 / 1,200 cases, 3 rounds) for
the counts; ``make bench`` (``BENCH_RANKING_DEPARTMENTS=30,300``,
``BENCH_RANKING_CASES=10000,100000``, ``BENCH_RANKING_ROUNDS=15``) the real one, with the
figures printed.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.domain.calendar import SHANGHAI

CASES = [int(n) for n in os.environ.get("BENCH_RANKING_CASES", "300,1200").split(",")]
DEPARTMENTS = [int(n) for n in os.environ.get("BENCH_RANKING_DEPARTMENTS", "10,30").split(",")]
ROUNDS = int(os.environ.get("BENCH_RANKING_ROUNDS", "3"))
MONTH, BEFORE = "2026-11", "2026-10"
ASSIGNED = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # Mon
NOW = datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)  # November is the current month
FROZEN = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)  # the job has frozen November
COUNTIES = [f"county-{n:02d}" for n in range(1, 11)]
# What each case went through, and the state it is left in.
STORIES = {
    "assigned": "assigned",
    "signed": "in_progress",
    "closed": "closed",
    "reopened": "reopened",
}


class Reads:
    """A botocore hook pair on every model's client: requests per operation and table, the
    items they return, and the time spent inside DynamoDB calls."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self.hooked: list[Any] = []  # the clients ``measuring`` hooked it onto
        self.items_read = 0
        self.in_dynamodb = 0.0
        self._started = 0.0
        self._table = ""

    def reset(self) -> None:
        self.requests.clear()
        self.items_read = 0
        self.in_dynamodb = 0.0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def by_operation(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (operation, _), n in self.requests.items():
            out[operation] += n
        return dict(sorted(out.items()))

    def tables(self) -> set[str]:
        from functions.settings import settings

        return {table.removeprefix(settings().table_prefix) for _, table in self.requests}

    def before(self, params: Any = None, **_: Any) -> None:
        self._started = time.perf_counter()
        self._table = str(json.loads(params["body"] or "{}").get("TableName", "?"))

    def after(self, model: Any = None, parsed: Any = None, **_: Any) -> None:
        self.in_dynamodb += time.perf_counter() - self._started
        name = model.name if model is not None else "?"
        self.requests[(name, self._table)] += 1
        if name in ("Query", "Scan"):
            self.items_read += int(parsed.get("Count", 0))
        elif name == "GetItem" and parsed.get("Item"):
            self.items_read += 1
        elif name == "BatchGetItem":
            self.items_read += sum(len(items) for items in parsed.get("Responses", {}).values())


def _clients() -> list[Any]:
    from functions.storage.models import ALL_MODELS

    found = {id(c): c for c in (m._get_connection().connection.client for m in ALL_MODELS)}
    return list(found.values())


@pytest.fixture
def reads(aws: None) -> Iterator[Reads]:
    hooks = Reads()
    yield hooks  # populate first, then measure with ``measuring``
    measuring(hooks, on=False)


def measuring(hooks: Reads, *, on: bool = True) -> None:
    """Hook ``hooks`` onto every model's client (``on``), or off the clients it was hooked
    onto: botocore's ``unregister`` of a handler never registered can fail in its event trie."""
    for client in hooks.hooked:
        client.meta.events.unregister("before-call.dynamodb", hooks.before)
        client.meta.events.unregister("after-call.dynamodb", hooks.after)
    hooks.hooked = _clients() if on else []
    for client in hooks.hooked:
        client.meta.events.register("before-call.dynamodb", hooks.before)
        client.meta.events.register("after-call.dynamodb", hooks.after)


# --- the city and its month -----------------------------------------------------------------


def _department(n: int) -> dict[str, Any]:
    """dept-n: a third at city level (市本级), the rest spread over ten counties."""
    district = "city" if n % 3 == 1 else COUNTIES[n % len(COUNTIES)]
    return {
        "id": f"dept-{n}",
        "name": f"测试单位{n:03d}",
        "district": district,
        "categories": ["urban"],
        "handler": {"name": "经办人", "email": f"dept-{n}@dept.example"},
        "spokesperson": {"name": "发言人", "email": f"dept-{n}-fyr@dept.example"},
        "leader": {"name": "负责人", "email": f"dept-{n}-leader@dept.example"},
    }


def _directory(departments: int) -> None:
    from functions.storage import directory
    from tests.conftest import TEST_CITY

    districts = [{"code": "city", "label": "市本级"}] + [
        {"code": code, "label": f"第{code[-2:]}区"} for code in COUNTIES
    ]
    directory.put_taxonomy({**TEST_CITY, "districts": districts})
    for n in range(1, departments + 1):
        directory.put_department(_department(n))
    directory.clear_cache()


def _stories(departments: int) -> dict[tuple[int, str], tuple[dict[str, Any], dict[str, int]]]:
    """Per (department, story): the case's item as ``cases_repo`` writes it, and what its
    transitions added to the department's November counters (the real ``deltas``)."""
    from functions.domain.calendar import WorkCalendar
    from functions.domain.cases import Actor, DeadlineRules, DepartmentRef
    from functions.domain.lifecycle import Role
    from functions.domain.policy import DEFAULT_POLICY
    from functions.domain.rankings import Tally, deltas
    from functions.domain.taxonomy import Outcome, Rating
    from functions.storage import case_items
    from tests import factories
    from tests import transitions as domain

    calendar = WorkCalendar()
    rules = DeadlineRules(calendar, DEFAULT_POLICY)
    coordinator = Actor(Role.COORDINATOR, "coordinator@wenzheng.example")
    text = "您好！经现场核查，电梯主板损坏，已督促物业更换并恢复运行。"
    out = {}
    for n in range(1, departments + 1):
        lead = DepartmentRef(f"dept-{n}", f"测试单位{n:03d}")
        handler = Actor(Role.LEAD, lead.id, lead.name)
        for story in STORIES:
            case = factories.new_case(now=ASSIGNED, case_id="WZ20261102-000000").case
            steps = [
                factories.accept_and_assign(case, coordinator, lead=lead, now=ASSIGNED, rules=rules)
            ]
            late = story == "reopened"
            if story != "assigned":  # signed within the 8 office hours, or two days late
                at = ASSIGNED + timedelta(days=2 if late else 0, hours=1)
                steps.append(domain.sign(steps[-1].case, handler, now=at))
            if story in ("closed", "reopened"):  # replied on day 2, or on day 10 (late)
                at = ASSIGNED + timedelta(days=10 if late else 2)
                steps.append(
                    domain.reply(
                        steps[-1].case,
                        handler,
                        outcome=Outcome.RESOLVED,
                        text=text,
                        planned_date=None,
                        now=at,
                        rules=rules,
                    )
                )
                rating = Rating.UNSATISFIED if late else Rating.SATISFIED
                steps.append(
                    domain.rate(
                        steps[-1].case,
                        rating=rating,
                        comment="没有解决" if late else None,
                        now=at + timedelta(hours=2),
                        rules=rules,
                    )
                )
            final = steps[-1].case
            assert final.state == STORIES[story]
            tally = Tally()
            for step in steps:
                tally.add(deltas(step, calendar).get((lead.id, MONTH), {}))
            counts = {k: v for k, v in vars(tally).items() if v}
            out[(n, story)] = (case_items.to_model(final).serialize(), counts)
    return out


def _story_of(i: int, departments: int) -> tuple[int, str]:
    """Case i's lead department and story: round-robin over the departments, then stories."""
    return i % departments + 1, list(STORIES)[(i // departments) % len(STORIES)]


def _put_cases(stories: dict[Any, Any], numbers: range, departments: int) -> None:
    """Case items straight into moto's table, skipping its per-attribute size re-check.

    Through the API moto re-sums the size of the whole item on every attribute it sets
    (quadratic in the item's attributes) and parses the request with botocore's parser:
    over 2 ms per case item, several minutes for 100,000. The items are those
    ``case_items.to_model`` writes (validated by moto's own ``put_item``: keys, types,
    sizes); only how they get in differs, and the ranking never reads them."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from functions.settings import settings

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    table = backend.get_table(f"{settings().table_prefix}cases")
    size_checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        for i in numbers:
            item, _ = stories[_story_of(i, departments)]
            case_id = f"WZ20261102-{i:06d}"
            created = item["created_key"]["S"].split("#", 1)[0]
            table.put_item(
                {**item, "case_id": {"S": case_id}, "created_key": {"S": f"{created}#{case_id}"}}
            )
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = size_checked  # type: ignore[method-assign]


def _put_tallies(stories: dict[Any, Any], cases: int, departments: int) -> None:
    """Each department's counters for November (the sums its cases' transitions added),
    and for October (the same cases one story along: a month-on-month change to show)."""
    from functions.domain.rankings import Tally
    from functions.storage.models import TallyModel

    per: Counter[tuple[int, str]] = Counter(_story_of(i, departments) for i in range(cases))
    october: Counter[tuple[int, str]] = Counter(
        _story_of(i + departments, departments) for i in range(cases)
    )
    with TallyModel.batch_write() as batch:
        for month, spread in ((MONTH, per), (BEFORE, october)):
            for n in range(1, departments + 1):
                tally = Tally()
                for story in STORIES:
                    k = spread[(n, story)]
                    tally.add({name: v * k for name, v in stories[(n, story)][1].items()})
                batch.save(TallyModel(month, f"dept-{n}", **vars(tally)))


# --- the measurement ------------------------------------------------------------------------


def _bare_query() -> int:
    from functions.storage.models import TallyModel

    return sum(1 for _ in TallyModel.query(MONTH))


def _timed(fn: Any, reads: Reads) -> tuple[float, Any]:
    reads.reset()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@pytest.mark.parametrize("departments", DEPARTMENTS)
def test_a_ranking_reads_one_item_per_unit_not_per_case(reads: Reads, departments: int) -> None:
    from functions.services import rankings
    from functions.storage import cases_repo, directory
    from functions.storage.models import CaseModel, RankingModel

    _directory(departments)
    stories = _stories(departments)
    figures: dict[int, dict[str, Any]] = {}
    try:
        for cases in CASES:
            measuring(reads, on=False)
            gc.unfreeze()
            _put_cases(stories, range(CaseModel.count(), cases), departments)
            assert CaseModel.count() == cases
            last = cases_repo.get(f"WZ20261102-{cases - 1:06d}")  # reads back as a case
            n, story = _story_of(cases - 1, departments)
            assert last is not None and last.lead is not None
            assert (last.lead.id, last.state) == (f"dept-{n}", STORIES[story])
            _put_tallies(stories, cases, departments)
            for month in (BEFORE, MONTH):  # the frozen documents and their 通报, made again
                RankingModel(month).delete()
                RankingModel(f"bulletin#{month}").delete()
            assert rankings.freeze_last_month(NOW)["frozen"]  # October, on 1 November
            directory.clear_cache()
            # In-process moto keeps every table in this interpreter's heap; freeze it so the
            # garbage collector does not rescan it during the measurement (a cost
            # DynamoDB's storage never puts on a Lambda).
            gc.collect()
            gc.freeze()
            measuring(reads)

            # A cold process: the directory, taxonomy and weights are read once, then cached.
            _, document = _timed(lambda: rankings.ranking(MONTH, NOW), reads)
            cold = (reads.by_operation(), reads.items_read, reads.tables())
            assert not document["frozen"] and document["month_to_date"]
            # City departments one by one, the rest in their counties' sums.
            rows = document["departments"] + document["counties"]
            assert len(document["departments"]) == sum(
                1 for n in range(1, departments + 1) if n % 3 == 1
            )
            assert sum(row["assigned"] for row in rows) == cases

            bare_s, computed_s, frozen_s, ours_s = [], [], [], []
            for _ in range(ROUNDS):
                elapsed, units = _timed(_bare_query, reads)
                assert units == departments
                bare_s.append(elapsed)
                elapsed, computed = _timed(lambda: rankings.ranking(MONTH, NOW), reads)
                computed_s.append(elapsed)
                ours_s.append(elapsed - reads.in_dynamodb)
            warm = (reads.by_operation(), reads.items_read, reads.tables())

            _, frozen_job = _timed(lambda: rankings.freeze_last_month(FROZEN), reads)
            assert frozen_job == {"month": MONTH, "frozen": True, "bulletin": True}
            job = (reads.by_operation(), reads.items_read, reads.tables())
            for _ in range(ROUNDS):
                elapsed, published = _timed(lambda: rankings.ranking(MONTH, FROZEN), reads)
                frozen_s.append(elapsed)
            frozen = (reads.by_operation(), reads.items_read, reads.tables())
            assert published["frozen"] and not published["month_to_date"]
            assert published["departments"] == computed["departments"]

            for _, _, tables in (cold, warm, job, frozen):
                assert "cases" not in tables, tables
            figures[cases] = {
                "cold": cold,
                "computed": warm,
                "job": job,
                "frozen": frozen,
                "bare_s": statistics.median(bare_s),
                "computed_s": statistics.median(computed_s),
                "ours_s": statistics.median(ours_s),
                "frozen_s": statistics.median(frozen_s),
            }
    finally:
        gc.unfreeze()

    # Deterministic: the same requests and items read at every case count.
    first = figures[CASES[0]]
    for cases, f in figures.items():
        for key in ("cold", "computed", "job", "frozen"):
            assert f[key][:2] == first[key][:2], (key, cases, f[key], first[key])
    # Month to date: October's frozen document (1) + one tallies item per department, and one
    # Query of the month's 约谈 records (none here).
    assert first["computed"][0] == {"GetItem": 2, "Query": 2}
    assert first["computed"][1] == departments + 1
    assert first["computed"][2] == {"rankings", "tallies", "talks"}
    # Published: the frozen document, whether its 通报 exists, and the month's 约谈 records.
    frozen_ops, frozen_items, frozen_tables = first["frozen"]
    assert frozen_ops == {"GetItem": 2, "Query": 1} and frozen_items <= 2
    assert frozen_tables == {"rankings", "talks"}
    # The job reads what a computed month reads, writes the one frozen document, then makes the
    # month's 通报 from it (the month's intake tallies, 约谈 records, warnings and 回音壁 entries:
    # none of them a read of cases), the same requests at every case count (asserted above).
    job_ops, job_items, job_tables = first["job"]
    assert job_ops["PutItem"] >= 1 and job_items >= departments + 1
    assert job_tables >= {"rankings", "tallies", "daily-tallies"}
    # Cold: the directory scan (D departments), taxonomy and weights, once per process, and the
    # month's 约谈 records.
    cold_ops, cold_items, _ = first["cold"]
    assert sum(cold_ops.values()) <= 7 and cold_items <= 2 * departments + 3, first["cold"]

    print(f"\n亮晒比 November with {departments} departments, {ROUNDS} rounds, medians")
    for cases, f in figures.items():
        ops, items, _ = f["computed"]
        cold_ops, cold_items, _ = f["cold"]
        print(
            f"  {cases:>7,} cases: month to date {_ops(ops)} read {items} items "
            f"(cold process: {_ops(cold_ops)}, {cold_items} items); "
            f"{f['computed_s'] / f['bare_s']:.2f}× a bare tallies query; "
            f"frozen {_ops(f['frozen'][0])} read {f['frozen'][1]} item, "
            f"{f['frozen_s'] / f['bare_s']:.2f}×; the job {_ops(f['job'][0])} "
            f"read {f['job'][1]} items"
        )
    if len(figures) > 1:
        a, b = CASES[0], CASES[-1]
        small, large = figures[a], figures[b]
        print(f"  items read {b:,}/{a:,}: {large['computed'][1] / small['computed'][1]:.2f}")
        for key, label in (
            ("computed_s", "month-to-date read"),
            ("ours_s", "month-to-date read outside DynamoDB"),
            ("frozen_s", "frozen read"),
            ("bare_s", "bare tallies query"),
        ):
            print(f"  {label} time {b:,}/{a:,}: {large[key] / small[key]:.2f}")


def _ops(ops: dict[str, int]) -> str:
    return " + ".join(f"{n} {name}" for name, n in ops.items())
