"""Cases and their timelines in DynamoDB.

A transition is persisted as ONE ``TransactWriteItems``: the case (conditional on the version
and state it was read at), its new events, any link tokens, the outbox messages and the
per-state counters. A failed condition means someone else changed the case first: the caller
gets ``Conflict`` and nothing was written.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain import integrity
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    TransitionResult,
    archivable,
    month_key,
    promise_awaiting_followup,
)
from functions.domain.errors import Conflict, Gone, InvalidRequest, Unavailable, invalid_field
from functions.domain.lifecycle import (
    AUDITED,
    OPEN,
    READ_ONLY,
    WITH_DEPARTMENT,
    EventType,
    Role,
    State,
)
from functions.domain.rankings import Cohort
from functions.domain.sla import active_card
from functions.storage.codec import decode, encode, iso, parse_iso
from functions.storage.idempotency import joining_now
from functions.storage.models import (
    CaseModel,
    CohortCaseModel,
    CounterModel,
    EventModel,
    IdempotencyModel,
    TallyModel,
)

PAGE_SIZE = 20
MAX_QUERIES_PER_PAGE = 5  # bounds the read cost of a heavily filtered page
SHARDS = 4  # partitions of the sparse due-time indexes


def _connection() -> Connection:
    return CaseModel._get_connection().connection  # type: ignore[no-any-return]


# --- case ⇄ item ---------------------------------------------------------------------------

_NESTED = (
    "contact",
    "assignment",
    "pending",
    "rejection",
    "replies",
    "public_version",
    "info_requests",
)


def _shard(case_id: str) -> str:
    return str(sum(case_id.encode()) % SHARDS)


def to_model(case: Case) -> CaseModel:
    data = encode(case)
    model = CaseModel(
        case_id=case.case_id,
        created_at=case.created_at,
        created_key=f"{iso(case.created_at)}#{case.case_id}",
        state=case.state.value,
        kind=case.kind.value,
        category=case.category,
        district=case.district,
        channel=case.channel.value,
        urgency=case.urgency.value if case.urgency else None,
        title=case.title,
        content=case.content,
        consent_public=case.consent_public,
        approved_public=case.approved_public,
        tracking_hash=case.tracking_hash,
        extensions_used=case.extensions_used,
        reopen_count=case.reopen_count,
        escalated=case.escalated,
        rating_window_ends_at=case.rating_window_ends_at,
        closed_at=case.closed_at,
        updated_at=case.updated_at,
        version=case.version,
        event_count=case.event_count,
        breaches=list(case.breaches),
        head_hash=case.head_hash,
        contact_salt=case.contact_salt,
        archived_at=case.archived_at,
        anonymised_at=case.anonymised_at,
        open311_client=case.open311_client,
        rating=(
            case.last_reply.rating.value if case.last_reply and case.last_reply.rating else None
        ),
        queue="open" if case.state in OPEN else "done",
        due_key=iso(d) if (d := case.running_deadline()) else "~",
        lead_id=case.lead.id if case.lead else None,
    )
    for name in _NESTED:
        setattr(model, name, data.get(name))
    a = case.assignment
    if a is not None and a.next_check_at is not None:
        model.sla_shard = _shard(case.case_id)
        model.next_check_key = iso(a.next_check_at)
    if (card := active_card(case)) is not None:
        model.card = card
        model.card_key = f"{model.due_key}#{case.case_id}"
    if case.state == State.REPLIED and case.rating_window_ends_at is not None:
        model.rating_shard = _shard(case.case_id)
        model.rating_window_key = iso(case.rating_window_ends_at)
    if (promise := promise_awaiting_followup(case)) is not None and promise.planned_date:
        model.followup_shard = _shard(case.case_id)
        model.followup_key = promise.planned_date.isoformat()
    if archivable(case) and case.closed_at is not None:
        model.retire_shard = f"archive#{_shard(case.case_id)}"
        model.retire_key = iso(case.closed_at)
    elif case.state in READ_ONLY and case.anonymised_at is None and case.archived_at:
        model.retire_shard = f"anonymise#{_shard(case.case_id)}"
        model.retire_key = iso(case.archived_at)
    if case.state in AUDITED:
        month = month_key(case.created_at)
        model.audit_month = month
        model.audit_district = f"{case.district}#{month}"
        if case.lead is not None:
            model.audit_department = f"{case.lead.id}#{month}"
    if case.is_public:
        model.pub_all = "1"
        model.pub_state = case.state.value
        model.pub_kind = case.kind.value
        model.pub_category = case.category
        model.pub_district = case.district
        model.pub_department = case.lead.id if case.lead else None
    return model


def from_model(model: CaseModel) -> Case:
    data: dict[str, Any] = {
        "case_id": model.case_id,
        "created_at": iso(model.created_at),
        "channel": model.channel,
        "kind": model.kind,
        "category": model.category,
        "district": model.district,
        "title": model.title,
        "content": model.content,
        "consent_public": model.consent_public,
        "tracking_hash": model.tracking_hash,
        "state": model.state,
        "approved_public": model.approved_public,
        "urgency": model.urgency,
        "extensions_used": model.extensions_used,
        "reopen_count": model.reopen_count,
        "escalated": model.escalated,
        "version": model.version,
        "event_count": model.event_count,
        "breaches": list(model.breaches or []),
        "head_hash": model.head_hash,
        "contact_salt": model.contact_salt,
        "open311_client": model.open311_client,
    }
    for name in (
        "rating_window_ends_at",
        "closed_at",
        "updated_at",
        "archived_at",
        "anonymised_at",
    ):
        value = getattr(model, name)
        data[name] = iso(value) if value else None
    for name in _NESTED:
        value = getattr(model, name)
        data[name] = value.as_dict() if hasattr(value, "as_dict") else value  # type: ignore[no-untyped-call]
    return decode(Case, data)


def _event_model(case_id: str, link: integrity.Link) -> EventModel:
    from functions.domain.actions import is_public  # the registry, on the write path only

    event = link.event
    return EventModel(
        case_id=case_id,
        seq=link.seq,
        hash=link.hash,
        prev_hash=link.prev_hash,
        type=str(event.type),
        at=event.at,
        actor_role=event.actor.role.value,
        actor_id=event.actor.id,
        actor_name=event.actor.name,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        note=event.note,
        public=is_public(event),
        data={k: str(v) for k, v in event.data.items()},
    )


def _event_from_model(model: EventModel) -> Event:
    return Event(
        type=model.type,
        at=model.at,
        actor=Actor(Role(model.actor_role), model.actor_id, model.actor_name),
        from_state=State(model.from_state) if model.from_state else None,
        to_state=State(model.to_state),
        note=model.note,
        data=dict(model.data.attribute_values) if model.data else {},
    )


# --- writes ---------------------------------------------------------------------------------


MAX_ITEMS = 100  # DynamoDB's limit on the items one TransactWriteItems may touch

Tallies = Mapping[Cohort, Mapping[str, int]]


def _state_counts(results: Sequence[TransitionResult]) -> dict[str, int]:
    """The net change of each per-state counter: one update per counter item, however many of
    the cases move in or out of its state (a transaction touches an item once)."""
    net: dict[str, int] = {}
    for result in results:
        before, after = result.expected_state, result.case.state
        if before == after:
            continue
        net[after.value] = net.get(after.value, 0) + 1
        if before is not None:
            net[before.value] = net.get(before.value, 0) - 1
    return {state: n for state, n in sorted(net.items()) if n}


def _tally_items(tallies: Mapping[str, Tallies]) -> list[tuple[Model, dict[str, int]]]:
    """The unit-month totals (summed over the cases, one update each) and each case's share of
    them, by the same increments."""
    totals: dict[Cohort, dict[str, int]] = {}
    items: list[tuple[Model, dict[str, int]]] = []
    for case_id, cohorts in sorted(tallies.items()):
        for (unit, month), counts in sorted(cohorts.items()):
            adds = {name: n for name, n in counts.items() if n}
            if not adds:
                continue
            items.append((CohortCaseModel(f"{unit}#{month}", case_id), adds))
            total = totals.setdefault((unit, month), {})
            for name, n in adds.items():
                total[name] = total.get(name, 0) + n
    for (unit, month), counts in sorted(totals.items()):
        adds = {name: n for name, n in counts.items() if n}
        if adds:
            items.append((TallyModel(month, unit), adds))
    return items


@dataclass(frozen=True)
class _Sealed:
    """One case's part of a transaction: its transition, the condition the case is written
    on, and its new events chained onto its head."""

    result: TransitionResult
    condition: Condition
    links: list[integrity.Link]

    @property
    def head(self) -> str:
        return self.links[-1].hash if self.links else self.result.case.head_hash


def _sealed(result: TransitionResult) -> _Sealed:
    case = result.case
    if result.expected_state in READ_ONLY and any(
        e.type != EventType.ANONYMISED for e in result.events
    ):
        # The domain refuses first (functions.domain.cases.require_writable); this is the
        # storage's own guarantee that an archived record takes nothing but anonymisation.
        raise Gone("该诉求已归档，只读", "the case is archived and read-only", "case_archived")
    first_seq = case.event_count - len(result.events) + 1
    links = integrity.seal(case.case_id, first_seq, case.head_hash, result.events)
    if result.expected_state is None:
        condition: Condition = CaseModel.case_id.does_not_exist()
    else:
        condition = (CaseModel.version == result.expected_version) & (
            CaseModel.state == result.expected_state.value
        )
    return _Sealed(result, condition, links)


def commit(
    result: TransitionResult,
    *,
    extra: Sequence[Model] = (),
    idempotency: tuple[IdempotencyModel, Condition] | None = None,
    tallies: Tallies | None = None,
) -> None:
    """Persist a transition (or a new case) and what goes with it, all or nothing: the case,
    its events, the messages, the idempotency record, the state counters and the 亮晒比
    counters of the cohorts it moves. One case's unit of work (``commit_all``)."""
    commit_all(
        [result],
        extra=extra,
        idempotency=idempotency,
        tallies={result.case.case_id: tallies} if tallies else None,
    )


def commit_all(
    results: Sequence[TransitionResult],
    *,
    extra: Sequence[Model] = (),
    idempotency: tuple[IdempotencyModel, Condition] | None = None,
    tallies: Mapping[str, Tallies] | None = None,
) -> None:
    """Persist the transitions of several cases (a merge, a county's dispatch) as ONE
    transaction: every case on the version and state it was read at, their sealed events,
    ``extra`` (messages, link tokens), the idempotency record, the state counters and the
    ranking counters (``tallies`` by case id). A stale case cancels all of them (409
    ``stale_case``); a change too big for one transaction is refused before anything is
    written. Without an explicit ``idempotency`` record, the one an open
    ``idempotency.joining`` holds (a staff or department action's) joins the first commit."""
    if not results or len({r.case.case_id for r in results}) != len(results):
        raise ValueError("a unit of work holds one or more cases, each once")
    joining = joining_now() if idempotency is None else None
    record = joining.record() if joining is not None and not joining.joined else idempotency
    parts = [_sealed(r) for r in results]
    counts = _state_counts(results)
    tally_items = _tally_items(tallies or {})
    size = (
        len(parts)
        + sum(len(p.links) for p in parts)
        + len(extra)
        + (record is not None)
        + len(counts)
        + len(tally_items)
    )
    if size > MAX_ITEMS:
        raise InvalidRequest(
            f"一次办理涉及的记录过多（{size} 条，上限 {MAX_ITEMS} 条），请分批办理",
            f"one change may write at most {MAX_ITEMS} items; this one needs {size}",
            "too_many_changes",
        )
    # The token makes DynamoDB treat botocore's retry of an attempt whose answer was lost as
    # the same transaction (idempotent for 10 minutes) instead of failing its conditions.
    token = uuid.uuid4().hex
    try:
        with TransactWrite(connection=_connection(), client_request_token=token) as tx:
            for part in parts:
                case_id = part.result.case.case_id
                model = to_model(part.result.case)
                model.head_hash = part.head
                tx.save(model, condition=part.condition)
                for link in part.links:
                    tx.save(_event_model(case_id, link), condition=EventModel.seq.does_not_exist())
            for item in extra:
                tx.save(item)
            if record is not None:
                kept, claimed = record  # functions/storage/idempotency.py
                tx.save(kept, condition=claimed)
            for state, n in counts.items():
                tx.update(CounterModel(f"state#{state}"), actions=[CounterModel.n.add(n)])
            for item, adds in tally_items:
                actions = [getattr(type(item), name).add(n) for name, n in adds.items()]
                tx.update(item, actions=actions)
    except PynamoDBException as error:
        # An attempt may have been applied with its answer lost (a read timeout), and then
        # either failed its retry's conditions or run out of retries: our own last event of
        # any one case, in place with our hash, says the whole transaction is in (it is all
        # or nothing). Otherwise nothing is.
        witness = next((p for p in parts if p.links), None)
        if not (witness and _applied(witness.result.case.case_id, witness.links[-1])):
            cancelled = error.cancellation_reasons if isinstance(error, TransactWriteError) else []
            reasons = [r.code if r else None for r in cancelled or []]
            if "ConditionalCheckFailed" in reasons:
                raise Conflict(
                    "案件已被他人更新，请刷新后重试",
                    "the case changed meanwhile; reload and retry",
                    "stale_case",
                ) from error
            raise Unavailable(
                "服务暂时繁忙，请稍后重试", "storage unavailable, retry later", "unavailable"
            ) from error
    if joining is not None and record is not None:
        joining.joined = True
    for part in parts:
        part.result.case.head_hash = part.head


def _applied(case_id: str, last: integrity.Link) -> bool:
    """Whether the event ``last`` (a transition's final event, written only by its own
    transaction) is stored with its hash: the transaction was applied. The hash covers the
    instant to the microsecond, the actor and the previous hash, so no other write matches."""
    try:
        stored = EventModel.get(case_id, last.seq, consistent_read=True)
    except EventModel.DoesNotExist:
        return False
    except PynamoDBException:
        return False  # cannot tell: the caller reports the failure, and a retry will tell
    return bool(stored.hash == last.hash)


# --- reads ----------------------------------------------------------------------------------


def get(case_id: str) -> Case | None:
    try:
        return from_model(CaseModel.get(case_id, consistent_read=True))
    except CaseModel.DoesNotExist:
        return None


def timeline(case_id: str, *, public_only: bool) -> list[Event]:
    condition = EventModel.public == True if public_only else None  # noqa: E712
    return [
        _event_from_model(m)
        for m in EventModel.query(case_id, filter_condition=condition, scan_index_forward=True)
    ]


def history(case_id: str) -> list[integrity.Link]:
    """Every event of the case with its place in the hash chain, in order (auditors)."""
    return [
        integrity.Link(int(m.seq), _event_from_model(m), m.hash, m.prev_hash)
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

    Read from the coordinator's ``queue-due`` index (partition ``open``, ALL projection),
    filtered to those states. One paged Query serves every department at once, leads and
    co-handlers alike, because the co-handlers travel inside the case item; what it reads
    beyond its answer is only the other open cases (待受理, 待交办, 已答复 within the rating
    window), a bounded few. The alternatives cost more: ``by-lead`` holds each department's
    whole history (closed cases included, keys only, so a get per case) and knows no
    co-handlers, and a per-(department, case) index needs an item per co-handler written with
    every transition."""
    condition = CaseModel.state.is_in(*[s.value for s in sorted(WITH_DEPARTMENT)]) & (
        CaseModel.escalated == False  # noqa: E712
    )
    return [
        from_model(m)
        for m in CaseModel.queue_due.query(
            "open", filter_condition=condition, scan_index_forward=True
        )
    ]


def sla_due(now: datetime) -> list[str]:
    """Ids of cases whose next SLA rung is due by ``now``: one query per shard of a sparse
    index that holds only running clocks, so the cost follows what is due, not the table."""
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
    """Cases holding ``card`` ("yellow" | "red") on a running clock, most overdue first;
    ``public`` keeps only cases on the public board."""
    condition: Condition | None = CaseModel.pub_all.exists() if public else None
    if filters.get("department"):
        clause = CaseModel.lead_id == filters["department"]
        condition = clause if condition is None else condition & clause
    return _one_page(
        CaseModel.cards,
        card,
        ["case_id", "card", "card_key"],
        cursor=cursor,
        filter_condition=condition,
        newest_first=False,
    )


def state_counts() -> dict[str, int]:
    keys = [f"state#{s.value}" for s in State]
    return {item.key.removeprefix("state#"): int(item.n) for item in CounterModel.batch_get(keys)}


@dataclass
class Page:
    cases: list[Case]
    next_cursor: str | None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, expected: Iterable[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise invalid_field("cursor", "分页参数无效", "invalid cursor") from error
    if not is_key(key, expected):
        raise invalid_field("cursor", "分页参数无效", "invalid cursor")
    return key  # type: ignore[no-any-return]


def is_key(key: object, expected: Iterable[str]) -> bool:
    """Whether ``key`` is a DynamoDB key of exactly the ``expected`` string attributes:
    anything else would reach DynamoDB as a bad request."""
    return (
        isinstance(key, dict)
        and set(key) == set(expected)
        and all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
            for v in key.values()
        )
    )


def _one_page(
    index: Any,
    hash_value: str,
    key_names: list[str],
    *,
    cursor: str | None,
    filter_condition: Condition | None,
    newest_first: bool = True,
) -> Page:
    """One page of up to PAGE_SIZE cases.

    Unfiltered, that is exactly one Query. A filter is applied after DynamoDB reads, so a
    read can come back short; we read on (at most MAX_QUERIES_PER_PAGE Queries) rather than
    hand the reader an empty page with a cursor. When the reads overshoot, the page is cut
    at PAGE_SIZE and the cursor points at its last item, so nothing is skipped.
    """
    start = decode_cursor(cursor, key_names)
    if start is not None and (
        {"S": hash_value} not in start.values() or not all(v["S"] for v in start.values())
    ):
        # A cursor from another listing (e.g. the yellow list's on the red one): DynamoDB
        # would refuse it with a server error; it is the client's mistake.
        raise invalid_field("cursor", "分页参数无效", "cursor from another listing")
    items: list[dict[str, Any]] = []
    last_key: dict[str, Any] | None = start
    for _ in range(MAX_QUERIES_PER_PAGE):
        results = index.query(
            hash_value,
            scan_index_forward=not newest_first,
            filter_condition=filter_condition,
            last_evaluated_key=last_key,
            page_size=PAGE_SIZE,
        )
        page = next(results.page_iter, None)
        items.extend(page.get("Items", []) if page else [])
        last_key = results.page_iter.last_evaluated_key
        if last_key is None or len(items) >= PAGE_SIZE:
            break
    if len(items) > PAGE_SIZE:
        items = items[:PAGE_SIZE]
        last_key = {name: items[-1][name] for name in key_names}
    cases = [from_model(CaseModel.from_raw_data(item)) for item in items]
    return Page(cases, encode_cursor(last_key))


_BOARD = {
    # filter name → (index, partition attribute); the first filter given picks the index.
    "department": (CaseModel.board_department, CaseModel.pub_department),
    "district": (CaseModel.board_district, CaseModel.pub_district),
    "category": (CaseModel.board_category, CaseModel.pub_category),
    "kind": (CaseModel.board_kind, CaseModel.pub_kind),
    "state": (CaseModel.board_state, CaseModel.pub_state),
}


def board(filters: dict[str, str], cursor: str | None) -> Page:
    """Public cases, newest first, one query per page."""
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
    return _one_page(index, hash_value, keys, cursor=cursor, filter_condition=condition)


def queue(filters: dict[str, str], *, sort: str, bucket: str, cursor: str | None) -> Page:
    """The coordinator's queue: open (or done) cases, newest first or by deadline."""
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
    if sort == "deadline":
        return _one_page(
            CaseModel.queue_due,
            bucket,
            ["case_id", "queue", "due_key"],
            cursor=cursor,
            filter_condition=condition,
            newest_first=False,
        )
    return _one_page(
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
    window = CaseModel.created_key.between(iso(start), f"{iso(end)}~")
    return [
        from_model(m)
        for m in index.query(
            hash_value,
            range_key_condition=window,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit,
            page_size=min(limit, 200),
        )
    ]


def get_many(case_ids: Sequence[str]) -> dict[str, Case]:
    """Cases by id (absent ids are left out): BatchGetItem in chunks of 100."""
    keys = list(dict.fromkeys(case_ids))
    return {m.case_id: from_model(m) for m in CaseModel.batch_get(keys)} if keys else {}
