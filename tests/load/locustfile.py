"""Mixed load on the public API (locust; run by tests/load/test_load_smoke.py and
tests/bench/test_load.py, never imported by pytest). Every request comes from a different
client address (CloudFront's viewer address, trusted through the origin secret), so the
per-address rate limits see a city of citizens, not one machine.

Environment: LOAD_SEED (JSON from tests/load/seed.py: published case ids and replied cases
with tracking codes), LOAD_SECRET (the stack's WZ_ORIGIN_SECRET).

Tasks, by weight: board pages (with and without filters) 6, case pages 4, 附议 2, new
submissions 1, ratings 1 (each replied case is rated once; when none is left, the task
tracks a case by its code instead, reported under its own name)."""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

SEED: dict[str, Any] = json.loads(os.environ["LOAD_SEED"])
SECRET = os.environ["LOAD_SECRET"]
PUBLISHED: list[str] = SEED["published"]
RATEABLE: list[dict[str, str]] = list(SEED["replied"])
RATED: list[dict[str, str]] = []
CLIENTS = itertools.count(1)
FILTERS = [
    "",
    "?state=accepted",
    "?state=replied",
    "?district=city",
    "?kind=complaint",
    "?category=urban",
]


def _viewer() -> dict[str, str]:
    n = next(CLIENTS)
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": f"{ip}:50000"}


class Citizen(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(6)
    def board(self) -> None:
        self.client.get(f"/api/cases{random.choice(FILTERS)}", name="GET /api/cases")

    @task(4)
    def case_page(self) -> None:
        case_id = random.choice(PUBLISHED)
        self.client.get(f"/api/cases/{case_id}", name="GET /api/cases/{id}")

    @task(2)
    def support(self) -> None:
        case_id = random.choice(PUBLISHED[:3])  # a few hot cases take every support
        self.client.post(
            f"/api/cases/{case_id}/support",
            json={},
            headers=_viewer(),
            name="POST /api/cases/{id}/support",
        )

    @task(1)
    def submit(self) -> None:
        n = next(CLIENTS)
        body = {
            "kind": "suggestion",
            "category": "urban",
            "district": "city",
            "title": f"压测留言 {n}",
            "content": "压测数据：建议在滨河公园增设夜间照明和休息座椅，方便市民晚间散步。",
            "contact": {"name": "压测市民", "phone": f"13{n % 10**9:09d}"},
            "public": True,
        }
        self.client.post("/api/cases", json=body, headers=_viewer(), name="POST /api/cases")

    @task(1)
    def rate(self) -> None:
        if RATEABLE:
            case = RATEABLE.pop()
            RATED.append(case)
            body = {"tracking_code": case["tracking_code"], "rating": "satisfied"}
            name = "POST /api/cases/{id}/rating"
            path = f"/api/cases/{case['case_id']}/rating"
        else:
            case = random.choice(RATED or SEED["replied"])
            body = {"tracking_code": case["tracking_code"]}
            name = "POST /api/cases/{id}/track"
            path = f"/api/cases/{case['case_id']}/track"
        self.client.post(path, json=body, headers=_viewer(), name=name)
