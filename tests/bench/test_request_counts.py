"""DynamoDB requests per API operation (§5): submit = 1 write request, a board page = 1 query,
a case page at most 2 requests, a 附议 3. Counted, not timed; timings are printed as a ratio
to a bare DynamoDB call measured in the same run (``make bench`` shows them)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from chalice.test import Client

from tests.bench.conftest import ROUNDS, DynamoCalls

JSON = {"Content-Type": "application/json"}
BODY = {
    "kind": "suggestion",
    "category": "transport",
    "district": "city",
    "title": "建议增开夜间公交线路",
    "content": "高新区到火车站晚上九点后没有公交车，建议增开夜间线路。",
    "contact": {"name": "赵一鸣", "phone": "13600001111"},
    "public": True,
}


def _submit(client: Client) -> dict[str, Any]:
    answer = client.http.post("/api/cases", headers=JSON, body=json.dumps(BODY))
    assert answer.status_code == 201
    return json.loads(answer.body)


def _publish(case_id: str) -> None:
    from datetime import datetime

    from functions.domain.cases import Actor
    from functions.domain.lifecycle import Role
    from functions.domain.taxonomy import Urgency
    from functions.services.common import commit, load
    from tests import transitions as domain

    now = datetime.now(UTC)
    coordinator = Actor(Role.COORDINATOR, "coordinator@wenzheng.example")
    commit(
        domain.accept(
            load(case_id),
            coordinator,
            urgency=Urgency.GENERAL,
            category=None,
            approve_public=True,
            now=now,
        ),
        now,
    )


def _median_ms(action: Callable[[], Any]) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _warm(client: Client) -> None:
    client.http.get("/api/taxonomy")  # reference data is cached per process
    client.http.get("/api/departments")  # … the units and county platforms a case is routed by
    client.http.get("/api/cases")  # … the 附议 thresholds the cards state too


def test_submit_is_one_write_request(client: Client, dynamo_calls: DynamoCalls) -> None:
    _warm(client)
    dynamo_calls.reset()
    _submit(client)
    assert dict(dynamo_calls.calls) == {"TransactWriteItems": 1}


def test_board_page_is_one_query_and_one_batch_read_of_its_counts(
    client: Client, dynamo_calls: DynamoCalls
) -> None:
    """A page of the board index, then the 附议 tallies of its cases (one BatchGetItem);
    热议 and the 不满意专区 are one query of their sparse index (and the cases or counts)."""
    for _ in range(3):
        _publish(_submit(client)["case_id"])
    _warm(client)
    dynamo_calls.reset()
    answer = client.http.get("/api/cases")
    assert answer.status_code == 200 and len(json.loads(answer.body)["items"]) == 3
    assert dict(dynamo_calls.calls) == {"Query": 1, "BatchGetItem": 1}
    dynamo_calls.reset()
    assert client.http.get("/api/cases?district=city").status_code == 200
    assert dict(dynamo_calls.calls) == {"Query": 1, "BatchGetItem": 1}
    dynamo_calls.reset()
    assert client.http.get("/api/cases?rating=unsatisfied").status_code == 200
    assert dict(dynamo_calls.calls) == {"Query": 1}  # nothing listed: no counts to read
    dynamo_calls.reset()
    assert client.http.get("/api/cases?sort=supports").status_code == 200
    assert dict(dynamo_calls.calls) == {"Query": 1}  # nothing supported yet: no cases to read


def test_case_page_is_at_most_two_requests_with_its_support_count(
    client: Client, dynamo_calls: DynamoCalls
) -> None:
    """The case with its 附议 shards (one BatchGetItem), then its public timeline (one Query)."""
    case_id = _submit(client)["case_id"]
    _publish(case_id)
    support = client.http.post(f"/api/cases/{case_id}/support", headers=JSON, body="{}")
    assert support.status_code == 200
    _warm(client)
    dynamo_calls.reset()
    answer = client.http.get(f"/api/cases/{case_id}")
    assert answer.status_code == 200 and json.loads(answer.body)["supports"] == 1
    assert dynamo_calls.total <= 2
    assert dict(dynamo_calls.calls) == {"BatchGetItem": 1, "Query": 1}


def test_a_support_is_one_read_one_transaction_and_one_count_query(
    client: Client, dynamo_calls: DynamoCalls
) -> None:
    """附议: read the case, one TransactWriteItems (dedupe mark + one shard's ADD), one Query
    for the new count (with the day counts and the tally); at a new 热议 step (every count up
    to 100) one UpdateItem of the tally, and nothing more below a 附议 threshold."""
    case_id = _submit(client)["case_id"]
    _publish(case_id)
    _warm(client)
    dynamo_calls.reset()
    answer = client.http.post(f"/api/cases/{case_id}/support", headers=JSON, body="{}")
    assert answer.status_code == 200 and json.loads(answer.body)["supports"] == 1
    assert dict(dynamo_calls.calls) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
        "Query": 1,
        "UpdateItem": 1,
    }


def _photo(client: Client) -> str:
    """One upload slot, its object posted and processed as S3's event would have it."""
    import boto3

    from functions.settings import settings
    from tests.photo_files import camera_jpeg

    data = camera_jpeg()
    files = {"files": [{"content_type": "image/jpeg", "size": len(data)}]}
    answer = client.http.post("/api/uploads", headers=JSON, body=json.dumps(files))
    assert answer.status_code == 200, answer.body
    upload_id: str = json.loads(answer.body)["uploads"][0]["upload_id"]
    key = f"uploads/{upload_id}"
    s3 = boto3.client("s3", region_name=settings().region)
    s3.put_object(Bucket=settings().uploads_bucket, Key=key, Body=data)
    event = client.events.generate_s3_event(bucket=settings().uploads_bucket, key=key)
    assert client.lambda_.invoke("process_upload", event).payload == ["processed"]
    return upload_id


def test_submit_with_photos_reads_the_slots_once_and_writes_one_transaction(
    client: Client, dynamo_calls: DynamoCalls
) -> None:
    """The slots are read together (one BatchGetItem) and attached in the case's own
    TransactWriteItems."""
    photos = [_photo(client), _photo(client)]
    _warm(client)
    dynamo_calls.reset()
    answer = client.http.post(
        "/api/cases", headers=JSON, body=json.dumps({**BODY, "photos": photos})
    )
    assert answer.status_code == 201, answer.body
    assert dict(dynamo_calls.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}


def test_case_page_with_photos_costs_no_more_requests(
    client: Client, dynamo_calls: DynamoCalls
) -> None:
    photos = [_photo(client), _photo(client)]
    answer = client.http.post(
        "/api/cases", headers=JSON, body=json.dumps({**BODY, "photos": photos})
    )
    case_id = json.loads(answer.body)["case_id"]
    _publish(case_id)
    _warm(client)
    dynamo_calls.reset()
    page = client.http.get(f"/api/cases/{case_id}")
    assert page.status_code == 200 and len(json.loads(page.body)["photos"]) == 2
    assert dict(dynamo_calls.calls) == {"BatchGetItem": 1, "Query": 1}


def test_case_page_cost_against_a_bare_get_item(client: Client) -> None:
    """Printed, not asserted: the handler's median time over a bare GetItem of the same item."""
    from functions.storage.models import CaseModel

    case_id = _submit(client)["case_id"]
    _publish(case_id)
    _warm(client)
    bare = _median_ms(lambda: CaseModel.get(case_id))
    handler = _median_ms(lambda: client.http.get(f"/api/cases/{case_id}"))
    submit = _median_ms(lambda: _submit(client))
    print(
        f"\n[bench] bare GetItem {bare:.2f} ms; GET /api/cases/{{id}} {handler:.2f} ms "
        f"({handler / bare:.1f}x); POST /api/cases {submit:.2f} ms ({submit / bare:.1f}x); "
        f"moto in-process, {ROUNDS} rounds"
    )
    assert bare > 0 and handler > 0
