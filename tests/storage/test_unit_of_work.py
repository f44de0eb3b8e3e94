"""A unit of work against moto: the transitions of several cases in one transaction, all or
nothing, with their hash chains whole, their shared counters updated once, a lost answer
recognised; and an action run once per Idempotency-Key, its record written with the
transition."""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.domain.cases import Actor, Case, DepartmentRef, TransitionResult
from functions.domain.errors import Conflict, InvalidRequest, Unavailable
from functions.domain.lifecycle import Role, State
from functions.domain.taxonomy import Urgency
from functions.storage import case_commit
from tests import factories
from tests import transitions as domain
from tests.faults.injector import Injector, platform_clients

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 in Shanghai
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
A, B = "WZ20261102-AAAAAA", "WZ20261102-BBBBBB"


def _submitted(*case_ids: str) -> list[Case]:
    from functions.storage import case_commit

    for case_id in case_ids:
        case_commit.commit(factories.new_case(case_id=case_id, now=T0))
    return [_get(case_id) for case_id in case_ids]


def _get(case_id: str) -> Case:
    from functions.storage import cases_repo

    found = cases_repo.get(case_id)
    assert found is not None
    return found


def _accept(case: Case, urgency: Urgency = Urgency.GENERAL, now: datetime = T0) -> TransitionResult:
    return domain.accept(case, COORD, urgency=urgency, category=None, approve_public=True, now=now)


def _event_types(case_id: str) -> list[str]:
    from functions.storage import cases_repo

    return [str(e.type) for e in cases_repo.timeline(case_id, public_only=False)]


def _chain_is_whole(case_id: str) -> bool:
    from functions.domain import integrity
    from functions.storage import cases_repo

    return integrity.verify(_get(case_id), cases_repo.history(case_id)).valid


def test_two_cases_commit_together_with_both_hash_chains_whole(aws: None) -> None:
    from functions.storage import cases_repo

    a, b = _submitted(A, B)
    case_commit.commit_all([_accept(a), _accept(b, Urgency.COMPLEX)])
    for case_id in (A, B):
        stored = _get(case_id)
        assert (stored.state, stored.version) == (State.ACCEPTED, 2)
        assert _event_types(case_id) == ["submitted", "accepted"]
        assert _chain_is_whole(case_id)
    # Both moved submitted → accepted: each counter item updated once, by the sum.
    assert cases_repo.state_counts() == {"submitted": 0, "accepted": 2}


@pytest.mark.parametrize("stale", [A, B])
def test_a_stale_case_cancels_the_whole_unit_of_work(aws: None, stale: str) -> None:
    from functions.storage import cases_repo

    a, b = _submitted(A, B)
    case_commit.commit(_accept(_get(stale), Urgency.URGENT))  # someone else moved it first
    with pytest.raises(Conflict) as refused:
        case_commit.commit_all([_accept(a), _accept(b)])
    assert refused.value.code == "stale_case"
    fresh = B if stale == A else A
    assert (_get(fresh).state, _get(fresh).version) == (State.SUBMITTED, 1)
    assert _event_types(fresh) == ["submitted"]
    assert _event_types(stale) == ["submitted", "accepted"]
    assert _get(stale).urgency == Urgency.URGENT
    assert cases_repo.state_counts() == {"submitted": 1, "accepted": 1}


def test_cases_assigned_together_add_to_their_shared_cohort_once(aws: None) -> None:
    from functions.services import common
    from functions.storage.models import CohortCaseModel, TallyModel

    a, b = _submitted(A, B)
    lead = DepartmentRef("dept-1", "市住房和城乡建设局")
    common.commit_all([_accept(a), _accept(b)], T0)
    assigned = [
        domain.assign(c, COORD, lead=lead, co_handlers=[], now=T0, rules=common.deadline_rules())
        for c in (_get(A), _get(B))
    ]
    common.commit_all(assigned, T0)
    assert int(TallyModel.get("2026-11", "dept-1").assigned) == 2
    for case_id in (A, B):
        assert int(CohortCaseModel.get("dept-1#2026-11", case_id).assigned) == 1
        assert _event_types(case_id) == ["submitted", "accepted", "assigned"]


def _messages(n: int) -> list[Any]:
    from functions.storage import outbox_repo

    return [
        outbox_repo.new_message(
            channel="email",
            recipient="x@example.com",
            subject="s",
            body="b",
            case_id=A,
            template="received",
            now=T0,
        )
        for _ in range(n)
    ]


def test_a_unit_of_work_over_the_transaction_limit_is_refused_before_writing(aws: None) -> None:
    from functions.storage import cases_repo, outbox_repo

    def two_new(prefix: str) -> list[TransitionResult]:
        return [factories.new_case(case_id=f"WZ20261102-{prefix}{n:05d}", now=T0) for n in (1, 2)]

    # 2 cases + 2 events + 1 counter + the dashboard's 2 intake entries and 1 (day, district)
    # tally + the messages
    case_commit.commit_all(two_new("F"), extra=_messages(case_commit.MAX_ITEMS - 8))
    with pytest.raises(InvalidRequest) as refused:
        case_commit.commit_all(two_new("G"), extra=_messages(case_commit.MAX_ITEMS - 7))
    assert refused.value.code == "too_many_changes"
    assert "101" in refused.value.message and "100" in refused.value.message
    assert set(cases_repo.get_many(["WZ20261102-G00001", "WZ20261102-G00002"])) == set()
    assert len(outbox_repo.recent(limit=1000)) == case_commit.MAX_ITEMS - 8
    assert cases_repo.state_counts()["submitted"] == 2


def test_the_same_case_twice_in_one_unit_of_work_is_refused(aws: None) -> None:

    (a,) = _submitted(A)
    with pytest.raises(ValueError):
        case_commit.commit_all([_accept(a), _accept(a)])
    assert _event_types(A) == ["submitted"]


# --- a lost answer ---------------------------------------------------------------------------


@pytest.fixture
def faults(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Injector]:
    """Faults injected into the platform's botocore clients; backoff recorded, not slept."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda _: None))
    injector = Injector()
    injector.install(platform_clients())
    yield injector
    injector.uninstall()


@pytest.mark.parametrize("times", [1, None], ids=["then-retried", "for-good"])
def test_a_unit_of_work_whose_answer_was_lost_is_recognised_and_in_once(
    faults: Injector, times: int | None
) -> None:
    """Applied with the answer lost: botocore's retry fails the conditions (or every attempt
    is lost); one case's own last event, in place with its hash, says both are in."""
    from functions.storage import cases_repo

    a, b = _submitted(A, B)
    faults.lose_response("dynamodb", "TransactWriteItems", times=times)
    results = [_accept(a), _accept(b)]
    case_commit.commit_all(results)
    faults.clear()
    assert faults.injected("dynamodb", "TransactWriteItems") >= 1
    for result in results:
        case_id = result.case.case_id
        assert _event_types(case_id) == ["submitted", "accepted"]
        assert _get(case_id).version == 2
        assert _get(case_id).head_hash == result.case.head_hash  # the caller's copy sealed
        assert _chain_is_whole(case_id)
    assert cases_repo.state_counts() == {"submitted": 0, "accepted": 2}


def test_a_lost_unit_of_work_that_cannot_be_told_is_unavailable_and_never_in_twice(
    faults: Injector,
) -> None:
    from functions.storage import cases_repo

    a, b = _submitted(A, B)
    faults.lose_response("dynamodb", "TransactWriteItems")
    faults.throttle_dynamodb("GetItem")  # the check cannot read the event back
    with pytest.raises(Unavailable):
        case_commit.commit_all([_accept(a), _accept(b)])
    faults.clear()
    # The same unit of work again (same instant, actor, snapshot): its conditions fail, and
    # its last event, already in place with the very same hash, says it is in.
    case_commit.commit_all([_accept(a), _accept(b)])
    # Another change from the same snapshot is stale.
    with pytest.raises(Conflict):
        case_commit.commit_all([_accept(a, Urgency.URGENT), _accept(b)])
    assert _event_types(A) == _event_types(B) == ["submitted", "accepted"]
    assert _get(A).urgency == Urgency.GENERAL
    assert cases_repo.state_counts() == {"submitted": 0, "accepted": 2}


# --- an action once per Idempotency-Key -----------------------------------------------------


def _accepting(case_id: str, urgency: Urgency = Urgency.GENERAL) -> Any:
    """An action as the API runs it: load, transition, commit, answer with the case."""

    def act() -> dict[str, Any]:
        from functions.services import common

        case = common.commit(_accept(common.load(case_id), urgency), T0)
        return {"case_id": case.case_id, "version": case.version, "urgency": urgency.value}

    return act


def _replay(case_id: str) -> Any:
    return lambda: {"case_id": case_id, "replayed_from": "case"}


def test_an_action_racing_its_own_retry_answers_the_winners_answer(aws: None) -> None:
    """Both requests found no record and read the case before either wrote: the retry
    commits first, the first request finds the case stale, and the record the retry wrote
    with its change makes the retry's answer the first request's too."""
    from functions.services import common

    _submitted(A)
    scope = ("staff", "c@x", A, "accept")
    body = {"urgency": "general", "public": True}
    snapshot = _get(A)
    retry: list[dict[str, Any]] = []

    def first() -> dict[str, Any]:
        retry.append(common.run_once("k", scope, body, _accepting(A), now=T0, replay=_replay(A)))
        later = T0 + timedelta(seconds=1)
        common.commit(_accept(snapshot, now=later), later)  # read before the retry wrote
        raise AssertionError("a stale commit went through")

    answer = common.run_once("k", scope, body, first, now=T0, replay=_replay(A))
    assert answer == retry[0] == {"case_id": A, "version": 2, "urgency": "general"}
    assert _event_types(A) == ["submitted", "accepted"]


def test_an_action_whose_answer_was_not_kept_replays_the_case_as_it_is(aws: None) -> None:
    from functions.services import common
    from functions.storage import idempotency

    _submitted(A)
    scope = ("staff", "c@x", A, "accept")
    body = {"urgency": "general", "public": True}
    # The first request's change goes in with its record; then it fails before the answer.
    with idempotency.joining(
        idempotency.action_key("k", scope), idempotency.request_hash(body), T0
    ):
        _accepting(A)()
    answer = common.run_once("k", scope, body, _accepting(A), now=T0, replay=_replay(A))
    assert answer == {"case_id": A, "replayed_from": "case"}
    assert _event_types(A) == ["submitted", "accepted"]


def test_an_expired_key_is_free_again(aws: None) -> None:
    from functions.services import common
    from functions.storage import idempotency

    _submitted(A, B)
    body = {"urgency": "general", "public": True}
    common.run_once("k", ("s", A), body, _accepting(A), now=T0, replay=_replay(A))
    later = T0 + idempotency.KEEP + timedelta(seconds=1)  # TTL has not deleted it yet
    answer = common.run_once("k", ("s", A), body, _accepting(B), now=later, replay=_replay(B))
    assert answer["case_id"] == B and _event_types(B) == ["submitted", "accepted"]
