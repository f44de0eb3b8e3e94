"""An auditor's query for one department-month reads that department-month, never the
table (§5): the same 40 archived cases of dept-7 in June 2026 among 10,000 and among
100,000 archived cases in total (30 departments × 12 months of 2026).

Counted with botocore hooks on the cases table's client: requests per operation, and what
DynamoDB itself says each Query read (``ScannedCount``: items read from the index partition
before the filter expression) and returned (``Count``). ``archive_repo.search`` is paged to
the end for the department-month alone and with ``breached=any`` on top (a filter expression:
the items read are still the department-month's 40, fewer are returned). Timed: all pages,
median over the rounds, as a ratio against a bare low-level ``Query`` of the same partition
in the same run, and the part spent outside DynamoDB calls (our code: the cursor, the
filter expression, turning items into cases). Timings are printed, never asserted.

The 40 cases go in through ``batch_write``; the rest are copies (own id and time) of one
``case_items.to_model`` item per other department-month, put straight into moto's table as
the ranking bench does. Measured under ``tests/quick_moto.py``: moto sorts the whole table
on every Query comparing ``DynamoType`` objects and serializes each answer by walking its
shape (seconds per Query at 100,000 items, ~25 ms per case item returned); DynamoDB does
neither. moto still walks every item of the table to answer an index Query, so the bare
Query grows with the table on moto; on DynamoDB it reads the partition.

The ``audit-*`` indexes hold a case's keys and the filter's attributes, not the case: a page
is one Query for its ids and one BatchGetItem for its cases (``fetched``: the items it
answered, exactly the cases returned).

``make test`` runs a small instance (1,000 / 3,000 cases, 2 rounds) for the counts;
``make bench`` (``BENCH_AUDIT_CASES=10000,100000``, ``BENCH_AUDIT_ROUNDS=10``) the real one,
with the figures printed.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.domain.calendar import SHANGHAI
from functions.storage import case_items
from tests.quick_moto import quicker_moto

CASES = [int(n) for n in os.environ.get("BENCH_AUDIT_CASES", "1000,3000").split(",")]
ROUNDS = int(os.environ.get("BENCH_AUDIT_ROUNDS", "2"))
DEPARTMENTS = [f"dept-{n}" for n in range(1, 31)]
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
DEPARTMENT, MONTH = "dept-7", "2026-06"  # the department-month the auditor asks for
IN_IT = 40  # its cases, at every table size (half of them with a breached deadline)
PARTITION = f"{DEPARTMENT}#{MONTH}"


class Reads:
    """before/after-call hooks: requests per operation, the partitions queried, the items
    DynamoDB read (``ScannedCount``) and returned (``Count``), time inside DynamoDB calls."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.partitions: set[str] = set()
        self.scanned = 0
        self.returned = 0
        self.fetched = 0  # items BatchGetItem answered
        self.in_dynamodb = 0.0
        self._started = 0.0
        self.hooked = False  # whether ``measuring`` hooked it onto the client

    def reset(self) -> None:
        self.requests.clear()
        self.partitions.clear()
        self.scanned = self.returned = self.fetched = 0
        self.in_dynamodb = 0.0

    def before(self, model: Any = None, params: Any = None, **_: Any) -> None:
        self._started = time.perf_counter()
        if model is not None and model.name == "Query":
            body = json.loads(params["body"] or "{}")
            self.partitions.update(
                v["S"]
                for v in body.get("ExpressionAttributeValues", {}).values()
                if "#" in v.get("S", "")
            )

    def after(self, model: Any = None, parsed: Any = None, **_: Any) -> None:
        self.in_dynamodb += time.perf_counter() - self._started
        name = model.name if model is not None else "?"
        self.requests[name] += 1
        if name in ("Query", "Scan"):
            self.scanned += int(parsed.get("ScannedCount", 0))
            self.returned += int(parsed.get("Count", 0))
        if name == "BatchGetItem":
            self.fetched += sum(len(items) for items in parsed.get("Responses", {}).values())

    def figures(self) -> tuple[dict[str, int], int, int, int]:
        return dict(sorted(self.requests.items())), self.scanned, self.returned, self.fetched


def _client() -> Any:
    from functions.storage.models import CaseModel

    return CaseModel._get_connection().connection.client


@pytest.fixture
def reads(aws: None) -> Iterator[Reads]:
    hooks = Reads()
    yield hooks  # seed first, then measure with ``measuring``
    measuring(hooks, on=False)


def measuring(hooks: Reads, *, on: bool = True) -> None:
    """Hook ``hooks`` onto the cases table's client, or off it if it was hooked: botocore's
    ``unregister`` of a handler never registered can fail in its event trie."""
    events = _client().meta.events
    if hooks.hooked:
        events.unregister("before-call.dynamodb", hooks.before)
        events.unregister("after-call.dynamodb", hooks.after)
    hooks.hooked = on
    if on:
        events.register("before-call.dynamodb", hooks.before)
        events.register("after-call.dynamodb", hooks.after)


# --- the archive ----------------------------------------------------------------------------


def _archived(case_id: str, department: str, created: datetime, *, breached: bool) -> Any:
    """An archived case as the lifecycle leaves one: assigned, replied, rated, closed,
    archived 30 days later."""
    from functions.domain.cases import Assignment, Case, Contact, DepartmentRef, Reply
    from functions.domain.lifecycle import State
    from functions.domain.taxonomy import Channel, Kind, Outcome, Rating, Urgency

    lead = DepartmentRef(department, f"测试单位{department[5:]:0>3}")
    assigned = created + timedelta(hours=3)
    replied = assigned + timedelta(days=12 if breached else 5)
    closed = replied + timedelta(days=7)
    return Case(
        case_id=case_id,
        created_at=created,
        channel=Channel.WEB,
        kind=Kind.COMPLAINT,
        category="urban",
        district="city",
        title="小区道路破损",
        content="小区道路破损，请尽快修复。",
        contact=Contact("李四", "+8613800000002", None),
        consent_public=True,
        tracking_hash="h",
        state=State.ARCHIVED,
        approved_public=True,
        urgency=Urgency.GENERAL,
        assignment=Assignment(
            no=1,
            lead=lead,
            co_handlers=[],
            assigned_at=assigned,
            response_due_at=assigned + timedelta(hours=8),
            reply_due_at=assigned + timedelta(days=10),
            return_window_ends_at=assigned + timedelta(days=1),
            signed_at=assigned + timedelta(hours=2),
        ),
        replies=[
            Reply(
                at=replied,
                department=lead,
                outcome=Outcome.RESOLVED,
                text="经核查，已修复。",
                rating=Rating.SATISFIED,
                rated_at=replied + timedelta(days=1),
            )
        ],
        closed_at=closed,
        updated_at=closed + timedelta(days=30),
        version=7,
        event_count=7,
        breaches=["reply"] if breached else [],
        archived_at=closed + timedelta(days=30),
    )


def _month_start(month: str) -> datetime:
    year, m = (int(x) for x in month.split("-"))
    return datetime(year, m, 1, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)


def _chosen() -> list[Any]:
    """The department-month's 40 cases, one every 17 hours from 1 June 08:00."""
    start = _month_start(MONTH)
    return [
        _archived(
            f"WZ202606-{n:06d}", DEPARTMENT, start + timedelta(hours=17 * n), breached=n % 2 == 0
        )
        for n in range(IN_IT)
    ]


def _templates() -> dict[tuple[str, str], dict[str, Any]]:
    """Per other department-month, one archived case's item as ``cases_repo`` writes it."""
    from functions.storage import case_items

    return {
        (d, m): case_items.to_model(
            _archived("WZ000000-000000", d, _month_start(m), breached=n % 3 == 0)
        ).serialize()
        for n, (d, m) in enumerate((d, m) for d in DEPARTMENTS for m in MONTHS)
        if (d, m) != (DEPARTMENT, MONTH)
    }


def _put(items: Iterator[dict[str, Any]]) -> None:
    """Items straight into moto's table, skipping its per-attribute size re-check (as
    tests/bench/test_rankings_scale.py does: through the API moto costs over 2 ms per case
    item, minutes for 100,000). The items are those ``case_items.to_model`` writes; the
    department-month's own 40 go in through ``batch_write``."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from functions.settings import settings

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(
        f"{settings().table_prefix}cases"
    )
    size_checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        for item in items:
            table.put_item(item)
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = size_checked  # type: ignore[method-assign]


def _others(
    templates: dict[tuple[str, str], dict[str, Any]], numbers: range
) -> Iterator[dict[str, Any]]:
    """Case i of the rest: round-robin over the other 359 department-months, each copy of
    the template with its own id and a submission time i minutes into the month."""
    from functions.storage.codec import iso
    from functions.storage.models import CaseModel

    keys = list(templates)
    for i in numbers:
        item = templates[keys[i % len(keys)]]
        created = _month_start(keys[i % len(keys)][1]) + timedelta(minutes=i // len(keys))
        case_id = f"WZ2026{i:08d}"
        yield {
            **item,
            "case_id": {"S": case_id},
            "created_at": {"S": CaseModel.created_at.serialize(created)},
            "created_key": {"S": f"{iso(created)}#{case_id}"},
        }


# --- the measurement ------------------------------------------------------------------------


def _all_pages(f: Any) -> list[Any]:
    from functions.storage import archive_repo

    found: list[Any] = []
    cursor: str | None = None
    while True:
        page = archive_repo.search(f, cursor)
        found.extend(page.cases)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def _bare_query() -> int:
    """The baseline: one low-level Query of the department-month's partition, all items."""
    from functions.settings import settings

    answer = _client().query(
        TableName=f"{settings().table_prefix}cases",
        IndexName="audit-department",
        KeyConditionExpression="audit_department = :p",
        ExpressionAttributeValues={":p": {"S": PARTITION}},
        ScanIndexForward=False,
    )
    return int(answer["Count"])


def _count(index: str, partition: str) -> int:
    """Items in an index partition (``Select=COUNT``, page by page: a Query reads at most
    1 MB; not measured)."""
    from functions.settings import settings

    name = index.replace("-", "_")
    count, start = 0, None
    while True:
        answer = _client().query(
            TableName=f"{settings().table_prefix}cases",
            IndexName=index,
            KeyConditionExpression=f"{name} = :p",
            ExpressionAttributeValues={":p": {"S": partition}},
            Select="COUNT",
            **({"ExclusiveStartKey": start} if start else {}),
        )
        count += int(answer["Count"])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return count


def _timed(fn: Callable[[], Any], reads: Reads) -> tuple[float, float, Any]:
    """(elapsed, elapsed outside DynamoDB calls, result)."""
    reads.reset()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    return elapsed, elapsed - reads.in_dynamodb, result


def test_a_department_month_reads_its_own_cases_at_any_table_size(reads: Reads) -> None:
    from functions.domain.audit_filter import AuditFilter, matches
    from functions.storage.models import CaseModel

    chosen = _chosen()
    with CaseModel.batch_write() as batch:
        for case in chosen:
            batch.save(case_items.to_model(case))
    templates = _templates()
    plain = AuditFilter(MONTH, MONTH, department=DEPARTMENT)
    breached = AuditFilter(MONTH, MONTH, department=DEPARTMENT, breached="any")
    newest_first = [c.case_id for c in reversed(chosen)]
    with_breach = [c.case_id for c in reversed(chosen) if matches(c, breached)]
    assert 0 < len(with_breach) < IN_IT

    figures: dict[int, dict[str, Any]] = {}
    try:
        for total in CASES:
            measuring(reads, on=False)
            gc.unfreeze()
            _put(_others(templates, range(CaseModel.count() - IN_IT, total - IN_IT)))
            assert CaseModel.count() == total
            gc.collect()
            gc.freeze()  # the in-process table is not the garbage collector's to rescan
            measuring(reads)

            bare_s, plain_s, plain_ours, breached_s, breached_ours = [], [], [], [], []
            with quicker_moto(checked=2):
                # Warm-up, not timed: the first two answers are also serialized moto's own
                # way and compared (tests/quick_moto.py).
                assert _bare_query() == IN_IT and len(_all_pages(plain)) == IN_IT
                for _ in range(ROUNDS):
                    elapsed, _, count = _timed(_bare_query, reads)
                    assert count == IN_IT
                    bare_s.append(elapsed)
                    elapsed, ours, found = _timed(lambda: _all_pages(plain), reads)
                    assert [c.case_id for c in found] == newest_first
                    plain_s.append(elapsed)
                    plain_ours.append(ours)
                    plain_reads = (*reads.figures(), set(reads.partitions))
                    elapsed, ours, found = _timed(lambda: _all_pages(breached), reads)
                    assert [c.case_id for c in found] == with_breach
                    breached_s.append(elapsed)
                    breached_ours.append(ours)
                    breached_reads = (*reads.figures(), set(reads.partitions))
            figures[total] = {
                "plain": plain_reads,
                "breached": breached_reads,
                "month_items": _count("audit-month", MONTH),
                "bare_s": statistics.median(bare_s),
                "plain_s": statistics.median(plain_s),
                "plain_ours": statistics.median(plain_ours),
                "breached_s": statistics.median(breached_s),
                "breached_ours": statistics.median(breached_ours),
            }
    finally:
        gc.unfreeze()

    page = {"BatchGetItem": 1, "Query": 1}  # the page's ids, then its cases by id
    for total, f in figures.items():
        # Items read = the result: one Query of the one partition, 40 items read, 40 returned,
        # the 40 cases read by id.
        assert f["plain"] == (page, IN_IT, IN_IT, IN_IT, {PARTITION}), (total, f["plain"])
        # A filter on top reads the same 40 (the department-month) and returns fewer.
        assert f["breached"] == (
            page,
            IN_IT,
            len(with_breach),
            len(with_breach),
            {PARTITION},
        ), (total, f["breached"])
        assert f["month_items"] > IN_IT  # the month holds far more: the index is not the month

    print(f"\nAuditor query: {DEPARTMENT} in {MONTH} ({IN_IT} cases), {ROUNDS} rounds, medians")
    for total, f in figures.items():
        ops, scanned, returned, _, _ = f["plain"]
        b_ops, b_scanned, b_returned, _, _ = f["breached"]
        print(
            f"  {total:>7,} archived ({f['month_items']:,} in {MONTH}): "
            f"{_ops(ops)}, read {scanned}, returned {returned}; "
            f"{f['plain_s'] / f['bare_s']:.2f}× a bare Query of the partition "
            f"(outside DynamoDB {f['plain_ours'] * 1000:.1f} ms); "
            f"+breached=any {_ops(b_ops)}, read {b_scanned}, returned {b_returned}, "
            f"{f['breached_s'] / f['bare_s']:.2f}×"
        )
    if len(figures) > 1:
        a, b = CASES[0], CASES[-1]
        small, large = figures[a], figures[b]
        print(f"  items read {b:,}/{a:,}: {large['plain'][1] / small['plain'][1]:.2f}")
        for key, label in (
            ("plain_s", "department-month query"),
            ("plain_ours", "… outside DynamoDB calls"),
            ("breached_s", "with breached=any"),
            ("bare_s", "bare Query of the partition"),
        ):
            print(f"  {label} time {b:,}/{a:,}: {large[key] / small[key]:.2f}")


def _ops(ops: dict[str, int]) -> str:
    return " + ".join(f"{n} {name}" for name, n in ops.items())
