"""The archive's queries against a seeded set with known answers (§2, §5).

2,000 closed and archived cases, built deterministically over eight Shanghai months (one
submitted 2026-03-31T16:30Z, which is April in Shanghai), four lead departments, two
districts, every kind, two categories, breaches, extensions, reopenings and ratings, plus open
cases that must never answer. For each filter ``archive_repo.search`` is paged to the end
and must return exactly the cases ``domain.audit.matches`` picks, newest first; a
department-month reads that department-month's items and no others; an export holds exactly
its cases, its files' hashes match the manifest, and a changed file is named by the check.

One moto account for the module; every test only reads it, except the exports, which add
objects to S3 under their own ids. Most cases go straight into moto's table (as the ranking
bench seeds), and the reads run under tests/quick_moto.py: moto's per-item costs (sorting
the table on every Query, re-sizing and serializing each ~40-attribute case item) would
make the ~4,000 items this module reads take minutes. About 20 seconds on two idle cores
(5,000 cases answered nothing 2,000 do not: every filter value, months of several pages, the
month edge; and took two minutes of the suite's CPU).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.domain.audit_filter import AuditFilter, matches, parse_filter
from functions.domain.calendar import SHANGHAI
from functions.domain.cases import (
    Assignment,
    Case,
    Contact,
    DepartmentRef,
    Reply,
    month_key,
)
from functions.domain.lifecycle import State
from functions.domain.taxonomy import Channel, Kind, Outcome, Rating, Urgency
from functions.storage import case_items
from functions.storage.codec import iso
from tests.conftest import TEST_CITY
from tests.quick_moto import quicker_moto

SEED = 20260401
AUDITED_CASES = 2_000
OPEN_CASES = 60
MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]  # January … August 2026, Shanghai
DEPARTMENTS = {d["id"]: d["name"] for d in TEST_CITY["departments"]}
DISTRICTS = [d["code"] for d in TEST_CITY["districts"]]
CATEGORIES = [c["code"] for c in TEST_CITY["categories"]]
NOW = datetime(2026, 9, 15, 2, 0, tzinfo=UTC)
PAGE = 50
# Submitted at 00:30 on 1 April in Shanghai (still 31 March in UTC), and at 23:59 on 31 March.
APRIL_EDGE = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
MARCH_EDGE = datetime(2026, 3, 31, 15, 59, tzinfo=UTC)


# --- the seeded archive ---------------------------------------------------------------------


def _case(rng: random.Random, i: int, *, created: datetime | None = None) -> Case:
    """A closed or archived case as the lifecycle leaves one: assigned, replied (the last
    reply rated or not), closed, and perhaps archived."""
    if created is None:
        month = rng.randint(1, 8)
        local = datetime(
            2026,
            month,
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
            tzinfo=SHANGHAI,
        )
        created = local.astimezone(UTC)
    lead_id = rng.choice(list(DEPARTMENTS))
    lead = DepartmentRef(lead_id, DEPARTMENTS[lead_id])
    assigned = created + timedelta(hours=rng.randint(1, 30))
    replied = assigned + timedelta(days=rng.randint(1, 20))
    closed = replied + timedelta(days=7)
    state = rng.choice([State.CLOSED, State.ARCHIVED])
    rating = rng.choice([*Rating, None])
    reopens = rng.choice([0, 0, 1, 2])
    replies = [
        Reply(
            at=replied - timedelta(days=3 * (reopens - n)),
            department=lead,
            outcome=rng.choice([Outcome.RESOLVED, Outcome.EXPLAINED]),
            text="经核查，已处理完毕。",
            rating=Rating.UNSATISFIED if n < reopens else rating,
            rated_at=replied + timedelta(days=1) if (n < reopens or rating) else None,
        )
        for n in range(reopens + 1)
    ]
    local_day = created.astimezone(SHANGHAI).strftime("%Y%m%d")
    return Case(
        case_id=f"WZ{local_day}-{i:06d}",
        created_at=created,
        channel=rng.choice(list(Channel)),
        kind=rng.choice(list(Kind)),
        category=rng.choice(CATEGORIES),
        district=rng.choice(DISTRICTS),
        title=f"诉求 {i}",
        content="小区道路破损，请尽快修复。",
        contact=Contact("李四", "+8613800000002", None),
        consent_public=rng.random() < 0.5,
        tracking_hash=f"h{i}",
        state=state,
        approved_public=True,
        urgency=Urgency.GENERAL,
        assignment=Assignment(
            no=1 + reopens,
            lead=lead,
            co_handlers=[],
            assigned_at=assigned,
            response_due_at=assigned + timedelta(hours=8),
            reply_due_at=assigned + timedelta(days=15),
            return_window_ends_at=assigned + timedelta(days=1),
            signed_at=assigned + timedelta(hours=2),
        ),
        extensions_used=rng.choice([0, 0, 1]),
        replies=replies,
        reopen_count=reopens,
        closed_at=closed,
        updated_at=closed,
        version=6 + 3 * reopens,
        event_count=6 + 3 * reopens,
        breaches=sorted(rng.sample(["response", "reply"], rng.choice([0, 0, 1, 1, 2]))),
        archived_at=closed + timedelta(days=30) if state == State.ARCHIVED else None,
    )


def _open_case(rng: random.Random, i: int) -> Case:
    """Assigned or replied (awaiting the rating): not in the archive yet."""
    case = _case(rng, i)
    case.state = rng.choice([State.ASSIGNED, State.REPLIED])
    case.closed_at = case.archived_at = None
    if case.state == State.ASSIGNED:
        case.replies = []
        case.reopen_count = 0
    else:
        case.replies[-1].rating = None
        case.rating_window_ends_at = case.replies[-1].at + timedelta(days=7)
    return case


def _seeded() -> tuple[list[Case], list[Case]]:
    rng = random.Random(SEED)
    audited = [_case(rng, i) for i in range(AUDITED_CASES - 6)]
    for n in range(3):  # the month boundary, both sides (in the east district)
        for number, at in (
            (AUDITED_CASES - 6 + n, APRIL_EDGE),
            (AUDITED_CASES - 3 + n, MARCH_EDGE),
        ):
            edge = _case(rng, number, created=at)
            edge.district = "east"
            audited.append(edge)
    opened = [_open_case(rng, AUDITED_CASES + i) for i in range(OPEN_CASES)]
    return audited, opened


@dataclass
class Archive:
    audited: list[Case]  # newest first, as the archive answers
    opened: list[Case]
    reads: Reads = field(default_factory=lambda: Reads())

    def expected(self, f: AuditFilter) -> list[str]:
        return [c.case_id for c in self.audited if matches(c, f)]


def _newest_first(case: Case) -> tuple[str, str]:
    """The archive's order: month (Shanghai) descending, then the index's range key."""
    return month_key(case.created_at), f"{iso(case.created_at)}#{case.case_id}"


class Reads:
    """botocore hooks on the cases table's client: each Query's index and partition value,
    and what DynamoDB says it read (``ScannedCount``) and returned (``Count``)."""

    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []

    def before(self, params: Any = None, **_: Any) -> None:
        body = json.loads(params["body"] or "{}")
        values = body.get("ExpressionAttributeValues", {})
        placeholder = body["KeyConditionExpression"].split("=", 1)[1].strip().split()[0]
        self.queries.append(
            {"index": body.get("IndexName"), "partition": values.get(placeholder, {}).get("S")}
        )

    def after(self, parsed: Any = None, **_: Any) -> None:
        self.queries[-1]["scanned"] = int(parsed.get("ScannedCount", 0))
        self.queries[-1]["count"] = int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.queries.clear()

    @property
    def scanned(self) -> int:
        return sum(q["scanned"] for q in self.queries)


def _put_directly(cases: Iterable[Case]) -> None:
    """The items ``case_items.to_model`` makes, straight into moto's table (as the ranking
    bench does): through the API moto re-sums an item's size on every attribute it sets and
    parses each request with botocore, about 10 ms per case item here, a minute for the
    seed. The items are the same (serialized by PynamoDB, key types checked by moto's
    ``put_item``); the edge and open cases go in through ``batch_write``."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from functions.settings import settings
    from functions.storage import case_items

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    table = backend.get_table(f"{settings().table_prefix}cases")
    size_checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        for case in cases:
            table.put_item(case_items.to_model(case).serialize())
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = size_checked  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def archive() -> Iterator[Archive]:
    """One moto account with the test city and the seeded cases, for the whole module."""
    from moto import mock_aws

    with mock_aws():
        from functions import clock
        from functions.notify import adapter
        from functions.storage import directory, export_store
        from functions.storage.models import CaseModel
        from infra import bootstrap

        adapter.reset_clients()
        export_store.reset_client()
        directory.clear_cache()
        bootstrap.create_tables()
        bootstrap.create_export_bucket()
        bootstrap.load_city(TEST_CITY)
        audited, opened = _seeded()
        edges = [c for c in audited if c.created_at in (APRIL_EDGE, MARCH_EDGE)]
        _put_directly(c for c in audited if c not in edges)
        with CaseModel.batch_write() as batch:  # these through the API, as the service does
            for case in [*edges, *opened]:
                batch.save(case_items.to_model(case))
        audited.sort(key=_newest_first, reverse=True)
        found = Archive(audited, opened)
        client = CaseModel._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb.Query", found.reads.before)
        client.meta.events.register("after-call.dynamodb.Query", found.reads.after)
        # In-process moto keeps the table in this interpreter's heap: frozen, so that the
        # garbage collector does not rescan it on every allocation burst (as the benches do).
        gc.collect()
        gc.freeze()
        try:
            with quicker_moto(checked=2):  # moto's own costs, not DynamoDB's
                yield found
        finally:
            gc.unfreeze()
            client.meta.events.unregister("before-call.dynamodb.Query", found.reads.before)
            client.meta.events.unregister("after-call.dynamodb.Query", found.reads.after)
            clock.reset()
            adapter.reset_clients()
            export_store.reset_client()
            directory.clear_cache()


def _filter(**params: str) -> AuditFilter:
    params.setdefault("from", MONTHS[0])
    params.setdefault("to", MONTHS[-1])
    return parse_filter(
        params,
        now=NOW,
        departments=DEPARTMENTS,
        districts=DISTRICTS,
        categories=CATEGORIES,
    )


def _paged(f: AuditFilter, page_size: int = PAGE) -> tuple[list[str], int]:
    """Every page of ``search`` to the end: the ids in order, and the number of pages."""
    from functions.storage import archive_repo

    ids: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = archive_repo.search(f, cursor, page_size)
        pages += 1
        assert len(page.cases) <= page_size
        assert page.queries >= 1
        ids.extend(c.case_id for c in page.cases)
        if page.next_cursor is None:
            return ids, pages
        cursor = page.next_cursor
        assert pages < 1_000, "the cursor does not advance"


# --- the seeded set itself ------------------------------------------------------------------


def test_the_seeded_archive_covers_every_filter_value(archive: Archive) -> None:
    audited = archive.audited
    assert len(audited) == AUDITED_CASES
    assert len({c.case_id for c in audited}) == AUDITED_CASES
    assert {month_key(c.created_at) for c in audited} == set(MONTHS)
    assert {c.lead.id for c in audited if c.lead} == set(DEPARTMENTS)
    assert {c.district for c in audited} == set(DISTRICTS)
    assert {c.kind for c in audited} == set(Kind)
    assert {c.category for c in audited} == set(CATEGORIES)
    assert {c.state for c in audited} == {State.CLOSED, State.ARCHIVED}
    assert {tuple(c.breaches) for c in audited} == {
        (),
        ("response",),
        ("reply",),
        ("reply", "response"),
    }
    assert {c.extensions_used for c in audited} == {0, 1}
    assert {c.reopen_count for c in audited} == {0, 1, 2}
    ratings = Counter(c.replies[-1].rating for c in audited)
    assert set(ratings) == {*Rating, None}
    assert all(c.replies for c in audited)
    # The boundary: 16:30 UTC on 31 March is April in Shanghai, 15:59 UTC still March.
    assert month_key(APRIL_EDGE) == "2026-04" and month_key(MARCH_EDGE) == "2026-03"
    assert {c.state for c in archive.opened} == {State.ASSIGNED, State.REPLIED}


# --- filters: exactly the cases ``matches`` picks, newest first, page by page ---------------

# Each field alone over one month (the ``audit-month`` partition: ~625 cases), and the rest
# over ranges; moto reads each item dearly, so the table keeps to ~10,000 items read in all.
ONE_MONTH = {"from": "2026-05", "to": "2026-05"}
SINGLE: dict[str, dict[str, str]] = {
    "department": {"department": "dept-3"},
    "district": {"district": "east"},
    "kind": {"kind": "complaint"},
    "category": {"category": "transport"},
    "state archived": {"state": "archived"},
    "state closed": {"state": "closed"},
    "breached any": {"breached": "any"},
    "breached none": {"breached": "none"},
    "breached response": {"breached": "response"},
    "breached reply": {"breached": "reply"},
    "extension yes": {"extension": "yes"},
    "extension no": {"extension": "no"},
    "rating satisfied": {"rating": "satisfied"},
    "rating basically satisfied": {"rating": "basically_satisfied"},
    "rating unsatisfied": {"rating": "unsatisfied"},
    "rating none": {"rating": "none"},
    "reopened yes": {"reopened": "yes"},
    "reopened no": {"reopened": "no"},
}
FILTERS: dict[str, dict[str, str]] = {
    **{f"{name} (one month)": {**params, **ONE_MONTH} for name, params in SINGLE.items()},
    "everything in one month": {"from": "2026-07", "to": "2026-07"},
    "department over every month": {"department": "dept-3", "state": "archived"},
    "department-month": {"department": "dept-2", "from": "2026-04", "to": "2026-04"},
    "district and kind": {"district": "city", "kind": "help"},
    "department and district": {"department": "dept-4", "district": "city", "from": "2026-06"},
    "several months, one kind": {"kind": "suggestion", "from": "2026-02", "to": "2026-06"},
    "range wider than the data": {
        "department": "dept-1",
        "category": "transport",
        "from": "2025-10",
        "to": "2026-12",
    },
    "five fields and a range": {
        "department": "dept-1",
        "district": "east",
        "kind": "complaint",
        "breached": "reply",
        "rating": "unsatisfied",
        "from": "2026-02",
        "to": "2026-07",
    },
    "district, category, extension, reopened, state": {
        "district": "east",
        "category": "urban",
        "extension": "yes",
        "reopened": "yes",
        "state": "closed",
    },
    "department, breached none, rating none": {
        "department": "dept-2",
        "breached": "none",
        "rating": "none",
        "from": "2026-03",
        "to": "2026-05",
    },
    "no matches (months without cases)": {"from": "2025-03", "to": "2025-12"},
    "no matches (a combination nobody has)": {
        "department": "dept-4",
        "from": "2026-04",
        "to": "2026-04",
        "kind": "praise",
        "category": "transport",
        "breached": "reply",
        "rating": "basically_satisfied",
        "reopened": "yes",
        "extension": "yes",
    },
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_filter_returns_exactly_its_cases_newest_first(archive: Archive, name: str) -> None:
    f = _filter(**FILTERS[name])
    expected = archive.expected(f)
    if name.startswith("no matches"):
        assert expected == []
    else:
        assert expected, "a filter with no known answer proves nothing"
    got, pages = _paged(f)
    assert len(got) == len(set(got)), "a case came twice"
    assert got == expected
    assert pages >= max(1, -(-len(expected) // PAGE))


def test_the_month_boundary_follows_shanghai(archive: Archive) -> None:
    """One month, either side of the boundary: 16:30 UTC on 31 March is April."""
    edge = {
        c.case_id: c.created_at for c in archive.audited if c.created_at in (APRIL_EDGE, MARCH_EDGE)
    }
    assert len(edge) == 6
    for month, at in (("2026-04", APRIL_EDGE), ("2026-03", MARCH_EDGE)):
        f = _filter(district="east", **{"from": month, "to": month})
        got, _ = _paged(f)
        assert got == archive.expected(f)
        assert {i for i, when in edge.items() if when == at} <= set(got)
        assert not {i for i, when in edge.items() if when != at} & set(got)


@pytest.mark.parametrize("page_size", [3, 7, 200])
def test_the_page_size_does_not_change_the_answer(archive: Archive, page_size: int) -> None:
    f = _filter(department="dept-1", breached="any", **{"from": "2026-06", "to": "2026-07"})
    got, pages = _paged(f, page_size)
    assert got == archive.expected(f)
    assert pages >= -(-len(got) // page_size)


def test_open_cases_never_answer(archive: Archive) -> None:
    months = {"from": "2026-08", "to": "2026-08"}
    opened = {c.case_id for c in archive.opened if month_key(c.created_at) == "2026-08"}
    assert opened  # open cases of that month exist: they are in the table, not the index
    for params in (
        {"department": "dept-1"},
        {"district": "east", "kind": "help"},
        {"rating": "none"},
    ):
        f = _filter(**params, **months)
        got, _ = _paged(f)
        assert got == archive.expected(f)
        assert not opened & set(got)
    assert not any(matches(c, _filter()) for c in archive.opened)


# --- what a query reads --------------------------------------------------------------------


def test_a_department_month_reads_that_department_month_and_nothing_else(
    archive: Archive,
) -> None:
    f = _filter(department="dept-2", **{"from": "2026-04", "to": "2026-04"})
    size = sum(
        1
        for c in archive.audited
        if c.lead and c.lead.id == "dept-2" and month_key(c.created_at) == "2026-04"
    )
    assert size > PAGE  # several pages
    archive.reads.reset()
    got, pages = _paged(f)
    queries = archive.reads.queries
    assert {(q["index"], q["partition"]) for q in queries} == {
        ("audit-department", "dept-2#2026-04")
    }
    # Every item DynamoDB read is one of the department-month's, each read once.
    assert len(got) == size
    assert archive.reads.scanned == size
    assert sum(q["count"] for q in queries) == size
    assert len(queries) == pages

    # With a filter on top: still only that partition; what is read and dropped is within it.
    filtered = _filter(department="dept-2", breached="any", **{"from": "2026-04", "to": "2026-04"})
    archive.reads.reset()
    got, _ = _paged(filtered, page_size=200)
    assert got == archive.expected(filtered) and 0 < len(got) < size
    assert {q["partition"] for q in archive.reads.queries} == {"dept-2#2026-04"}
    assert archive.reads.scanned == size  # the department-month, not the table (5,060 items)


def test_a_range_reads_one_partition_per_month_newest_first(archive: Archive) -> None:
    f = _filter(district="east", kind="suggestion", **{"from": "2026-02", "to": "2026-05"})
    archive.reads.reset()
    got, _ = _paged(f, page_size=500)
    assert got == archive.expected(f)
    partitions = list(dict.fromkeys(q["partition"] for q in archive.reads.queries))
    assert partitions == [f"east#2026-{m:02d}" for m in (5, 4, 3, 2)]
    in_range = sum(
        1
        for c in archive.audited
        if c.district == "east" and "2026-02" <= month_key(c.created_at) <= "2026-05"
    )
    assert archive.reads.scanned == in_range


# --- exports ---------------------------------------------------------------------------------


def _s3(key: str) -> bytes:
    from functions.storage import export_store

    body = export_store.get(key)
    assert body is not None, key
    return body


EXPORTS = {
    "a department over two months": {"department": "dept-1", "from": "2026-04", "to": "2026-05"},
    "a district, kind and rating": {"district": "east", "kind": "complaint", "rating": "none"},
    "nothing": {"from": "2025-03", "to": "2025-04"},
}


@pytest.mark.parametrize("params", EXPORTS.values(), ids=list(EXPORTS))
def test_an_export_holds_exactly_its_cases_and_its_check_finds_a_changed_file(
    archive: Archive, params: dict[str, str]
) -> None:
    from functions.services import exports
    from functions.storage import archive_repo, export_store

    f = _filter(**params)
    expected = archive.expected(f)
    manifest = exports.write_export(f, archive_repo.every(f), actor="auditor@x", now=NOW)
    assert manifest["count"] == len(expected)
    assert manifest["filter"] == f.as_dict()
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert set(files) == {"cases.jsonl", "cases.csv"}
    for entry in files.values():
        body = _s3(entry["key"])
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert len(body) == entry["bytes"]
        assert entry["rows"] == len(expected)
    lines = [json.loads(x) for x in _s3(files["cases.jsonl"]["key"]).splitlines()]
    assert [line["case_id"] for line in lines] == expected
    table = _s3(files["cases.csv"]["key"]).decode("utf-8-sig")
    assert len(table.splitlines()) == len(expected) + 1
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [row["case_id"] for row in rows] == expected
    stored = json.loads(_s3(export_store.key(manifest["export_id"], "manifest.json")))
    assert stored == manifest

    checked = exports.check_export(manifest["export_id"], NOW)
    assert checked["valid"], checked["problems"]
    assert checked["count"] == len(expected)
    assert checked["missing"] == [] and checked["changed"] == []

    # One byte of the CSV changed in S3 (same size, same rows): the check names that file.
    body = _s3(files["cases.csv"]["key"])
    tampered = body.replace(b"case_id", b"case_ID", 1)
    assert tampered != body and len(tampered) == len(body)
    export_store.put(files["cases.csv"]["key"], tampered, "text/csv; charset=utf-8")
    checked = exports.check_export(manifest["export_id"], NOW)
    assert not checked["valid"]
    assert checked["problems"] == ["cases.csv: SHA-256 与清单不符"]


def test_an_export_misses_no_case_when_one_is_removed_from_its_file(archive: Archive) -> None:
    """A JSON Lines file that lost a line (and a manifest hash rewritten to hide it) is
    still caught: the count disagrees and the archive has a case the export does not."""
    from functions.services import exports
    from functions.storage import archive_repo, export_store

    f = _filter(department="dept-3", **{"from": "2026-06", "to": "2026-06"})
    manifest = exports.write_export(f, archive_repo.every(f), actor="auditor@x", now=NOW)
    jsonl = next(e for e in manifest["files"] if e["name"] == "cases.jsonl")
    lines = _s3(jsonl["key"]).splitlines(keepends=True)
    dropped = json.loads(lines[5])["case_id"]
    shorter = b"".join(lines[:5] + lines[6:])
    export_store.put(jsonl["key"], shorter, "application/x-ndjson")
    jsonl["sha256"] = hashlib.sha256(shorter).hexdigest()
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    export_store.put(
        export_store.key(manifest["export_id"], "manifest.json"), body, "application/json"
    )
    checked = exports.check_export(manifest["export_id"], NOW)
    assert not checked["valid"]
    assert checked["missing"] == [dropped]
    assert any(p.startswith("cases.jsonl:") for p in checked["problems"])
