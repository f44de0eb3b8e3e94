"""Retries under the rate limits, over real HTTP with parallel clients (issue 13 §4): requests
that repeat one another must never use up a citizen's limits.

- 50 parallel submissions with one ``Idempotency-Key`` and body make ONE case; none is refused
  with 429 (the key is claimed first, the limits counted once), and a later retry replays the
  first answer with its tracking code.
- 20 parallel ratings with the RIGHT tracking code never answer "too many tracking-code
  attempts": only a wrong code counts as a failure.

Counts are asserted, never times."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.load.stacks import PREFIX, dynamodb, empty_stack, finish, seed
from tests.localstack import Stack

pytestmark = [pytest.mark.stack]

SUBMISSION = {
    "kind": "complaint",
    "category": "urban",
    "district": "city",
    "location": {"address": "翠湖街与解放路交叉口"},
    "title": "翠湖街路灯一周不亮",
    "content": "滨河路与翠湖街交叉口的路灯已经一周不亮，夜里行人很不安全。",
    "contact": {"name": "王小红", "phone": "13800004321", "email": "wang@example.com"},
    "public": True,
}


@pytest.fixture(scope="module")
def stack() -> Any:
    # Limits on, small: a contact may submit 10 a day and a case take 10 wrong codes an hour,
    # as in production; per-IP limits high enough not to be what is measured.
    running = empty_stack(
        WZ_RATE_LIMITS_ENABLED="1",
        WZ_RATE_LIMITS="submit_ip=1000/1h,submit_contact=10/1d,track_ip=1000/1h,track_case=10/1h",
    )
    try:
        yield running
    finally:
        finish(running)


def _cases(stack: Stack) -> int:
    scanned = dynamodb(stack).scan(TableName=f"{PREFIX}cases", Select="COUNT")
    return int(scanned["Count"])


def test_parallel_submissions_with_one_key_make_one_case_and_no_429(stack: Stack) -> None:
    before = _cases(stack)
    key = {"Idempotency-Key": "burst-0001"}

    def post(_: int) -> tuple[int, Any]:
        return stack.call("POST", "/api/cases", SUBMISSION, key)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))
    statuses = Counter(status for status, _ in answers)
    print(f"50 parallel submissions, one key: {dict(statuses)}")
    assert 429 not in statuses, answers
    created = {body["case_id"] for status, body in answers if status == 201}
    assert len(created) == 1, answers
    # Every other answer is the same case replayed, or "still in progress, retry".
    for status, body in answers:
        if status == 409:
            assert body["error"]["code"] == "idempotency_in_progress", body
        else:
            assert status == 201 and body["case_id"] in created, (status, body)
    assert _cases(stack) == before + 1

    # The client that lost its answer retries later: the first answer, tracking code included.
    status, again = stack.call("POST", "/api/cases", SUBMISSION, key)
    assert status == 201 and again["case_id"] in created and again["replayed"] is True
    assert again["tracking_code"]

    # The contact's limit counted one submission: nine more go through, the eleventh does not.
    for n in range(9):
        fresh = {**SUBMISSION, "title": f"翠湖街路灯一周不亮（{n}）"}
        assert stack.call("POST", "/api/cases", fresh)[0] == 201
    status, refused = stack.call("POST", "/api/cases", {**SUBMISSION, "title": "再提交一件诉求"})
    assert status == 429 and refused["error"]["code"] == "rate_limited"
    # ...and even now the retry of the first one still replays.
    status, again = stack.call("POST", "/api/cases", SUBMISSION, key)
    assert status == 201 and again["replayed"] is True


def test_parallel_ratings_with_the_right_code_never_lock_the_case(stack: Stack) -> None:
    [case] = seed(stack, published=0, replied=1)["replied"]
    path = f"/api/cases/{case['case_id']}/rating"
    body = {"tracking_code": case["tracking_code"], "rating": "satisfied"}

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: stack.call("POST", path, body), range(20)))
    statuses = Counter(status for status, _ in answers)
    print(f"20 parallel ratings with the right code: {dict(statuses)}")
    assert 429 not in statuses, answers
    assert statuses[200] == 1  # one rating; the rest find it rated (409) or raced (409)
    assert all(status in (200, 409) for status, _ in answers), answers

    # Right codes counted nothing: ten wrong codes are answered 404, the eleventh is locked.
    wrong = {"tracking_code": "WRONG234", "rating": "satisfied"}
    for _ in range(10):
        assert stack.call("POST", path, wrong)[0] == 404
    status, locked = stack.call("POST", path, wrong)
    assert status == 429 and locked["error"]["code"] == "rate_limited"
