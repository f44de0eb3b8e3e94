"""The SLA sweep's cost follows what is due, not the table (§6): the same 100 due cases among
10,000 and among 100,000 open cases.

Counted: the DynamoDB requests, the items they read and write. Timed: the sweep, the part of
it spent outside DynamoDB calls, and as the baseline a bare query of the same sparse index
at the same table size, in the same run. moto answers a GSI query by walking every item of
the table (DynamoDB reads only the index's matching range), so on moto the bare query itself
grows with the table; the sweep's own work must not.

``make test`` runs a small instance (500 / 5,000, one round) for the counts; ``make bench``
(``BENCH_SWEEP_SIZES=10000,100000``, ``BENCH_SWEEP_ROUNDS=2``) the real one, with the figures
printed.
"""

from __future__ import annotations

import copy
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
from botocore.awsrequest import AWSResponse

from functions.domain.calendar import SHANGHAI

SIZES = [int(n) for n in os.environ.get("BENCH_SWEEP_SIZES", "500,5000").split(",")]
DUE = int(os.environ.get("BENCH_SWEEP_DUE", "100"))
ROUNDS = int(os.environ.get("BENCH_SWEEP_ROUNDS", "1"))
NOW = datetime(2026, 11, 2, 16, 0, tzinfo=SHANGHAI)  # Mon; assigned 10:00, half due 14:00


class Requests:
    """A botocore hook pair on every model's client: requests per operation, items returned,
    items written, and the time spent inside DynamoDB calls.

    Transactions are counted (with their items) and answered here instead of by moto: moto
    executes ``TransactWriteItems`` by deep-copying every table for its rollback, so on moto
    one transaction costs O(table), several seconds at 100,000 items, where DynamoDB's cost
    is O(items in the transaction). The API tests run the very same transactions for real."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items_read = 0
        self.items_written = 0
        self.in_dynamodb = 0.0
        self.scanned: list[str] = []  # tables scanned: reference data only, never cases
        self.measured: list[Any] = []  # the clients the hooks are on
        self._started = 0.0
        self._table = ""

    def reset(self) -> None:
        self.requests.clear()
        self.items_read = self.items_written = 0
        self.in_dynamodb = 0.0

    def before(self, model: Any = None, params: Any = None, **_: Any) -> Any:
        self._started = time.perf_counter()
        self._table = str(json.loads(params["body"] or "{}").get("TableName", "?"))
        if model is not None and model.name == "TransactWriteItems":
            self.items_written += len(json.loads(params["body"])["TransactItems"])
            return AWSResponse("http://dynamodb.local", 200, {}, None), {}
        return None

    def after(self, model: Any = None, parsed: Any = None, **_: Any) -> None:
        self.in_dynamodb += time.perf_counter() - self._started
        name = model.name if model is not None else "?"
        self.requests[name] += 1
        if name == "Scan":
            self.scanned.append(self._table)
        if name == "Query":
            self.items_read += int(parsed.get("Count", 0))
        elif name == "GetItem" and parsed.get("Item"):
            self.items_read += 1


@pytest.fixture
def requests(aws: None) -> Iterator[Requests]:

    hooks = Requests()
    yield hooks  # populate first, then measure with ``measuring``
    unmeasuring(hooks)


def measuring(hooks: Requests) -> None:
    from functions.storage.models import ALL_MODELS

    clients = {id(c): c for c in (m._get_connection().connection.client for m in ALL_MODELS)}
    for client in clients.values():
        client.meta.events.register("before-call.dynamodb", hooks.before)
        client.meta.events.register("after-call.dynamodb", hooks.after)
    hooks.measured = list(clients.values())


def unmeasuring(hooks: Requests) -> None:
    """Take the hooks off the clients ``measuring`` put them on, once (botocore fails on
    taking a handler off a client a second time)."""
    for client in hooks.measured:
        client.meta.events.unregister("before-call.dynamodb", hooks.before)
        client.meta.events.unregister("after-call.dynamodb", hooks.after)
    hooks.measured = []


def _template() -> Any:
    """One case assigned Mon 10:00 to dept-1, built by the real domain functions."""
    from functions.domain.cases import Actor, Contact, DepartmentRef
    from functions.domain.lifecycle import Role
    from functions.services.common import deadline_rules
    from tests import factories

    at = NOW.replace(hour=10)
    coordinator = Actor(Role.COORDINATOR, "coordinator@wenzheng.example")
    case = factories.new_case(
        case_id="WZ20261102-BENCH0",
        title="路灯不亮",
        content="解放路路灯一周没亮。",
        contact=Contact("李四", "+8613800000002", None),
        now=at,
    ).case
    return factories.accept_and_assign(
        case,
        coordinator,
        lead=DepartmentRef("dept-1", "市住房和城乡建设局"),
        now=at,
        rules=deadline_rules(),
    ).case


def _put(template: Any, numbers: range, *, due: bool) -> None:
    """The due cases through the API (``batch_write``); the others, which the sweep must never
    read, straight into moto's table (tests/quick_moto.py ``put_straight``)."""
    from functions.storage import case_items
    from functions.storage.models import CaseModel
    from tests.quick_moto import put_straight

    def items() -> Iterator[Any]:
        for n in numbers:
            case = copy.deepcopy(template)
            case.case_id = f"WZ20261102-{n:06d}"
            case.assignment.next_check_at = (
                NOW - timedelta(hours=2) if due else NOW + timedelta(days=30)
            )
            yield case_items.to_model(case)

    if due:
        with CaseModel.batch_write() as batch:
            for model in items():
                batch.save(model)
    else:
        put_straight(CaseModel.Meta.table_name, (model.serialize() for model in items()))


def _bare_query() -> int:
    from functions.storage import cases_repo

    return len(cases_repo.sla_due(NOW))


def test_sweep_reads_what_is_due_not_the_table(requests: Requests) -> None:
    from functions.services.sla import sweep
    from functions.storage.models import CaseModel

    template = _template()
    _put(template, range(DUE), due=True)
    figures: dict[int, dict[str, float]] = {}
    for size in SIZES:
        unmeasuring(requests)
        _put(template, range(max(DUE, CaseModel.count()), size), due=False)
        assert CaseModel.count() == size
        # In-process moto keeps the whole table in this interpreter's heap; freeze it so the
        # garbage collector does not rescan it during the measurement (a cost DynamoDB's
        # storage never puts on a Lambda).
        gc.collect()
        gc.freeze()
        measuring(requests)
        sweep_s: list[float] = []
        ours_s: list[float] = []
        bare_s: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            assert _bare_query() == DUE
            bare_s.append(time.perf_counter() - started)
            requests.reset()
            started = time.perf_counter()
            report = sweep(NOW)
            sweep_s.append(time.perf_counter() - started)
            ours_s.append(sweep_s[-1] - requests.in_dynamodb)
            assert (report.due, report.climbed, report.rungs) == (DUE, DUE, DUE)
        # The directory's per-process cache may reload the 30 departments; cases: never.
        assert not [t for t in requests.scanned if t.endswith("cases")], requests.scanned
        figures[size] = {
            "read": requests.items_read,
            "written": requests.items_written,
            "queries": requests.requests["Query"],
            "gets": requests.requests["GetItem"],
            "transactions": requests.requests["TransactWriteItems"],
            "sweep": statistics.median(sweep_s),
            "ours": statistics.median(ours_s),
            "bare": statistics.median(bare_s),
        }
    gc.unfreeze()
    small, large = (figures[n] for n in SIZES)
    # Deterministic: the same requests, the same items read and written at both sizes.
    for key in ("read", "written", "queries", "gets", "transactions"):
        assert small[key] == large[key], (key, small, large)
    a, b = SIZES
    print(f"\nSLA sweep: {DUE} due among {a:,} and among {b:,} open cases")
    for n, f in figures.items():
        print(
            f"  {n:>7,}: {f['queries']:.0f} queries + {f['gets']:.0f} gets read "
            f"{f['read']:.0f} items; {f['transactions']:.0f} transactions write "
            f"{f['written']:.0f} items; sweep = {f['sweep'] / f['bare']:.2f}× a bare query "
            f"of the index at this size"
        )
    print(f"  items read {b:,}/{a:,}: {large['read'] / small['read']:.2f}")
    print(f"  sweep time outside DynamoDB {b:,}/{a:,}: {large['ours'] / small['ours']:.2f}")
    print(
        f"  sweep time incl. moto {b:,}/{a:,}: {large['sweep'] / small['sweep']:.2f} "
        f"(moto's bare index query alone: {large['bare'] / small['bare']:.2f})"
    )
