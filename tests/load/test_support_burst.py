"""A viral case (§5): 500 concurrent 附议 on ONE case over HTTP against the local stack, from
64 threads, each request from a different client address (CloudFront's viewer address).

The design must not queue on one item: every support succeeds, the count is exactly 500, the
writes are spread over the case's shard items (read straight from the stack's moto), and the
case item is written only by the crossings of the two 附议 thresholds (30 and 100 within 7
days), each once however many supports race over it: one 群众关注 event, one event for the
leader, one e-mail each. Counts and shares are asserted, never times; the run's figures are
printed (docs/PERFORMANCE.md "Burst on one hot case")."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.load.stacks import PREFIX, client_ip, dynamodb, empty_stack, finish, seed, viewer
from tests.localstack import Stack

pytestmark = [pytest.mark.stack]

SUPPORTS = 500
WORKERS = 64
SHARDS = 10  # the default of WZ_SUPPORT_SHARDS


@pytest.fixture(scope="module")
def stack() -> Any:
    running = empty_stack()
    try:
        yield running
    finally:
        finish(running)


def _case_item(stack: Stack, case_id: str) -> dict[str, Any]:
    item = dynamodb(stack).get_item(
        TableName=f"{PREFIX}cases", Key={"case_id": {"S": case_id}}, ConsistentRead=True
    )["Item"]
    return {k: item[k] for k in ("version", "updated_at", "event_count", "head_hash")}


def _event_types(stack: Stack, case_id: str) -> list[str]:
    items = dynamodb(stack).query(
        TableName=f"{PREFIX}events",
        KeyConditionExpression="case_id = :c",
        ExpressionAttributeValues={":c": {"S": case_id}},
        ConsistentRead=True,
    )["Items"]
    return [i["type"]["S"] for i in items]


def _templates(stack: Stack, case_id: str) -> Counter[str]:
    items = dynamodb(stack).scan(TableName=f"{PREFIX}outbox")["Items"]
    return Counter(i["template"]["S"] for i in items if i.get("case_id", {}).get("S") == case_id)


def _shards(stack: Stack, case_id: str) -> dict[int, int]:
    """The shard items' counts (the tally, shard -1, is not one)."""
    items = dynamodb(stack).query(
        TableName=f"{PREFIX}supports",
        KeyConditionExpression="case_id = :c AND shard >= :first",
        ExpressionAttributeValues={":c": {"S": case_id}, ":first": {"N": "0"}},
        ConsistentRead=True,
    )["Items"]
    return {int(i["shard"]["N"]): int(i["n"]["N"]) for i in items}


def test_500_concurrent_supports_on_one_case_all_count_and_spread_over_every_shard(
    stack: Stack,
) -> None:
    case_id = seed(stack, published=1)["published"][0]
    before = _case_item(stack, case_id)
    events_before = _event_types(stack, case_id)

    def support(n: int) -> tuple[int, Any]:
        return stack.call("POST", f"/api/cases/{case_id}/support", {}, viewer(client_ip(n)))

    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        answers = list(pool.map(support, range(SUPPORTS)))
    seconds = time.perf_counter() - started

    statuses = Counter(status for status, _ in answers)
    failures = [line for line in stack.output if "failed" in line or "Error" in line]
    assert statuses == {200: SUPPORTS}, f"{statuses}\n" + "".join(failures[-12:])  # no 503
    assert not [body for _, body in answers if body["already"]], "every client is distinct"
    assert max(body["supports"] for _, body in answers) == SUPPORTS
    status, page = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200 and page["supports"] == SUPPORTS

    shards = _shards(stack, case_id)
    assert sum(shards.values()) == SUPPORTS
    assert set(shards) == set(range(SHARDS)), f"every shard takes writes: {shards}"
    top = max(shards.values()) / SUPPORTS
    # Uniform draws put 50 on each shard on average; 0.2 (100 of 500) is beyond any
    # plausible draw (a binomial tail of about 1e-12), while one hot item would be 1.0.
    assert top <= 0.2, shards
    # Only the threshold crossings wrote the case: each level once, whatever the race.
    added = _event_types(stack, case_id)[len(events_before) :]
    assert sorted(added) == ["attention", "attention_leader"], added
    after = _case_item(stack, case_id)
    assert int(after["version"]["N"]) - int(before["version"]["N"]) in (1, 2), (before, after)
    sent = _templates(stack, case_id)
    assert sent["attention"] == sent["attention_leader"] >= 1, sent  # one per recipient
    log = "".join(stack.output)
    assert "TransactionConflict" not in log and "request_failed" not in log

    # A second round from the same 500 addresses the same day: nothing more is counted.
    with ThreadPoolExecutor(WORKERS) as pool:
        repeats = list(pool.map(support, range(0, SUPPORTS, 10)))
    assert all(s == 200 and b["already"] and b["supports"] == SUPPORTS for s, b in repeats)

    print(
        f"\n[burst] {SUPPORTS} supports on one case, {WORKERS} threads: all 200, count "
        f"{page['supports']}; shards {dict(sorted(shards.items()))}, max share {top:.3f}; "
        f"{SUPPORTS / seconds:.0f} supports/s on the local stack (moto, 2 cores)"
    )
