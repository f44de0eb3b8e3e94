"""Staff and department actions with an ``Idempotency-Key``: a retry (same key, same body)
replays the first answer instead of answering 409, and changes nothing more; the key reused
with another body is refused; a key is only ever replayed to the actor who sent it; without
a key an action is as it always was."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import Api, Link, reply_body

ACCEPT = {"urgency": "general", "public": True}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def stored(case_id: str) -> tuple[int, list[str], list[str]]:
    """The case's version, its events' types and its outbox messages (ids)."""
    from functions.storage import cases_repo, outbox_repo

    case = cases_repo.get(case_id)
    assert case is not None
    events = [str(e.type) for e in cases_repo.timeline(case_id, public_only=False)]
    messages = sorted(m.message_id for m in outbox_repo.recent(1000) if m.case_id == case_id)
    return case.version, events, messages


def staff_act(api: Api, case_id: str, action: str, body: Any, headers: dict[str, str]) -> Any:
    return api.post(
        f"/api/staff/cases/{case_id}/{action}", body, {**api.as_role("coordinator"), **headers}
    )


def link_act(api: Api, link: Link, action: str, body: Any, headers: dict[str, str]) -> Any:
    return api.post(f"/api/handle/{action}", body, {**link.headers, **headers})


def test_a_retried_accept_with_its_key_replays_the_first_answer(api: Api) -> None:
    case_id = api.submit()["case_id"]
    first = staff_act(api, case_id, "accept", ACCEPT, key("accept-1"))
    assert first.status == 200, first.body
    after = stored(case_id)
    again = staff_act(api, case_id, "accept", ACCEPT, key("accept-1"))
    assert (again.status, again.body) == (first.status, first.body)
    assert stored(case_id) == after
    assert after[1].count("accepted") == 1


def test_a_retried_assign_replays_and_sends_one_set_of_messages(api: Api) -> None:
    case_id = api.submit()["case_id"]
    api.accept(case_id)
    body = {"lead": "dept-1", "co_handlers": ["dept-2"]}
    first = staff_act(api, case_id, "assign", body, key("assign-1"))
    assert first.status == 200, first.body
    after = stored(case_id)
    for _ in range(2):
        again = staff_act(api, case_id, "assign", body, key("assign-1"))
        assert (again.status, again.body) == (first.status, first.body)
    assert stored(case_id) == after
    assert after[1].count("assigned") == 1
    # One link each for the lead and the co-handler, however often the client asked.
    assert len(api.messages(case_id=case_id, to="dept-1@dept.example")) == 1
    assert len(api.messages(case_id=case_id, to="dept-2@dept.example")) == 1


def test_a_retried_department_reply_replays_the_first_answer(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    signed = link_act(api, link, "sign", {}, key("sign-1"))
    assert signed.status == 200, signed.body
    assert link_act(api, link, "sign", {}, key("sign-1")).body == signed.body
    first = link_act(api, link, "reply", reply_body(), key("reply-1"))
    assert first.status == 200, first.body
    after = stored(case_id)
    again = link_act(api, link, "reply", reply_body(), key("reply-1"))
    assert (again.status, again.body) == (first.status, first.body)
    assert stored(case_id) == after
    assert after[1].count("signed") == after[1].count("replied") == 1


def test_a_key_reused_with_another_body_is_refused_and_changes_nothing(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    api.ok(link_act(api, link, "sign", {}, key("k-1")))
    api.ok(link_act(api, link, "reply", reply_body(), key("k-2")))
    before = stored(case_id)
    other = link_act(api, link, "reply", reply_body(text="另一份答复：已经处理完毕。"), key("k-2"))
    assert (other.status, other.code) == (409, "idempotency_mismatch")
    assert "请求标识" in other.error["message"]
    assert "Idempotency-Key" in other.error["message_en"]
    fresh = api.submit()["case_id"]
    api.ok(staff_act(api, fresh, "accept", ACCEPT, key("k-3")))
    urgent = staff_act(api, fresh, "accept", {**ACCEPT, "urgency": "urgent"}, key("k-3"))
    assert (urgent.status, urgent.code) == (409, "idempotency_mismatch")
    assert stored(case_id) == before
    assert api.staff_case(fresh)["urgency"] == "general"


def test_without_a_key_a_repeated_action_is_refused_as_before(api: Api) -> None:
    case_id = api.submit()["case_id"]
    api.ok(staff_act(api, case_id, "accept", ACCEPT, {}))
    again = staff_act(api, case_id, "accept", ACCEPT, {})
    assert (again.status, again.code) == (409, "invalid_transition")
    _, link = api.assigned_case("dept-1")
    api.ok(link_act(api, link, "sign", {}, {}))
    twice = link_act(api, link, "sign", {}, {})
    assert (twice.status, twice.code) == (409, "invalid_transition")


def test_a_key_used_by_one_coordinator_does_not_replay_for_another(api: Api) -> None:
    from functions.storage import directory

    directory.put_staff("second@wenzheng.example", "coordinator", "总平台值班员 周敏")
    token = api.sign_in_token("second@wenzheng.example")
    opened = api.ok(api.post("/api/staff/session", {"token": token}))
    second = {"Authorization": f"Bearer {opened['session_token']}"}
    case_id = api.submit()["case_id"]
    api.ok(staff_act(api, case_id, "accept", ACCEPT, key("shared")))
    after = stored(case_id)
    path = f"/api/staff/cases/{case_id}/accept"
    theirs = api.post(path, ACCEPT, {**second, **key("shared")})
    assert (theirs.status, theirs.code) == (409, "invalid_transition")  # not the first answer
    assert stored(case_id) == after
    # Nor across cases or actions: the same key is a new request there.
    other = api.submit()["case_id"]
    assert api.ok(staff_act(api, other, "accept", ACCEPT, key("shared")))["case_id"] == other
