"""A unit of work in DynamoDB: one or several cases' transitions persisted as ONE
``TransactWriteItems``: each case conditional on the version and state it was read at, its
sealed events, link tokens, outbox messages, the idempotency record and the counters (the
states', the 亮晒比 cohorts', the dashboard's daily series). A failed condition means someone
else changed a case first: the caller gets ``Conflict`` and nothing was written; an answer lost
in transit is recognised by the last event's hash."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain import dashboard, integrity
from functions.domain.cases import (
    TransitionResult,
    co_handling,
)
from functions.domain.errors import Conflict, Gone, InvalidRequest, Unavailable
from functions.domain.lifecycle import (
    READ_ONLY,
    EventType,
)
from functions.domain.rankings import Cohort
from functions.storage.case_items import event_item, to_model
from functions.storage.idempotency import joining_now
from functions.storage.models import (
    CaseModel,
    CoHandlingModel,
    CohortCaseModel,
    CounterModel,
    DailyCaseModel,
    DailyTallyModel,
    EventModel,
    IdempotencyModel,
    TallyModel,
)


def _connection() -> Connection:
    return CaseModel._get_connection().connection  # type: ignore[no-any-return]


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


def _co_handling(results: Sequence[TransitionResult]) -> tuple[list[Model], list[Model]]:
    """The desk entries of the co-handlers a transition adds (to put) and drops (to delete):
    a case assigned with co-handlers, reassigned to others, closed or merged."""
    added: list[Model] = []
    dropped: list[Model] = []
    for result in results:
        if result.co_handling_was is None:
            continue
        case_id, now = result.case.case_id, co_handling(result.case)
        added += [CoHandlingModel(unit, case_id) for unit in sorted(now - result.co_handling_was)]
        dropped += [CoHandlingModel(unit, case_id) for unit in sorted(result.co_handling_was - now)]
    return added, dropped


def _daily(
    results: Sequence[TransitionResult],
) -> tuple[list[Model], list[tuple[Model, list[Action]]]]:
    """The dashboard's daily series (functions/domain/dashboard.py): each case's entries
    (what a figure drills down to) and the (day, district) tallies, summed over the cases
    (a transaction touches an item once), each attribute added by name."""
    found: list[Model] = []
    totals: dict[dashboard.Place, dict[str, int]] = {}
    for result in results:
        for entry in dashboard.entries(result):
            found.append(
                DailyCaseModel(
                    f"{entry.day}#{entry.family}",
                    entry.case_id,
                    district=entry.district,
                    series=set(entry.series),
                )
            )
        for place, counts in dashboard.deltas(result).items():
            dashboard.add_into(totals.setdefault(place, {}), counts)
    updates: list[tuple[Model, list[Action]]] = [
        (
            DailyTallyModel(day[:7], f"{day}#{district}"),
            [Path([name]).add(n) for name, n in sorted(counts.items())],
        )
        for (day, district), counts in sorted(totals.items())
    ]
    return found, updates


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
    updates: Sequence[tuple[Model, list[Action], Condition]] = (),
) -> None:
    """Persist the transitions of several cases (a merge, a county's dispatch) as ONE
        transaction: every case on the version and state it was read at, their sealed events,
        ``extra`` (messages, link tokens), the idempotency record, the state counters and the
        ranking counters (``tallies`` by case id). A stale case cancels all of them (409
        ``stale_case``); a change too big for one transaction is refused before anything is
        written. ``updates`` are conditional updates of other items that belong to the change (a
    submission's upload slots); one failing cancels everything (409 ``stale_case``). Without an
    explicit ``idempotency`` record, the one an open
        ``idempotency.joining`` holds (a staff or department action's) joins the first commit."""
    if not results or len({r.case.case_id for r in results}) != len(results):
        raise ValueError("a unit of work holds one or more cases, each once")
    joining = joining_now() if idempotency is None else None
    record = joining.record() if joining is not None and not joining.joined else idempotency
    parts = [_sealed(r) for r in results]
    counts = _state_counts(results)
    tally_items = _tally_items(tallies or {})
    desk_added, desk_dropped = _co_handling(results)
    daily_entries, daily_tallies = _daily(results)
    size = (
        len(parts)
        + len(desk_added)
        + len(desk_dropped)
        + sum(len(p.links) for p in parts)
        + len(extra)
        + (record is not None)
        + len(counts)
        + len(tally_items)
        + len(daily_entries)
        + len(daily_tallies)
        + len(updates)
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
                    tx.save(event_item(case_id, link), condition=EventModel.seq.does_not_exist())
            for item in extra:
                tx.save(item)
            for item in desk_added:
                tx.save(item)
            for item in desk_dropped:
                tx.delete(item)
            if record is not None:
                kept, claimed = record  # functions/storage/idempotency.py
                tx.save(kept, condition=claimed)
            for state, n in counts.items():
                tx.update(CounterModel(f"state#{state}"), actions=[CounterModel.n.add(n)])
            for item, adds in tally_items:
                actions = [getattr(type(item), name).add(n) for name, n in adds.items()]
                tx.update(item, actions=actions)
            for item in daily_entries:
                tx.save(item)
            for item, actions in daily_tallies:
                tx.update(item, actions=actions)
            for item, actions, condition in updates:
                tx.update(item, actions=actions, condition=condition)
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
