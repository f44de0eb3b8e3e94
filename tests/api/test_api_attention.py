"""附议 that counts (§14) through the API: the thresholds an admin sets (GET/PUT
/api/admin/support-thresholds, 400 naming each field), the support that crosses one flagging
the case 群众关注 (an event, the flag in the queue, on the board card and the case page) and
telling the coordinators once, the second telling the lead's leader once, also when two
supports race over a threshold; and the board sorted by supports (热议)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import Answer, Api

SECRET = "origin-secret-for-attention-tests"
THRESHOLDS = "/api/admin/support-thresholds"
LEADER = "dept-1-leader@dept.example"
COORDINATOR = "coordinator@wenzheng.example"


@pytest.fixture
def many_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Trust the viewer address CloudFront names, so one test can speak for many clients."""
    from functions.settings import settings

    monkeypatch.setenv("WZ_ORIGIN_SECRET", SECRET)
    settings.cache_clear()
    yield
    monkeypatch.delenv("WZ_ORIGIN_SECRET", raising=False)
    settings.cache_clear()


_clients = iter(range(1, 10_000))


def support(api: Api, case_id: str) -> Answer:
    """A support from a client never seen before."""
    n = next(_clients)
    headers = {
        "X-Origin-Verify": SECRET,
        "CloudFront-Viewer-Address": f"198.51.{n // 250}.{n % 250 + 1}:40000",
    }
    return api.post(f"/api/cases/{case_id}/support", {}, headers)


def supported(api: Api, case_id: str, times: int) -> int:
    count = 0
    for _ in range(times):
        count = api.ok(support(api, case_id))["supports"]
    return count


def put(api: Api, body: dict[str, Any], role: str = "admin") -> Answer:
    return api.call("PUT", THRESHOLDS, body, api.as_role(role))


def low_thresholds(api: Api) -> None:
    """群众关注 at 3 supports within 7 days, the leader at 5."""
    api.ok(
        put(
            api,
            {"attention": {"supports": 3, "days": 7}, "leader": {"supports": 5, "days": 7}},
        )
    )


def assigned(api: Api) -> str:
    created, _ = api.assigned_case("dept-1")
    case_id: str = created["case_id"]
    return case_id


def mails(api: Api, case_id: str, template: str) -> list[str]:
    return [m["to"] for m in api.messages(case_id=case_id, template=template)]


def stored_version(case_id: str) -> int:
    from functions.storage import cases_repo

    case = cases_repo.get(case_id)
    assert case is not None
    return case.version


# -- the settings ------------------------------------------------------------------------------


def test_coordinators_read_the_default_thresholds_and_only_admins_replace_them(api: Api) -> None:
    shown = api.ok(api.get(THRESHOLDS, api.as_role("coordinator")))
    assert shown["attention"] == {"supports": 30, "days": 7}
    assert shown["leader"] == {"supports": 100, "days": 7}
    assert shown["categories"] == {} and shown["updated_by"] is None
    assert shown["defaults"]["attention"] == shown["attention"]
    assert api.get(THRESHOLDS).status == 401
    assert api.get(THRESHOLDS, api.as_role("operator")).status == 403
    refused = put(api, {}, "coordinator")
    assert refused.status == 403 and refused.code == "forbidden"

    body = {
        "attention": {"supports": 20, "days": 3},
        "leader": {"supports": 80, "days": 7},
        "categories": {"urban": {"attention": {"supports": 10, "days": 2}}},
    }
    written = api.ok(put(api, body))
    assert {k: written[k] for k in body} == body
    assert written["updated_by"] == "admin@wenzheng.example" and written["updated_at"]
    assert api.ok(api.get(THRESHOLDS, api.as_role("admin")))["categories"] == body["categories"]
    # The board states the category's own threshold at once.
    case_id = assigned(api)
    [card] = api.ok(api.get("/api/cases"))["items"]
    assert card["case_id"] == case_id and card["support_threshold"] == {"supports": 10, "days": 2}


def test_bad_thresholds_are_refused_naming_each_field(api: Api) -> None:
    answer = put(
        api,
        {
            "attention": {"supports": 0, "days": 31},
            "leader": {"supports": 10},
            "categories": {"urban": {"attention": {"supports": "many", "days": 1}}},
            "window": 7,
        },
    )
    assert answer.status == 400 and answer.code == "validation_failed"
    assert set(answer.fields) == {
        "attention.supports",
        "attention.days",
        "leader.days",  # missing
        "categories.urban.attention.supports",
        "window",
    }
    assert answer.fields["attention.supports"]["message"] == "附议人数不能小于 1"
    # The rules after the schema: a known category, the leader's above 群众关注.
    answer = put(
        api,
        {
            "attention": {"supports": 50, "days": 7},
            "leader": {"supports": 40, "days": 7},
            "categories": {"nosuch": {"leader": {"supports": 99, "days": 7}}},
        },
    )
    assert answer.status == 400
    assert set(answer.fields) == {"leader.supports", "categories.nosuch"}
    assert all(f["message"] and f["message_en"] for f in answer.fields.values())
    assert api.ok(api.get(THRESHOLDS, api.as_role("admin")))["updated_by"] is None


# -- crossing ----------------------------------------------------------------------------------


def test_crossing_the_threshold_flags_the_case_and_tells_the_coordinators_once(
    api: Api, many_clients: None
) -> None:
    low_thresholds(api)
    case_id = assigned(api)
    before = stored_version(case_id)
    assert supported(api, case_id, 2) == 2
    assert stored_version(case_id) == before, "below the threshold the case is not written"
    assert api.ok(api.public(case_id))["attention"] is None

    assert supported(api, case_id, 1) == 3  # the crossing
    assert stored_version(case_id) == before + 1
    assert mails(api, case_id, "attention") == [COORDINATOR]
    [mail] = api.messages(case_id=case_id, template="attention")
    assert "7 日内已有 3 人附议" in mail["body"] and "群众关注" in mail["subject"]

    assert supported(api, case_id, 1) == 4  # past it: nothing more
    assert mails(api, case_id, "attention") == [COORDINATOR]
    assert stored_version(case_id) == before + 1

    page = api.ok(api.public(case_id))
    assert page["attention"]["level"] == 1 and page["attention"]["label"] == "群众关注"
    assert page["attention"]["supports"] == 3 and page["attention"]["threshold"] == 3
    assert page["supports"] == 4 and page["support_threshold"] == {"supports": 3, "days": 7}
    [event] = [e for e in page["timeline"] if e["type"] == "attention"]
    assert event["label"] == "群众关注" and "7 日内 3 人附议（阈值 3 人）" in event["note"]

    # The second threshold: the lead's leader, the 黄牌 contact, once.
    assert supported(api, case_id, 1) == 5
    assert mails(api, case_id, "attention_leader") == [LEADER]
    [mail] = api.messages(case_id=case_id, template="attention_leader")
    assert "5 人附议" in mail["body"] and "请督促本单位尽快办理" in mail["body"]
    supported(api, case_id, 2)
    assert mails(api, case_id, "attention_leader") == [LEADER]
    assert mails(api, case_id, "attention") == [COORDINATOR]
    assert api.ok(api.public(case_id))["attention"]["level"] == 2


def test_supports_older_than_the_window_do_not_count(api: Api, many_clients: None) -> None:
    low_thresholds(api)
    case_id = assigned(api)
    supported(api, case_id, 2)
    api.advance(timedelta(days=7))  # those two are now 7 days old: out of a 7-day window
    assert supported(api, case_id, 2) == 4
    assert api.ok(api.public(case_id))["attention"] is None
    assert mails(api, case_id, "attention") == []
    assert supported(api, case_id, 1) == 5  # three within the week
    assert api.ok(api.public(case_id))["attention"]["supports"] == 3


def test_the_flag_shows_in_the_queue_filter_and_on_the_board(api: Api, many_clients: None) -> None:
    low_thresholds(api)
    flagged, quiet = assigned(api), assigned(api)
    supported(api, flagged, 3)
    supported(api, quiet, 1)

    queue = api.queue(attention="1")
    assert [c["case_id"] for c in queue["items"]] == [flagged]
    assert queue["items"][0]["attention"]["label"] == "群众关注"
    assert {c["case_id"] for c in api.queue()["items"]} == {flagged, quiet}

    cards = {c["case_id"]: c for c in api.ok(api.get("/api/cases"))["items"]}
    assert cards[flagged]["attention"]["level"] == 1 and cards[quiet]["attention"] is None
    assert (cards[flagged]["supports"], cards[quiet]["supports"]) == (3, 1)
    assert cards[flagged]["supports_rounded"] is False
    assert cards[quiet]["support_threshold"] == {"supports": 3, "days": 7}


def _racing(monkeypatch: pytest.MonkeyPatch, parties: int) -> list[str]:
    """Hold each support between its read-back and its write of the crossing until all
    ``parties`` got there, so each decides on the case as it was before any crossing. moto
    does not serialise transactions as DynamoDB does: a lock gives it that guarantee."""
    from moto.dynamodb.models import DynamoDBBackend

    from functions.services import supports

    barrier = threading.Barrier(parties, timeout=20)
    writes: list[str] = []
    original: Callable[..., Any] = supports.commit
    serial = threading.Lock()
    transact = DynamoDBBackend.transact_write_items

    def held(result: Any, now: Any, *args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        writes.append(result.case.case_id)
        return original(result, now, *args, **kwargs)

    def one_at_a_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        with serial:
            return transact(self, *args, **kwargs)

    monkeypatch.setattr(supports, "commit", held)
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", one_at_a_time)
    return writes


def test_two_supports_racing_over_the_threshold_tell_the_coordinators_once(
    api: Api, many_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    low_thresholds(api)
    case_id = assigned(api)
    supported(api, case_id, 2)
    before = stored_version(case_id)
    writes = _racing(monkeypatch, 2)
    answers: list[Answer] = []
    threads = [
        threading.Thread(target=lambda: answers.append(support(api, case_id))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status for a in answers) == [200, 200]
    counts = sorted(a.body["supports"] for a in answers)
    assert counts[0] >= 3 and counts[1] == 4, counts  # each read back a crossing
    assert writes == [case_id, case_id], "both read the crossing back and tried to write it"
    assert stored_version(case_id) == before + 1, "one write won, the other's condition failed"
    assert mails(api, case_id, "attention") == [COORDINATOR]
    timeline = api.ok(api.public(case_id))["timeline"]
    assert [e["type"] for e in timeline].count("attention") == 1


def test_a_crossing_that_loses_its_conditional_write_reads_the_case_again(
    api: Api, many_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The support decided on a case read before another support's crossing was written:
    its write fails on the case's version, and the fresh read shows the level reached."""
    from functions.storage import cases_repo

    low_thresholds(api)
    case_id = assigned(api)
    supported(api, case_id, 2)
    stale = cases_repo.get(case_id)
    supported(api, case_id, 1)  # the crossing, written
    reads: list[str] = []
    real_get = cases_repo.get

    def first_stale(wanted: str) -> Any:
        reads.append(wanted)
        return stale if len(reads) == 1 else real_get(wanted)

    monkeypatch.setattr(cases_repo, "get", first_stale)
    assert api.ok(support(api, case_id))["supports"] == 4
    assert len(reads) == 2, "the stale read, then the fresh one after the failed write"
    assert mails(api, case_id, "attention") == [COORDINATOR]


def test_a_crossing_storage_refused_is_written_by_the_next_support(
    api: Api, many_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The support is counted whatever happens after it: a crossing DynamoDB refused (here
    the commit answers 503) is logged, the support answers 200, the next one writes it."""
    from functions.domain.errors import Unavailable
    from functions.services import supports

    low_thresholds(api)
    case_id = assigned(api)
    supported(api, case_id, 2)

    real_commit, refusals = supports.commit, [1]

    def refused_once(*args: Any, **kwargs: Any) -> Any:
        if refusals:
            refusals.pop()
            raise Unavailable("服务暂时繁忙，请稍后重试", "storage unavailable", "unavailable")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(supports, "commit", refused_once)
    assert api.ok(support(api, case_id))["supports"] == 3
    assert api.ok(api.public(case_id))["attention"] is None and not refusals
    assert api.ok(support(api, case_id))["supports"] == 4
    assert api.ok(api.public(case_id))["attention"]["supports"] == 4
    assert mails(api, case_id, "attention") == [COORDINATOR]


def test_a_leader_threshold_before_any_department_leads_goes_to_the_coordinators(
    api: Api, many_clients: None
) -> None:
    low_thresholds(api)
    case_id = api.submit()["case_id"]
    api.accept(case_id)
    supported(api, case_id, 5)
    assert mails(api, case_id, "attention") == [COORDINATOR]
    assert mails(api, case_id, "attention_leader") == [COORDINATOR]
    [mail] = api.messages(case_id=case_id, template="attention_leader")
    assert "尚未交办" in mail["body"]


# -- 热议 --------------------------------------------------------------------------------------


def test_the_board_sorts_by_supports_and_shows_the_counts(api: Api, many_clients: None) -> None:
    quiet, loud, middle, none = assigned(api), assigned(api), assigned(api), assigned(api)
    supported(api, quiet, 1)
    supported(api, loud, 6)
    supported(api, middle, 3)

    hot = api.ok(api.get("/api/cases?sort=supports"))
    assert [(c["case_id"], c["supports"]) for c in hot["items"]] == [
        (loud, 6),
        (middle, 3),
        (quiet, 1),
    ]
    assert hot["next_cursor"] is None
    newest = api.ok(api.get("/api/cases?sort=newest"))["items"]
    assert {c["case_id"]: c["supports"] for c in newest} == {none: 0, middle: 3, loud: 6, quiet: 1}
    # The board's filters apply to 热议 too.
    assert api.ok(api.get("/api/cases?sort=supports&state=closed"))["items"] == []
    assigned_only = api.ok(api.get("/api/cases?sort=supports&state=assigned"))["items"]
    assert len(assigned_only) == 3

    bad = api.get("/api/cases?sort=loudest&rating=satisfied")
    assert bad.status == 400 and set(bad.fields) == {"sort", "rating"}
    assert api.get("/api/cases?sort=supports&cursor=bm90LWEta2V5").status == 400


def test_the_hot_list_pages_by_count_and_filters_what_it_read(
    api: Api, many_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.services import supports

    ids = [assigned(api) for _ in range(4)]
    east, _ = api.assigned_case("dept-1", district="east")
    for n, case_id in enumerate([*ids, east["case_id"]], start=1):
        supported(api, case_id, n)
    monkeypatch.setattr(supports, "PAGE_SIZE", 2)
    first = api.ok(api.get("/api/cases?sort=supports"))
    assert [c["case_id"] for c in first["items"]] == [east["case_id"], ids[3]]
    rest = api.ok(api.get(f"/api/cases?sort=supports&cursor={first['next_cursor']}"))
    assert [c["case_id"] for c in rest["items"]] == [ids[2], ids[1]]
    # A filter reads past what it drops; the cursor goes on after the last card kept.
    city = api.ok(api.get("/api/cases?sort=supports&district=city"))
    assert [c["case_id"] for c in city["items"]] == [ids[3], ids[2]]
    more = api.ok(api.get(f"/api/cases?sort=supports&district=city&cursor={city['next_cursor']}"))
    assert [c["case_id"] for c in more["items"]] == [ids[1], ids[0]]
