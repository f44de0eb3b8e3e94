"""Mixed load (locust) against the local stack, sized by LOAD_USERS, LOAD_SECONDS,
LOAD_PUBLISHED and LOAD_REPLIED (make bench: 50 users, 60 s). No request may fail; p50, p95,
p99 and requests/s per endpoint are printed for docs/PERFORMANCE.md "Load (locust)".
Latencies are moto's on a 2-core machine, not DynamoDB's."""

from __future__ import annotations

import os

import pytest

from tests.load import mixed
from tests.load.stacks import empty_stack, finish
from tests.localstack import ROOT

# Collected only when ``make bench`` sizes it (tests/bench/conftest.py).
pytestmark = [pytest.mark.stack]

USERS = int(os.environ.get("LOAD_USERS", "20"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "20"))
PUBLISHED = int(os.environ.get("LOAD_PUBLISHED", "20"))
REPLIED = int(os.environ.get("LOAD_REPLIED", "30"))


def test_mixed_load_on_the_local_stack_has_no_failed_request() -> None:
    stack = empty_stack(lighter=False)
    try:
        rows, output = mixed.run(
            stack,
            users=USERS,
            spawn_rate=max(1, USERS // 5),
            seconds=SECONDS,
            published=PUBLISHED,
            replied=REPLIED,
            out=ROOT / "build" / "load",
        )
    finally:
        finish(stack)
    print(f"\n[load] {USERS} users, {SECONDS} s, locust CSV in build/load/\n" + mixed.table(rows))
    total = rows["Aggregated"]
    assert total.requests > 0 and total.failures == 0, output[-3000:]
