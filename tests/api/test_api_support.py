"""附议 ("我也遇到", §5): ``POST /api/cases/{id}/support`` adds one client's voice to a public
case, once per client address, case and Shanghai day. The count is a sharded counter written
in one transaction with the client's dedupe mark; the case item is never written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import Answer, Api

SECRET = "origin-secret-for-support-tests"


@pytest.fixture
def behind_cloudfront(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Trust the viewer address CloudFront names, so one test can speak for many clients."""
    from functions.settings import settings

    monkeypatch.setenv("WZ_ORIGIN_SECRET", SECRET)
    settings.cache_clear()
    yield
    monkeypatch.delenv("WZ_ORIGIN_SECRET", raising=False)
    settings.cache_clear()


def viewer(ip: str) -> dict[str, str]:
    return {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": f"{ip}:52000"}


def support(api: Api, case_id: str, headers: dict[str, str] | None = None) -> Answer:
    return api.post(f"/api/cases/{case_id}/support", {}, headers)


def published(api: Api) -> str:
    case_id: str = api.submit()["case_id"]
    api.accept(case_id)
    return case_id


def stored(case_id: str) -> tuple[int, Any, int]:
    from functions.storage import cases_repo

    case = cases_repo.get(case_id)
    assert case is not None
    return case.version, case.updated_at, case.event_count


def test_a_support_counts_once_and_shows_on_the_case_page(api: Api) -> None:
    case_id = published(api)
    assert api.ok(api.public(case_id))["supports"] == 0
    before = stored(case_id)

    first = api.ok(support(api, case_id))
    assert first == {"case_id": case_id, "supports": 1, "already": False}
    again = api.ok(support(api, case_id))  # the same client, the same day: not an error
    assert again == {"case_id": case_id, "supports": 1, "already": True}

    assert api.ok(api.public(case_id))["supports"] == 1
    assert stored(case_id) == before, "a support never writes the case item"


def test_each_client_address_counts_and_the_writes_land_on_the_cases_shards(
    api: Api, behind_cloudfront: None
) -> None:
    from functions.settings import settings
    from functions.storage import supports_repo

    case_id, other = published(api), published(api)
    for n in range(40):
        answer = api.ok(support(api, case_id, viewer(f"203.0.113.{n + 1}")))
        assert answer["supports"] == n + 1 and answer["already"] is False
    api.ok(support(api, other, viewer("203.0.113.1")))  # another case: its own mark and count

    shards = supports_repo.shard_counts(case_id)
    assert sum(shards.values()) == 40
    assert set(shards) <= set(range(settings().support_shards))
    assert len(shards) > 1, "40 writes drawn at random over 10 shards use more than one"
    assert supports_repo.count(other) == 1
    # An IPv6 viewer and a repeat through a different source port are the same client.
    api.ok(
        support(
            api,
            case_id,
            {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": "[2001:db8::7]:1"},
        )
    )
    repeat = api.ok(
        support(
            api,
            case_id,
            {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": "[2001:db8::7]:2"},
        )
    )
    assert repeat == {"case_id": case_id, "supports": 41, "already": True}


def test_the_same_client_may_support_again_the_next_day_in_shanghai(api: Api) -> None:
    case_id = published(api)
    assert api.ok(support(api, case_id))["supports"] == 1
    api.advance(timedelta(hours=13))  # 23:00 in Shanghai: still the same day
    assert api.ok(support(api, case_id))["already"] is True
    api.advance(timedelta(hours=2))  # 01:00 the next day
    assert api.ok(support(api, case_id)) == {"case_id": case_id, "supports": 2, "already": False}


def test_only_public_cases_take_support(api: Api) -> None:
    submitted = api.submit()["case_id"]  # not accepted yet: not public
    answer = support(api, submitted)
    assert answer.status == 404 and answer.code == "case_not_found"
    assert "未公开" in answer.error["message"]
    private = api.submit(public=False)["case_id"]
    api.accept(private, public=False)
    assert support(api, private).status == 404
    assert support(api, "WZ20261102-NOSUCH").status == 404
    assert support(api, "X" * 80).status == 404


def test_a_closed_case_takes_support_until_it_is_archived(api: Api) -> None:
    created, _ = api.replied_case()
    case_id = created["case_id"]
    api.ok(api.rate(case_id, created["tracking_code"], "satisfied"))
    assert api.ok(support(api, case_id))["supports"] == 1

    api.advance(timedelta(days=31))
    assert api.ok(api.post("/api/dev/jobs/archive"))["result"]["archived"] == 1
    gone = support(api, case_id)
    assert gone.status == 410 and gone.code == "case_archived"
    assert api.ok(api.public(case_id))["supports"] == 1  # the count stays on the record


def test_a_support_takes_an_empty_body_or_an_empty_object_only(api: Api) -> None:
    case_id = published(api)
    empty = api.call("POST", f"/api/cases/{case_id}/support")
    assert empty.status == 200 and empty.body["supports"] == 1
    extra = api.post(f"/api/cases/{case_id}/support", {"count": 100})
    assert extra.status == 400 and extra.code == "validation_failed"
    text = api.call(
        "POST", f"/api/cases/{case_id}/support", raw="x", headers={"Content-Type": "text/plain"}
    )
    assert text.status == 415
