"""A short mixed load (locust, 10 users for 10 s) against the local stack: board pages, case
pages, 附议, submissions and ratings from distinct client addresses. No request may fail;
the figures are printed. The 60-second, 50-user run is tests/bench/test_load.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load import mixed
from tests.load.stacks import empty_stack, finish

pytestmark = [pytest.mark.stack]

ENDPOINTS = {
    "GET /api/cases",
    "GET /api/cases/{id}",
    "POST /api/cases/{id}/support",
    "POST /api/cases",
}


def test_a_short_mixed_load_runs_without_a_single_failed_request(tmp_path: Path) -> None:
    stack = empty_stack()
    try:
        rows, output = mixed.run(
            stack,
            users=10,
            spawn_rate=10,
            seconds=10,
            published=5,
            replied=5,
            out=tmp_path,
        )
    finally:
        finish(stack)
    print("\n[load smoke] 10 users, 10 s\n" + mixed.table(rows))
    total = rows["Aggregated"]
    assert total.requests > 0 and total.failures == 0, output[-3000:]
    assert set(rows) >= ENDPOINTS, sorted(rows)
    assert {"POST /api/cases/{id}/rating", "POST /api/cases/{id}/track"} & set(rows)
