"""Reading cases: one case, its timeline and history, and the indexes the queue, the board,
the jobs and Open311 read (mapping: ``case_items``; writing: ``case_commit``; pages:
``paging``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pynamodb.expressions.condition import Condition

from functions.domain import integrity
from functions.domain.cases import (
    Case,
    Event,
)
from functions.domain.lifecycle import (
    WITH_DEPARTMENT,
    State,
)
from functions.storage.case_items import SHARDS, event_from_item, from_model, triage_partition
from functions.storage.codec import iso, parse_iso
from functions.storage.models import (
    CaseModel,
    CoHandlingModel,
    CounterModel,
    EventModel,
)
from functions.storage.paging import CardPage, Page, card_page, in_order, one_page


def get(case_id: str) -> Case | None:
    try:
        return from_model(CaseModel.get(case_id, consistent_read=True))
    except CaseModel.DoesNotExist:
        return None


def timeline(case_id: str, *, public_only: bool) -> list[Event]:
    condition = EventModel.public == True if public_only else None  # noqa: E712
    return [
        event_from_item(m)
        for m in EventModel.query(case_id, filter_condition=condition, scan_index_forward=True)
    ]


def history(case_id: str) -> list[integrity.Link]:
    """Every event of the case with its place in the hash chain, in order (auditors)."""
    return [
        integrity.Link(int(m.seq), event_from_item(m), m.hash, m.prev_hash)
        for m in EventModel.query(case_id, scan_index_forward=True, consistent_read=True)
    ]


def retire_due(kind: str, until: datetime) -> list[str]:
    """Ids of cases whose ``kind`` ("archive" | "anonymise") came due by ``until`` (closed or
    archived at or before it): a sparse index, one query per shard."""
    return [
        m.case_id
        for shard in range(SHARDS)
        for m in CaseModel.retire_due.query(f"{kind}#{shard}", CaseModel.retire_key <= iso(until))
    ]


def rating_window_ended(now: datetime) -> list[str]:
    """Ids of replied cases whose rating window has ended: a sparse index, no scan."""
    return [
        m.case_id
        for shard in range(SHARDS)
        for m in CaseModel.rating_due.query(str(shard), CaseModel.rating_window_key <= iso(now))
    ]


def followup_due(today: date) -> list[str]:
    """Ids of cases whose 列入计划 reply promised a date before ``today`` (Shanghai) and has
    not been followed up: a sparse index that holds only such promises, no scan."""
    return [
        m.case_id
        for shard in range(SHARDS)
        for m in CaseModel.followup_due.query(
            str(shard), CaseModel.followup_key < today.isoformat()
        )
    ]


def with_departments() -> list[Case]:
    """Every case a department must work on now (assigned, in progress, reopened and not
    escalated to the coordinator), by running deadline: the digest's input.

    Found in the coordinator's ``queue-due`` index (partition ``open``, whose entries hold
    the state and ``escalated``), filtered to those states, and read by id in its order
    (BatchGetItem). One paged Query serves every department at once, leads and co-handlers
    alike, because the co-handlers travel inside the case item; what it reads beyond its
    answer is only the small entries of the other open cases (待受理, 待交办, 已答复 within the
    rating window). The alternatives cost more: ``by-lead`` holds each department's whole
    history (closed cases included) and knows no co-handlers, and a per-(department, case)
    index needs an item per co-handler written with every transition."""
    condition = CaseModel.state.is_in(*[s.value for s in sorted(WITH_DEPARTMENT)]) & (
        CaseModel.escalated == False  # noqa: E712
    )
    return in_order(
        [
            m.case_id
            for m in CaseModel.queue_due.query(
                "open", filter_condition=condition, scan_index_forward=True
            )
        ]
    )


def on_desk(unit_id: str, limit: int) -> tuple[list[Case], bool]:
    """A unit's open cases as lead (单位工作台), the nearest running deadline first, at most
    ``limit``, and whether there were more: one Query of the sparse ``desk`` index (keys
    only), which holds open cases only, so it finds the unit's current work and none of its
    history, and a BatchGetItem of those cases. The overdue (and so every carded) case comes
    first, within any limit."""
    ids = [
        m.case_id
        for m in CaseModel.desk.query(
            unit_id, scan_index_forward=True, limit=limit + 1, page_size=min(limit + 1, 200)
        )
    ]
    return in_order(ids[:limit]), len(ids) > limit


def co_handled(unit_id: str, limit: int) -> tuple[list[Case], bool]:
    """A unit's open cases as co-handler (协办), at most ``limit``, and whether there were more:
    one Query of the unit's desk entries (``CoHandlingModel``, kept by the transactions that
    change a case's co-handlers) and one BatchGetItem of those cases. An entry whose case has
    moved on since it was read is left out here (the caller checks the unit's role)."""
    ids = [m.case_id for m in CoHandlingModel.query(unit_id, limit=limit + 1)]
    return in_order(ids[:limit]), len(ids) > limit


def sla_due(now: datetime) -> list[str]:
    """Ids of cases whose next SLA rung is due by ``now``: one query per shard of a sparse
    index that holds only running deadlines, so the cost follows what is due, not the table."""
    return [
        m.case_id
        for shard in range(SHARDS)
        for m in CaseModel.sla_due.query(str(shard), CaseModel.next_check_key <= iso(now))
    ]


def sla_oldest_due(now: datetime) -> datetime | None:
    """The earliest next check still due by ``now`` (the sweep's lag): one item per shard."""
    oldest = [
        m.next_check_key
        for shard in range(SHARDS)
        for m in CaseModel.sla_due.query(
            str(shard), CaseModel.next_check_key <= iso(now), scan_index_forward=True, limit=1
        )
        if m.next_check_key
    ]
    return parse_iso(min(oldest)) if oldest else None


def carded(card: str, filters: dict[str, str], cursor: str | None, *, public: bool) -> Page:
    """Cases holding ``card`` ("yellow" | "red") on a running deadline, most overdue first;
    ``public`` keeps only cases on the public board."""
    condition: Condition | None = CaseModel.pub_all.exists() if public else None
    if filters.get("department"):
        clause = CaseModel.lead_id == filters["department"]
        condition = clause if condition is None else condition & clause
    if filters.get("holder"):  # a county coordinator's lists: their platform's cases (§15)
        held: Condition = CaseModel.holder == filters["holder"]
        condition = held if condition is None else condition & held
    return one_page(
        CaseModel.cards,
        card,
        ["case_id", "card", "card_key"],
        cursor=cursor,
        filter_condition=condition,
        newest_first=False,
    )


# 平台受理超时: the cases waiting for 受理 past their deadline, in the ``cards`` index under
# ``triage#<platform>`` by "<受理 deadline>#<case id>", the oldest deadline first.

TRIAGE_COUNT_CAP = 1000  # a count reads at most this many index items (the public page asks)


def _past(now: datetime) -> Condition:
    # "<deadline>#<case id>" < "<now>": every deadline before now (at now it is not yet past).
    return CaseModel.card_key < iso(now)


def triage_overdue(platform: str, now: datetime, cursor: str | None) -> Page:
    """A page of the cases waiting for 受理 at ``platform`` past their 受理 deadline, the most
    overdue first: one Query of the sparse ``cards`` index."""
    return one_page(
        CaseModel.cards,
        triage_partition(platform),
        ["case_id", "card", "card_key"],
        cursor=cursor,
        filter_condition=None,
        newest_first=False,
        range_key_condition=_past(now),
    )


def triage_overdue_count(platform: str, now: datetime) -> tuple[int, bool]:
    """How many cases wait for 受理 at ``platform`` past their deadline, counted up to
    ``TRIAGE_COUNT_CAP``; and whether the count stopped there."""
    n = CaseModel.cards.count(triage_partition(platform), _past(now), limit=TRIAGE_COUNT_CAP)
    return n, n >= TRIAGE_COUNT_CAP


def triage_oldest_overdue(platform: str, now: datetime) -> Case | None:
    """The case that has waited longest past its 受理 deadline at ``platform``: one index
    entry, then its case."""
    first = [
        m.case_id
        for m in CaseModel.cards.query(
            triage_partition(platform), _past(now), scan_index_forward=True, limit=1
        )
    ]
    return next(iter(in_order(first)), None)


def state_counts() -> dict[str, int]:
    keys = [f"state#{s.value}" for s in State]
    return {item.key.removeprefix("state#"): int(item.n) for item in CounterModel.batch_get(keys)}


_BOARD = {
    # filter name → (index, partition attribute); the first filter given picks the index.
    "department": (CaseModel.board_department, CaseModel.pub_department),
    "district": (CaseModel.board_district, CaseModel.pub_district),
    "category": (CaseModel.board_category, CaseModel.pub_category),
    "kind": (CaseModel.board_kind, CaseModel.pub_kind),
    "state": (CaseModel.board_state, CaseModel.pub_state),
}


def board(filters: dict[str, str], cursor: str | None) -> CardPage:
    """Public cases' board cards, newest first, one query per page (the indexes hold the
    cards, not the cases)."""
    chosen = next((name for name in _BOARD if filters.get(name)), None)
    condition: Condition | None = None
    for name, (_, attribute) in _BOARD.items():
        if name != chosen and filters.get(name):
            clause = attribute == filters[name]
            condition = clause if condition is None else condition & clause
    if chosen is None:
        index, hash_value, hash_name = CaseModel.board_all, "1", "pub_all"
    else:
        index, attribute = _BOARD[chosen]
        hash_value, hash_name = filters[chosen], attribute.attr_name
    keys = ["case_id", "created_key", hash_name]
    return card_page(index, hash_value, keys, cursor=cursor, filter_condition=condition)


def _board_condition(filters: dict[str, str]) -> Condition | None:
    condition: Condition | None = None
    for name, (_, attribute) in _BOARD.items():
        if filters.get(name):
            clause = attribute == filters[name]
            condition = clause if condition is None else condition & clause
    return condition


def unsatisfied(filters: dict[str, str], cursor: str | None) -> CardPage:
    """不满意专区: public cases whose latest rating is 不满意, the latest rated first; the board's
    filters narrow it. One Query of a sparse index per page (a few when filtered), which holds
    each case's card and rounds."""
    return card_page(
        CaseModel.unsatisfied,
        "1",
        ["case_id", "pub_unsatisfied", "unsatisfied_key"],
        cursor=cursor,
        filter_condition=_board_condition(filters),
    )


def queue(filters: dict[str, str], *, sort: str, bucket: str, cursor: str | None) -> Page:
    """The coordinator's queue: open (or done) cases, newest first or by deadline. The
    indexes' entries hold what these filters ask about (``models.QUEUE_FILTERS``), not the
    case: a page's cases are read by id (``paging.one_page``)."""
    condition: Condition | None = None
    attributes = {
        "state": CaseModel.state,
        "kind": CaseModel.kind,
        "category": CaseModel.category,
        "district": CaseModel.district,
        "department": CaseModel.lead_id,
    }
    for name, attribute in attributes.items():
        if filters.get(name):
            clause = attribute == filters[name]
            condition = clause if condition is None else condition & clause
    if filters.get("pending"):
        clause = CaseModel.pending["type"] == filters["pending"]
        condition = clause if condition is None else condition & clause
    if filters.get("attention"):  # 群众关注: the supports crossed a threshold
        flagged: Condition = CaseModel.attention.exists()
        condition = flagged if condition is None else condition & flagged
    if filters.get("holder"):  # a county coordinator's queue: the cases their platform holds
        held: Condition = CaseModel.holder == filters["holder"]
        condition = held if condition is None else condition & held
    if filters.get("merged_unsatisfied"):  # 并件不满意: a merged case's citizen is not satisfied
        complained: Condition = CaseModel.merged_complaints.exists()
        condition = complained if condition is None else condition & complained
    if sort == "deadline":
        return one_page(
            CaseModel.queue_due,
            bucket,
            ["case_id", "queue", "due_key"],
            cursor=cursor,
            filter_condition=condition,
            newest_first=False,
        )
    return one_page(
        CaseModel.queue_created,
        bucket,
        ["case_id", "queue", "created_key"],
        cursor=cursor,
        filter_condition=condition,
    )


# --- Open311 GeoReport v2 reads ------------------------------------------------------------


def public_requested_between(
    start: datetime,
    end: datetime,
    *,
    services: Sequence[tuple[str, str]] = (),
    states: Sequence[str] = (),
    limit: int,
) -> list[Case]:
    """Public cases created in ``[start, end]`` (both inclusive), newest first, at most
    ``limit``: the Open311 request listing. One range Query on a public-board index (by
    category when every wanted ``(kind, category)`` service shares one category), paged
    until ``limit`` matches; kind / category / state narrow it as a filter."""
    condition: Condition | None = None
    for kind, category in services:
        clause = (CaseModel.pub_kind == kind) & (CaseModel.pub_category == category)
        condition = clause if condition is None else condition | clause
    if states:
        clause = CaseModel.pub_state.is_in(*states)
        condition = clause if condition is None else condition & clause
    categories = {category for _, category in services}
    index, hash_value = (
        (CaseModel.board_category, categories.pop())
        if len(categories) == 1
        else (CaseModel.board_all, "1")
    )
    # created_key is "<instant>#<case id>": "~" sorts after "#", so ``end`` is inclusive.
    # The board's indexes hold cards, not cases: the page's ids, then the cases (BatchGetItem).
    window = CaseModel.created_key.between(iso(start), f"{iso(end)}~")
    ids = [
        m.case_id
        for m in index.query(
            hash_value,
            range_key_condition=window,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit,
            page_size=min(limit, 200),
        )
    ]
    found = get_many(ids)
    return [found[i] for i in ids if i in found]


def get_many(case_ids: Sequence[str]) -> dict[str, Case]:
    """Cases by id (absent ids are left out): BatchGetItem in chunks of 100."""
    keys = list(dict.fromkeys(case_ids))
    return {m.case_id: from_model(m) for m in CaseModel.batch_get(keys)} if keys else {}
