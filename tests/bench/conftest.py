from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))

# The 50-user load is sized by ``make bench`` (LOAD_USERS); ``make test`` runs the smoke load
# in tests/load/test_load_smoke.py instead, so without the size the module is not collected.
collect_ignore = [] if "LOAD_USERS" in os.environ else ["test_load.py"]


class DynamoCalls:
    """Counts DynamoDB API requests with a botocore ``before-call`` hook on every model's
    client: what a request really costs, independent of timing noise."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.calls[model.name if model is not None else "?"] += 1

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def dynamo_calls(aws: None) -> Iterator[DynamoCalls]:
    from functions.storage.models import ALL_MODELS

    counter = DynamoCalls()
    clients = {id(c): c for c in (m._get_connection().connection.client for m in ALL_MODELS)}
    for client in clients.values():
        client.meta.events.register("before-call.dynamodb", counter)
    yield counter
    for client in clients.values():
        client.meta.events.unregister("before-call.dynamodb", counter)


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="local") as c:
        yield c
