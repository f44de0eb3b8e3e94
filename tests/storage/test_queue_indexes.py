"""The staff's indexes that find cases (the queue by date and by deadline, the unit desk, the
督办 lists) hold the keys and what their queries filter on, not the case; every reader reads
its page's cases by id in the index's order. Over the demo city's cases in every state, each
reader lists the same cases, whole, in the same order as a reading of the index's whole
partition filtered here in Python (what the index holding whole cases answered), page by page
with small pages; and no index entry holds a case's content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
FINDING = {"queue-created": "created_key", "queue-due": "due_key", "desk": "due_key"}
FINDING["cards"] = "card_key"


def _load_demo() -> dict[str, Any]:
    """The demo city at NOW: every case, whole, by id (a consistent scan)."""
    from functions.storage.case_items import from_model
    from functions.storage.models import CaseModel
    from infra import bootstrap
    from infra.demo_loader import load_demo

    bootstrap.load_city()
    load_demo(now=NOW)
    return {m.case_id: from_model(m) for m in CaseModel.scan(consistent_read=True)}


def _client() -> Any:
    import boto3

    from functions.settings import settings

    return boto3.client("dynamodb", region_name=settings().region)


def _table() -> str:
    from functions.storage.models import CaseModel

    return str(CaseModel.Meta.table_name)


def _partition(index: str, hash_name: str, value: str, *, forward: bool) -> list[str]:
    """The ids of an index partition in the index's order: every entry, no filter."""
    ids: list[str] = []
    ask: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": "#h = :v",
        "ExpressionAttributeNames": {"#h": hash_name},
        "ExpressionAttributeValues": {":v": {"S": value}},
        "ScanIndexForward": forward,
    }
    while True:
        answer = _client().query(**ask)
        ids += [item["case_id"]["S"] for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return ids
        ask["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _every_page(read: Callable[[str | None], Any]) -> list[Any]:
    cases: list[Any] = []
    cursor = None
    while True:
        page = read(cursor)
        cases += page.cases
        if not (cursor := page.next_cursor):
            return cases


_QUEUE_TESTS: dict[str, Callable[[Any, str], bool]] = {
    "state": lambda c, v: c.state.value == v,
    "kind": lambda c, v: c.kind.value == v,
    "category": lambda c, v: c.category == v,
    "district": lambda c, v: c.district == v,
    "department": lambda c, v: c.lead is not None and c.lead.id == v,
    "pending": lambda c, v: c.pending is not None and c.pending.type == v,
    "attention": lambda c, v: c.attention is not None,
    "holder": lambda c, v: c.holder == v,
    "merged_unsatisfied": lambda c, v: bool(c.merged_complaints),
}


def _queue_filters(cases: list[Any]) -> list[dict[str, str]]:
    """No filter; each filter with the value most of ``cases`` hold; and pairs (one filter
    narrowing another)."""

    def most(values: list[str]) -> str:
        return Counter(values).most_common(1)[0][0] if values else "none"

    found: list[dict[str, str]] = [{}]
    found += [
        {"state": most([c.state.value for c in cases])},
        {"kind": most([c.kind.value for c in cases])},
        {"category": most([c.category for c in cases])},
        {"district": most([c.district for c in cases])},
        {"department": most([c.lead.id for c in cases if c.lead])},
        {"pending": most([c.pending.type for c in cases if c.pending])},
        {"attention": "1"},
        {"holder": most([c.holder for c in cases if c.holder != "city"])},
        {"merged_unsatisfied": "1"},
        dict(
            zip(
                ("district", "state"),
                most([f"{c.district} {c.state.value}" for c in cases]).split(),
                strict=False,
            )
        ),
        dict(
            zip(
                ("holder", "department"),
                most([f"{c.holder} {c.lead.id}" for c in cases if c.lead]).split(),
                strict=False,
            )
        ),
    ]
    return found


def _matches(case: Any, filters: dict[str, str]) -> bool:
    return all(_QUEUE_TESTS[name](case, value) for name, value in filters.items())


def test_the_staff_indexes_find_the_same_cases_and_hold_none(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = _load_demo()
    _each_queue_filter_lists_the_same_cases_in_the_same_order(every, monkeypatch)
    _the_desk_the_overdue_lists_and_the_jobs_read_what_the_index_finds(every, monkeypatch)
    _no_index_entry_holds_the_case()
    _the_merged_unsatisfied_filter_finds_a_flagged_case(every)


def _pages_of(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of ``size``: below the default, every listing spans pages, and a filtered page
    takes several Queries."""
    from functions.storage import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", size)


def _each_queue_filter_lists_the_same_cases_in_the_same_order(
    every: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.storage import cases_repo, paging
    from functions.storage.case_items import to_model

    cases = list(every.values())
    # The demo has something behind every filter the queue offers (并件不满意: see below).
    assert any(c.pending for c in cases) and any(c.attention for c in cases)
    assert len({c.holder for c in cases}) > 1
    default = paging.PAGE_SIZE
    compared = 0
    for sort, index, key, forward in (
        ("newest", "queue-created", "created_key", False),
        ("deadline", "queue-due", "due_key", True),
    ):
        for bucket in ("open", "done"):
            order = _partition(index, "queue", bucket, forward=forward)
            assert len(order) == len(set(order)) > 3, (index, bucket)
            # The index's own order: newest first, or the nearest deadline first.
            keys = [getattr(to_model(every[i]), key) for i in order]
            assert keys == sorted(keys, reverse=not forward), (index, bucket)
            held = [every[i] for i in order]
            for n, filters in enumerate(_queue_filters(held)):
                # Small pages for the first two (cursors, filtered reads that come back short).
                _pages_of(3 if n < 2 else default, monkeypatch)
                listed = _every_page(
                    lambda cursor, f=filters, s=sort, b=bucket: cases_repo.queue(
                        dict(f), sort=s, bucket=b, cursor=cursor
                    )
                )
                wanted = [every[i] for i in order if _matches(every[i], filters)]
                assert [c.case_id for c in listed] == [c.case_id for c in wanted], filters
                assert listed == wanted, filters  # … whole, as stored
                compared += len(listed)
    _pages_of(default, monkeypatch)
    assert compared > 100


def _the_merged_unsatisfied_filter_finds_a_flagged_case(every: dict[str, Any]) -> None:
    """并件不满意: a merged case's citizen's complaint flags its primary; the filter (an
    attribute the queue's entries hold) finds it and only it."""
    from functions.domain.cases import MergedComplaint
    from functions.storage import cases_repo
    from functions.storage.case_items import to_model

    closed = next(c for c in every.values() if c.state.value == "closed")
    closed.merged_complaints = [MergedComplaint("WZ-OTHER", 1, NOW, "不满意")]
    to_model(closed).save()
    for sort in ("newest", "deadline"):
        listed = _every_page(
            lambda cursor, s=sort: cases_repo.queue(
                {"merged_unsatisfied": "1"}, sort=s, bucket="done", cursor=cursor
            )
        )
        assert listed == [closed], sort


def _the_desk_the_overdue_lists_and_the_jobs_read_what_the_index_finds(
    every: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.domain.lifecycle import WITH_DEPARTMENT
    from functions.domain.platforms import CITY
    from functions.storage import cases_repo, hotspots_repo
    from functions.storage.case_items import triage_partition

    _pages_of(3, monkeypatch)
    cases = list(every.values())

    # 单位工作台: each unit's open cases as lead, the nearest deadline first, within a limit.
    units = {c.lead.id for c in cases if c.lead}
    assert len(units) > 3
    for unit in units:
        order = _partition("desk", "desk_lead", unit, forward=True)
        found, more = cases_repo.on_desk(unit, 100)
        assert found == [every[i] for i in order] and not more, unit
        if len(order) > 1:
            assert cases_repo.on_desk(unit, 1) == ([every[order[0]]], True)

    # 督办: the yellow and red lists, filtered by lead, holder and the public board.
    for card in ("yellow", "red"):
        order = _partition("cards", "card", card, forward=True)
        assert order, card
        listed_cases = [every[i] for i in order]
        department = Counter(c.lead.id for c in listed_cases).most_common(1)[0][0]
        for filters, public in [
            ({}, False),
            ({}, True),
            ({"department": department}, False),
            ({"department": department}, True),
            ({"holder": "city"}, False),
            ({"holder": "nanhu-platform"}, False),
        ]:
            listed = _every_page(
                lambda cursor, f=filters, p=public, k=card: cases_repo.carded(
                    k, dict(f), cursor, public=p
                )
            )
            wanted = [
                every[i]
                for i in order
                if (not public or every[i].is_public)
                and (not filters.get("department") or every[i].lead.id == filters["department"])
                and (not filters.get("holder") or every[i].holder == filters["holder"])
            ]
            assert listed == wanted, (card, filters, public)

    # 平台受理超时: past the 受理 deadline, the most overdue first; and the oldest one.
    later = NOW + timedelta(days=3)
    order = _partition("cards", "card", triage_partition(CITY), forward=True)
    late = [i for i in order if every[i].triage and every[i].triage.due_at < later]
    assert late
    listed = _every_page(lambda cursor: cases_repo.triage_overdue(CITY, later, cursor))
    assert listed == [every[i] for i in late]
    assert cases_repo.triage_oldest_overdue(CITY, later) == every[late[0]]
    assert cases_repo.triage_oldest_overdue(CITY, NOW - timedelta(days=400)) is None

    # The digest's open work: with a department, not escalated, by deadline.
    order = _partition("queue-due", "queue", "open", forward=True)
    wanted = [
        every[i] for i in order if every[i].state in WITH_DEPARTMENT and not every[i].escalated
    ]
    assert wanted and cases_repo.with_departments() == wanted

    # 舆情: the cases created in a window, oldest first, with their texts; and of a district.
    found = hotspots_repo.cases_between("", NOW)
    assert [(c.case_id, c.title, c.content) for c in found] == [
        (c.case_id, c.title, c.content)
        for c in sorted(cases, key=lambda c: (c.created_at, c.case_id))
    ]
    district = found[0].district
    assert [c.case_id for c in hotspots_repo.cases_between("", NOW, district=district)] == [
        c.case_id for c in found if c.district == district
    ]


def _no_index_entry_holds_the_case() -> None:
    """The four indexes' entries hold keys and filter attributes: no text, no contact, no
    replies; what a case write changes elsewhere does not rewrite them."""
    from functions.storage.models import CaseModel

    described = _client().describe_table(TableName=_table())["Table"]
    indexes = {i["IndexName"]: i for i in described["GlobalSecondaryIndexes"]}
    for name in FINDING:
        index = indexes[name]
        allowed = {"case_id", *(k["AttributeName"] for k in index["KeySchema"])}
        allowed |= set(index["Projection"].get("NonKeyAttributes", []))
        assert index["Projection"]["ProjectionType"] in {"INCLUDE", "KEYS_ONLY"}, name
        assert not allowed & {"content", "title", "contact", "replies", "assignment"}, name
        entries = _client().scan(TableName=_table(), IndexName=name)["Items"]
        assert entries, name
        for entry in entries:
            assert set(entry) <= allowed, (name, sorted(entry))
        stored = max(len(str(e)) for e in entries)
        whole = len(str(CaseModel.get(entries[0]["case_id"]["S"]).serialize()))
        assert stored < whole / 2, (name, stored, whole)
