"""附议 counts in DynamoDB (moto): one transaction of mark + shard ADD, a repeat refused by
the mark's condition, the count summed over the case's shards (also when read in one
BatchGetItem with the case), a transaction DynamoDB cancels for a conflict on the shard item
retried on another draw, and keys a BatchGetItem leaves unprocessed asked for again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError

DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=2)


def test_supports_count_once_per_client_and_day_and_sum_over_the_shards(aws: None) -> None:
    from functions.storage import supports_repo
    from functions.storage.models import SupportMarkModel

    for n in range(30):
        added = supports_repo.add("WZ1", f"198.51.100.{n}", DAY, shards=4, expires_at=LATER)
        assert added == supports_repo.Added(n + 1, already=False)
    again = supports_repo.add("WZ1", "198.51.100.0", DAY, shards=4, expires_at=LATER)
    assert again == supports_repo.Added(30, already=True)
    tomorrow = supports_repo.add(
        "WZ1", "198.51.100.0", DAY + timedelta(days=1), shards=4, expires_at=LATER
    )
    assert tomorrow.already is False and tomorrow.count == 31

    shards = supports_repo.shard_counts("WZ1")
    assert set(shards) <= {0, 1, 2, 3} and sum(shards.values()) == 31
    assert supports_repo.count("WZ1") == 31 and supports_repo.count("WZ2") == 0
    marks = list(SupportMarkModel.scan())
    assert len(marks) == 31
    assert all("198.51" not in m.mark and "WZ1" not in m.mark for m in marks)  # only hashes
    assert all(m.expires_at == LATER for m in marks)


class _Conflicted(TransactWriteError):
    @property
    def cancellation_reasons(self) -> list[CancellationReason | None]:
        return [None, CancellationReason(code="TransactionConflict")]


def _conflicting(times: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make DynamoDB cancel the first ``times`` transactions for a conflict on the shard."""
    from pynamodb.transactions import TransactWrite

    attempts: list[int] = []
    original = TransactWrite._commit

    def commit(self: TransactWrite, *args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) <= times:
            raise _Conflicted("Failed to write transaction items")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TransactWrite, "_commit", commit)
    return attempts


def test_a_transaction_conflict_is_retried_on_a_fresh_draw(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.storage import supports_repo

    attempts = _conflicting(2, monkeypatch)
    added = supports_repo.add("WZ1", "198.51.100.1", DAY, shards=10, expires_at=LATER)
    assert added == supports_repo.Added(1, already=False) and len(attempts) == 3


def test_conflicts_on_every_attempt_answer_unavailable_and_count_nothing(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.domain.errors import Unavailable
    from functions.storage import supports_repo

    attempts = _conflicting(supports_repo.ATTEMPTS, monkeypatch)
    with pytest.raises(Unavailable):
        supports_repo.add("WZ1", "198.51.100.1", DAY, shards=10, expires_at=LATER)
    assert len(attempts) == supports_repo.ATTEMPTS
    assert supports_repo.count("WZ1") == 0


def _stored_case(case_id: str) -> None:
    from functions.storage import case_commit
    from tests.factories import new_case

    case_commit.commit(new_case(now=NOW, case_id=case_id, title="小区电梯停运"))


def test_the_case_and_its_count_over_every_shard_come_in_one_batch_read(aws: None) -> None:
    from functions.storage import supports_repo

    _stored_case("WZ1")
    for n in range(30):
        supports_repo.add("WZ1", f"198.51.100.{n}", DAY, shards=10, expires_at=LATER)
    supports_repo.add("WZ2", "198.51.100.1", DAY, shards=10, expires_at=LATER)
    assert len(supports_repo.shard_counts("WZ1")) > 1  # the writes spread, the read sums them

    case, count = supports_repo.case_and_count("WZ1", shards=10)
    assert case is not None and case.case_id == "WZ1" and case.title == "小区电梯停运"
    assert count == 30 == supports_repo.count("WZ1")
    assert supports_repo.case_and_count("WZ2", shards=10) == (None, 1)  # supports, no case
    _stored_case("WZ3")
    unsupported, count = supports_repo.case_and_count("WZ3", shards=10)
    assert unsupported is not None and count == 0


def _throttled(times: int, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make DynamoDB leave every key unprocessed in the first ``times`` BatchGetItem answers
    (as it does when throttled); returns the requests made."""
    from functions.storage import supports_repo

    connection = supports_repo._connection()
    original = type(connection).dispatch
    requests: list[dict[str, Any]] = []

    def dispatch(self: Any, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation != "BatchGetItem":
            return original(self, operation, kwargs)
        requests.append(kwargs["RequestItems"])
        if len(requests) <= times:
            return {"Responses": {}, "UnprocessedKeys": kwargs["RequestItems"]}
        return original(self, operation, kwargs)

    monkeypatch.setattr(type(connection), "dispatch", dispatch)
    monkeypatch.setattr(supports_repo.time, "sleep", lambda _seconds: None)
    return requests


def test_unprocessed_keys_are_asked_for_again(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.storage import supports_repo

    _stored_case("WZ1")
    supports_repo.add("WZ1", "198.51.100.1", DAY, shards=10, expires_at=LATER)
    requests = _throttled(2, monkeypatch)
    case, count = supports_repo.case_and_count("WZ1", shards=10)
    assert case is not None and count == 1
    assert len(requests) == 3 and requests[0] == requests[2]


def test_keys_still_unprocessed_after_the_retries_answer_unavailable(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.domain.errors import Unavailable
    from functions.storage import supports_repo

    _stored_case("WZ1")
    requests = _throttled(len(supports_repo.UNPROCESSED_BACKOFF) + 1, monkeypatch)
    with pytest.raises(Unavailable):
        supports_repo.case_and_count("WZ1", shards=10)
    assert len(requests) == len(supports_repo.UNPROCESSED_BACKOFF) + 1


# -- per-day counts, the tally and the 热议 index ------------------------------------------------


def test_a_support_counts_its_day_and_the_read_back_holds_the_days(aws: None) -> None:
    from functions.domain.support import MAX_WINDOW_DAYS
    from functions.storage import supports_repo
    from functions.storage.models import SupportShardModel

    old = DAY - timedelta(days=MAX_WINDOW_DAYS + 3)
    for n in range(3):
        supports_repo.add("WZ1", f"198.51.100.{n}", old, shards=1, expires_at=LATER)
    yesterday = DAY - timedelta(days=1)
    supports_repo.add("WZ1", "198.51.100.9", yesterday, shards=1, expires_at=LATER)
    added = supports_repo.add("WZ1", "198.51.100.9", DAY, shards=1, expires_at=LATER)
    assert added.count == 5 and added.already is False
    # The day past the longest window was removed by the support of today.
    assert added.days == {yesterday: 1, DAY: 1}
    again = supports_repo.add("WZ1", "198.51.100.9", DAY, shards=1, expires_at=LATER)
    assert again.already and again.days == added.days and again.count == 5
    [shard] = SupportShardModel.query("WZ1")
    assert int(shard.n) == 5  # the total keeps every support


def test_the_tally_moves_up_by_steps_and_never_down(aws: None) -> None:
    from functions.storage import supports_repo

    assert supports_repo.raise_tally("WZ1", 0) is False
    assert supports_repo.raise_tally("WZ1", 3) is True
    assert supports_repo.raise_tally("WZ1", 2) is False  # a slower support read back less
    assert supports_repo.raise_tally("WZ1", 3) is False
    assert supports_repo.raise_tally("WZ1", 117) is True  # stored as its step, 110
    assert supports_repo.tallies(["WZ1", "WZ2"]) == {"WZ1": 110}
    assert supports_repo.raise_tally("WZ1", 119) is False  # the same step
    added = supports_repo.add("WZ1", "198.51.100.1", DAY, shards=4, expires_at=LATER)
    assert added.tally == 110 and added.count == 1  # the tally is not a shard
    assert supports_repo.count("WZ1") == 1 and set(supports_repo.shard_counts("WZ1")) <= {
        0,
        1,
        2,
        3,
    }


def test_the_hot_index_lists_by_tally_most_first_and_pages_with_its_own_cursor(
    aws: None,
) -> None:
    from functions.domain.errors import InvalidRequest
    from functions.storage import supports_repo

    for case_id, total in (("WZA", 5), ("WZB", 250), ("WZC", 40), ("WZD", 40)):
        supports_repo.raise_tally(case_id, total)
    first, cursor = supports_repo.hot_page(None, 3)
    assert first == [("WZB", 250), ("WZD", 40), ("WZC", 40)]
    assert cursor is not None
    rest, cursor = supports_repo.hot_page(cursor, 3)
    assert rest == [("WZA", 5)] and cursor is None
    resumed, _ = supports_repo.hot_page(supports_repo.hot_cursor("WZD", 40), 3)
    assert resumed == [("WZC", 40), ("WZA", 5)]
    for bad in ("not-base64!", "e30=", supports_repo.hot_cursor("WZD", 40)[:-4] + "AAAA"):
        with pytest.raises(InvalidRequest):
            supports_repo.hot_page(bad, 3)
