"""The auditors' queries answer from the ``audit-*`` indexes holding only a case's keys and what
the filter reads (models.AUDIT_FILTERS), the page's cases read by id, exactly what they answered
when the indexes held whole cases: the same cases (every field), in the same order, on the same
pages with the same cursors, under every filter of tests/storage/test_archive_queries.py; the
export's reading (``every``) and count too. No entry of an audit index holds a case's content.

One moto account for the module: 160 closed and archived cases (and open ones that never
answer) written through ``batch_write`` while the three indexes project ALL, as deployed before;
every filter's pages read the old way (the search as it was: cases made from the index's
items); then the indexes walked to the new projection by ``infra.index_steps`` (one delete or
create per step, as a deploy does); then every filter read again the new way.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.storage.test_archive_queries import FILTERS, _case, _filter, _open_case

SEED = 20261205
CASES = 160
OPEN = 10
PAGE = 10
# The exports' reading (``every``, ``count``), under a few filters: moto deep-copies each item
# a Query reads, whole, and the old way's are whole cases.
EXPORTED = ("everything in one month", "department over every month", "district and kind")
AUDIT = ("audit-month", "audit-department", "audit-district")
# The attributes a case's record and text are in: never in an audit index entry.
CONTENT = {"title", "content", "contact", "replies", "assignment", "public_version", "location"}


@dataclass
class Answers:
    before: dict[str, list[tuple[list[Any], str | None, int]]] = field(default_factory=dict)
    pages: dict[str, list[tuple[list[Any], str | None, int]]] = field(default_factory=dict)
    every: dict[str, list[Any]] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def _old_search(f: Any, cursor: str | None, page_size: int) -> Any:
    """``archive_repo.search`` as it was when the audit indexes held whole cases (verbatim but
    for the module's names): the page's cases made from the index's own items."""
    from functions.storage.archive_repo import (
        READ_BUDGET,
        AuditPage,
        _condition,
        _decode,
        _encode,
        _index,
    )
    from functions.storage.case_items import from_model
    from functions.storage.models import CaseModel

    index, hash_name, pattern = _index(f)
    condition = _condition(f)
    months = f.months()
    month, key = _decode(cursor, f, hash_name) if cursor else (months[0], None)
    items: list[dict[str, Any]] = []
    queries = scanned = 0
    while scanned < READ_BUDGET and len(items) < page_size:
        results = index.query(
            pattern.format(month=month),
            scan_index_forward=False,
            filter_condition=condition,
            last_evaluated_key=key,
            page_size=page_size,
        )
        page = next(results.page_iter, None)
        queries += 1
        scanned += page.get("ScannedCount", 0) if page else 0
        items.extend(page.get("Items", []) if page else [])
        key = results.page_iter.last_evaluated_key
        if key is None:
            later = months.index(month) + 1
            if later == len(months):
                month = ""
                break
            month = months[later]
    if len(items) > page_size:
        items = items[:page_size]
        last = items[-1]
        key = {name: last[name] for name in ("case_id", "created_key", hash_name)}
        month = last[hash_name]["S"].rsplit("#", 1)[-1]
    cases = [from_model(CaseModel.from_raw_data(item)) for item in items]
    return AuditPage(cases, _encode(month, key) if month else None, queries)


def _pages(search: Any, f: Any) -> list[tuple[list[Any], str | None, int]]:
    out: list[tuple[list[Any], str | None, int]] = []
    cursor: str | None = None
    while True:
        page = search(f, cursor, PAGE)
        out.append((page.cases, page.next_cursor, page.queries))
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor
        assert len(out) < 500, "the cursor does not advance"


def _indexes(client: Any, table: str) -> list[dict[str, Any]]:
    described = client.describe_table(TableName=table)["Table"]
    return [
        {k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
        for i in described["GlobalSecondaryIndexes"]
    ]


def _walk(client: Any, table: str, wanted: list[dict[str, Any]], said: list[str]) -> None:
    """The table's indexes to ``wanted`` through ``index_steps.steps``: each step one delete
    or one create, applied as the stack update would."""
    from infra import index_steps

    definitions = client.describe_table(TableName=table)["Table"]["AttributeDefinitions"]
    before = {i["IndexName"] for i in _indexes(client, table)}
    for step in index_steps.steps(_indexes(client, table), wanted):
        names = {i["IndexName"] for i in step}
        if gone := before - names:
            (name,) = gone
            update: dict[str, Any] = {"Delete": {"IndexName": name}}
            said.append(f"delete {name}")
        else:
            (name,) = names - before
            update = {"Create": next(i for i in step if i["IndexName"] == name)}
            said.append(f"create {name}")
        client.update_table(
            TableName=table, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[update]
        )
        before = names


@pytest.fixture(scope="module")
def answers() -> Iterator[Answers]:
    from moto import mock_aws

    with mock_aws():
        from functions.storage import archive_repo, case_items, directory
        from functions.storage.models import CaseModel
        from infra import bootstrap
        from infra.template import table_resource
        from tests.conftest import TEST_CITY

        directory.clear_cache()
        bootstrap.create_tables()
        bootstrap.load_city(TEST_CITY)
        client = CaseModel._get_connection().connection.client
        table = CaseModel.Meta.table_name
        now = table_resource(CaseModel, "test")["Properties"]["GlobalSecondaryIndexes"]
        deployed = [
            {**i, "Projection": {"ProjectionType": "ALL"}} if i["IndexName"] in AUDIT else i
            for i in now
        ]
        found = Answers()
        _walk(client, table, deployed, found.steps)  # the indexes as they were deployed
        rng = random.Random(SEED)
        cases = [_case(rng, i) for i in range(CASES)]
        cases += [_open_case(rng, CASES + i) for i in range(OPEN)]
        with CaseModel.batch_write() as batch:
            for case in cases:
                batch.save(case_items.to_model(case))

        for name, params in FILTERS.items():
            found.before[name] = _pages(_old_search, _filter(**params))
        found.steps.clear()
        _walk(client, table, now, found.steps)  # the deploy's steps to the new projection
        for name, params in FILTERS.items():
            f = _filter(**params)
            found.pages[name] = _pages(archive_repo.search, f)
            if name in EXPORTED:
                found.every[name] = list(archive_repo.every(f))
                found.count[name] = archive_repo.count(f)
        try:
            yield found
        finally:
            directory.clear_cache()


def test_the_indexes_change_one_step_at_a_time(answers: Answers) -> None:
    deletes, creates = answers.steps[:3], answers.steps[3:]
    assert sorted(deletes) == sorted(f"delete {n}" for n in AUDIT)
    assert sorted(creates) == sorted(f"create {n}" for n in AUDIT)


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter_answers_the_same_pages_as_when_the_index_held_the_case(
    answers: Answers, name: str
) -> None:
    before = answers.before[name]
    after = answers.pages[name]
    assert [(len(c), cursor, q) for c, cursor, q in after] == [
        (len(c), cursor, q) for c, cursor, q in before
    ]
    for (now_cases, _, _), (then_cases, _, _) in zip(after, before, strict=True):
        assert [c.case_id for c in now_cases] == [c.case_id for c in then_cases]
        assert now_cases == then_cases  # every field of every case
    if name in EXPORTED:
        everything = [c for cases, _, _ in before for c in cases]
        assert answers.every[name] == everything
        assert answers.count[name] == len(everything)


def test_the_filters_find_cases(answers: Answers) -> None:
    """The comparison is not of empty answers: most filters find cases, several over pages."""
    found = {name: sum(len(c) for c, _, _ in answers.before[name]) for name in FILTERS}
    assert sum(1 for n in found.values() if n) >= len(FILTERS) - 4, found
    assert sum(1 for n in found.values() if n > PAGE) >= 5, found
    assert all(answers.every[name] for name in EXPORTED)


def test_no_audit_index_entry_holds_the_case(answers: Answers) -> None:
    from functions.storage.models import AUDIT_FILTERS, CaseModel

    client = CaseModel._get_connection().connection.client
    for index in AUDIT:
        hash_name = index.replace("-", "_")
        allowed = {"case_id", "created_key", hash_name, *AUDIT_FILTERS}
        if index == "audit-department":
            allowed.add("district")
        items = client.scan(TableName=CaseModel.Meta.table_name, IndexName=index)["Items"]
        assert len(items) == CASES
        for item in items:
            assert set(item) <= allowed, (index, set(item) - allowed)
            assert not set(item) & CONTENT
