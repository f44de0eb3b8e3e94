"""Illegal, stale and concurrent transitions (§3): each fails cleanly with 409 and changes
nothing; reading a department link changes nothing (mail scanners open links first, §7)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from functions.storage import case_commit
from tests.api.helpers import Api, reply_body


def snapshot(api: Api, case_id: str) -> tuple[Any, ...]:
    """Everything a transition could touch: the stored version and state, the staff view
    (all events, pending requests, deadlines), every outbox message and the state counters."""
    from functions.storage import cases_repo, outbox_repo

    stored = cases_repo.get(case_id)
    assert stored is not None
    view = api.staff_case(case_id)
    messages = sorted(m.message_id for m in outbox_repo.recent())
    return stored.version, stored.state, view, messages, cases_repo.state_counts()


def refused(api: Api, case_id: str, attempt: Callable[[], Any], status: int = 409) -> Any:
    api.as_role("coordinator")  # sign in first: a sign-in email is not the attempt's doing
    before = snapshot(api, case_id)
    answer = attempt()
    assert answer.status == status, (answer.status, answer.body)
    assert "error" in answer.body
    assert snapshot(api, case_id) == before
    return answer


def test_illegal_transitions_are_409_and_change_nothing(api: Api) -> None:
    created = api.submit()
    case_id, code = created["case_id"], created["tracking_code"]
    accept = {"urgency": "general", "public": True}

    # submitted: nothing but accept/reject.
    refused(api, case_id, lambda: api.act(case_id, "assign", {"lead": "dept-1"}))
    refused(api, case_id, lambda: api.rate(case_id, code, "satisfied"))
    refused(api, case_id, lambda: api.act(case_id, "close", {"note": "直接办结"}))
    api.accept(case_id)
    answer = refused(api, case_id, lambda: api.act(case_id, "accept", accept))
    assert answer.code == "invalid_transition" and "已受理" in answer.error["message"]
    refused(
        api, case_id, lambda: api.act(case_id, "reject", {"reason_code": "spam", "reason": "广告"})
    )

    # assigned: the lead must sign before anything else but a return.
    api.assign(case_id, "dept-1", ["dept-2"])
    link = api.link("dept-1", case_id)
    refused(api, case_id, lambda: api.handle_act(link, "reply", reply_body()))
    refused(
        api,
        case_id,
        lambda: api.handle_act(link, "extension", {"working_days": 2, "reason": "需要时间"}),
    )
    refused(api, case_id, lambda: api.act(case_id, "assign", {"lead": "dept-3"}))
    refused(api, case_id, lambda: api.act(case_id, "extension-decision", {"decision": "approve"}))
    refused(api, case_id, lambda: api.act(case_id, "return-decision", {"decision": "insist"}))

    # in progress: signing twice is stale.
    api.ok(api.handle_act(link, "sign"))
    twice = refused(api, case_id, lambda: api.handle_act(link, "sign"))
    assert twice.code == "invalid_transition"
    refused(api, case_id, lambda: api.rate(case_id, code, "satisfied"))

    # replied: the department is done; the citizen rates once.
    api.ok(api.handle_act(link, "reply", reply_body()))
    refused(api, case_id, lambda: api.handle_act(link, "reply", reply_body()))
    refused(api, case_id, lambda: api.handle_act(link, "return", {"reason": "不是我们的"}))
    api.ok(api.rate(case_id, code, "basically_satisfied"))

    # closed: every further move is refused; the links ended (410).
    for attempt in (
        lambda: api.rate(case_id, code, "satisfied"),
        lambda: api.rate(case_id, code, "unsatisfied"),
        lambda: api.act(case_id, "accept", accept),
        lambda: api.act(case_id, "assign", {"lead": "dept-1"}),
        lambda: api.act(case_id, "close", {"note": "再次办结"}),
    ):
        refused(api, case_id, attempt)
    refused(api, case_id, lambda: api.handle_act(link, "sign"), status=410)
    co = api.link("dept-2", case_id)
    refused(api, case_id, lambda: api.handle_act(co, "input", {"text": "补充意见"}), status=410)


def test_get_handle_never_changes_anything(api: Api) -> None:
    created, lead = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    co = api.link("dept-2", case_id)
    api.as_role("coordinator")
    before = snapshot(api, case_id)
    views = [api.ok(api.handle(link)) for link in (lead, co, lead, co, lead, lead)]
    assert snapshot(api, case_id) == before
    assert views[0] == views[2] == views[4] == views[5]
    assert (
        views[0]["case"]["state"] == "assigned"
        and views[0]["case"]["assignment"]["signed_at"] is None
    )
    assert views[1]["role"] == "co_handler"
    # A GET on an action route (a scanner following a guessed URL) does not act either.
    for action in ("sign", "reply", "extension", "return", "input"):
        answer = api.call("GET", f"/api/handle/{action}", headers=lead.headers)
        assert answer.status == 405, (action, answer.status)
    assert snapshot(api, case_id) == before


def _rate_from(case: Any, rating: str) -> Any:
    from functions.clock import utcnow
    from functions.domain.taxonomy import Rating
    from functions.services.common import deadline_rules
    from tests import transitions as domain

    return domain.rate(
        case, rating=Rating(rating), comment=None, now=utcnow(), rules=deadline_rules()
    )


def _rated_events(api: Api, case_id: str) -> list[dict[str, Any]]:
    return [e for e in api.staff_case(case_id)["events"] if e["type"] == "rated"]


def test_two_ratings_from_the_same_snapshot_one_wins_the_other_conflicts(api: Api) -> None:
    from functions.clock import utcnow
    from functions.domain.errors import Conflict
    from functions.services.common import commit, load

    created, _ = api.replied_case()
    case_id = created["case_id"]
    seen = load(case_id)
    satisfied, unsatisfied = _rate_from(seen, "satisfied"), _rate_from(seen, "unsatisfied")
    commit(satisfied, utcnow())
    with pytest.raises(Conflict) as raised:
        commit(unsatisfied, utcnow())
    assert raised.value.code == "stale_case"
    case = api.staff_case(case_id)
    assert case["state"] == "closed" and case["reopen_count"] == 0
    assert [e["data"]["rating"] for e in _rated_events(api, case_id)] == ["satisfied"]
    templates = [m["template"] for m in api.messages(case_id=case_id)]
    assert (
        "closed" in templates and "reopened" not in templates and "reopened_lead" not in templates
    )
    counts = api.counts()
    assert counts["closed"] == 1 and counts["replied"] == 0 and counts["reopened"] == 0


def test_a_rating_computed_from_a_stale_read_answers_409(api: Api, monkeypatch: Any) -> None:
    """Two citizens' browsers rate the same reply: both requests read the case before either
    wrote. The first write wins; the second is a clean 409 and writes nothing."""
    from functions.storage import cases_repo

    created, _ = api.replied_case()
    case_id, code = created["case_id"], created["tracking_code"]
    stale = cases_repo.get(case_id)
    monkeypatch.setattr(cases_repo, "get", lambda _id: stale)
    first = api.rate(case_id, code, "unsatisfied", "没解决")
    assert first.status == 200 and first.body["state"] == "reopened"
    second = api.rate(case_id, code, "satisfied")
    assert second.status == 409 and second.code == "stale_case"
    monkeypatch.undo()
    mine = api.track(case_id, code)
    assert mine["state"] == "reopened" and mine["reopen_count"] == 1
    assert [e["data"]["rating"] for e in _rated_events(api, case_id)] == ["unsatisfied"]
    assert len(api.messages(case_id=case_id, template="reopened_lead")) == 1


def test_racing_ratings_on_two_threads_exactly_one_wins(api: Api, monkeypatch: Any) -> None:
    """Both requests load the case (a barrier holds each until the other has read it), then
    both commit. moto applies transactions without a lock, so the commits are serialised here
    as DynamoDB serialises writes to one item; the condition on the version decides."""
    from functions.storage import cases_repo

    created, _ = api.replied_case()
    case_id, code = created["case_id"], created["tracking_code"]
    barrier, lock = threading.Barrier(2, timeout=10), threading.Lock()
    read, write = cases_repo.get, case_commit.commit_all  # every commit goes through it

    def get_then_wait(cid: str) -> Any:
        case = read(cid)
        barrier.wait()
        return case

    def commit_one_at_a_time(*args: Any, **kwargs: Any) -> None:
        with lock:
            write(*args, **kwargs)

    monkeypatch.setattr(cases_repo, "get", get_then_wait)
    monkeypatch.setattr(case_commit, "commit_all", commit_one_at_a_time)
    answers: dict[str, Any] = {}

    def rate(rating: str) -> None:
        answers[rating] = api.rate(case_id, code, rating)

    threads = [threading.Thread(target=rate, args=(r,)) for r in ("satisfied", "unsatisfied")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    monkeypatch.undo()
    statuses = sorted(a.status for a in answers.values())
    assert statuses == [200, 409], {r: (a.status, a.body) for r, a in answers.items()}
    winner = next(r for r, a in answers.items() if a.status == 200)
    loser = next(a for a in answers.values() if a.status == 409)
    assert loser.code == "stale_case"
    assert [e["data"]["rating"] for e in _rated_events(api, case_id)] == [winner]
    assert api.track(case_id, code)["state"] == ("closed" if winner == "satisfied" else "reopened")


def test_a_coordinator_acting_on_a_stale_view_gets_409(api: Api, monkeypatch: Any) -> None:
    from functions.services import coordination
    from functions.storage import cases_repo

    created = api.submit()
    case_id = created["case_id"]
    stale = cases_repo.get(case_id)
    api.accept(case_id)
    monkeypatch.setattr(coordination, "load", lambda _id: stale)
    answer = api.act(case_id, "reject", {"reason_code": "spam", "reason": "广告信息"})
    assert answer.status == 409 and answer.code == "stale_case"
    monkeypatch.undo()
    case = api.staff_case(case_id)
    assert case["state"] == "accepted" and "rejected" not in [e["type"] for e in case["events"]]


def test_a_stale_department_action_gets_409(api: Api, monkeypatch: Any) -> None:
    from functions.storage import cases_repo

    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    stale = cases_repo.get(case_id)
    api.ok(api.handle_act(link, "sign"))
    monkeypatch.setattr(cases_repo, "get", lambda _id: stale)
    answer = api.handle_act(link, "return", {"reason": "不属于我局"})
    assert answer.status == 409 and answer.code == "stale_case"
    monkeypatch.undo()
    assert api.staff_case(case_id)["pending"] is None
