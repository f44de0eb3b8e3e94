"""The ``hotspots`` job's cost per new case (issue 18 §1): DynamoDB requests of one run over
a batch of new cases, at two batch sizes, in the demo city (9 districts, 12 categories).

A run costs a few requests of its own (the cursor, one Query per queue bucket and page), one
BatchGetItem per 100 places touched, one conditional PutItem per place touched and, where a
term reaches the minimum count, one BatchGetItem of that place's 28 baseline days: bounded by
the places (districts × (categories + 1)), not by the cases, so per case it is constant or
falls with the batch. Never a Scan of the cases table.

``make test`` runs 50 / 200 cases; ``make bench`` (``BENCH_HOTSPOT_SIZES=200,2000``) a bigger
pair, with the figures printed."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

from functions.domain.calendar import SHANGHAI
from tests.bench.conftest import DynamoCalls
from tests.storage.test_hotspots_month import BACKGROUND, PLACES, _submit

SIZES = [int(n) for n in os.environ.get("BENCH_HOTSPOT_SIZES", "50,200").split(",")]
DAY = datetime(2026, 11, 2, tzinfo=SHANGHAI)
MAX_PER_CASE = 3.0  # DynamoDB requests per new case, at any batch size


def _batch(rng: random.Random, start: int, n: int, at: datetime, districts: list[str]) -> None:
    for k in range(n):
        category = rng.choice(sorted(BACKGROUND))
        title, content = rng.choice(BACKGROUND[category])
        p = rng.choice(PLACES)
        when = at + timedelta(seconds=k)
        _submit(
            start + k, when, rng.choice(districts), category, title.format(p=p), content.format(p=p)
        )


def test_the_jobs_requests_per_new_case_do_not_grow_with_the_batch(
    aws: None, dynamo_calls: DynamoCalls
) -> None:
    from functions.services import hotspots
    from infra import bootstrap

    bootstrap.load_city(bootstrap.city())
    districts = [d["code"] for d in bootstrap.city()["districts"]]
    rng = random.Random(7)
    hotspots.run(DAY.astimezone(UTC))  # the cursor exists: each run below reads its batch only
    per_case: list[float] = []
    start, at = 0, DAY + timedelta(hours=8)
    for size in SIZES:
        _batch(rng, start, size, at, districts)
        start += size
        dynamo_calls.reset()
        report = hotspots.run((at + timedelta(seconds=size) + hotspots.SETTLE).astimezone(UTC))
        assert report["cases"] == size
        assert "Scan" not in dynamo_calls.calls
        per_case.append(dynamo_calls.total / size)
        print(
            f"hotspots: {size} new cases, {dynamo_calls.total} requests "
            f"({per_case[-1]:.2f} per case) {dict(dynamo_calls.calls)}"
        )
        at += timedelta(hours=1)
    assert all(p <= MAX_PER_CASE for p in per_case), per_case
    assert per_case[-1] <= per_case[0] * 1.1, per_case  # constant, or falling, per case
