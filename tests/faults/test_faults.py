"""Faults injected under the platform's own botocore clients (tests/faults/injector.py), on the
four paths that must not lose or double anything: a submission, a transition, the SLA sweep
and the outbox. What each test proves:

- a 201 means stored; a 503 (``unavailable``, in Chinese) means not stored, or stored with
  its answer lost, in which case a retry with the same Idempotency-Key returns that case;
- a transition whose answer was lost is recognised (its own last event is in place) and
  succeeds; if it cannot be told, the client's retry gets a 409, never a second event;
- the sweep writes each (case, clock, rung) once whatever fails; what fails stays due;
- every message is sent (transient provider faults) or dead-lettered and listed for the
  coordinators (rejection); a DynamoDB fault while recording a send costs at most one
  repeat (at least once), never a loss.

Retries inside botocore count as attempts: "times=2" lets the third attempt through, within
PynamoDB's and the adapter's three; "always" outlasts them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.domain.calendar import SHANGHAI
from tests.api.helpers import EMAIL, STAFF, Api, submission
from tests.faults.injector import DYNAMODB_ATTEMPTS, PROVIDER_ATTEMPTS, Injector, naming, on_table

CASES, EVENTS, OUTBOX = "cases", "events", "outbox"


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def stored_cases() -> list[str]:
    from functions.storage.models import CaseModel

    return [m.case_id for m in CaseModel.scan(attributes_to_get=["case_id"])]


def event_types(case_id: str) -> list[str]:
    from functions.storage.models import EventModel

    events = list(EventModel.query(case_id, consistent_read=True))
    seqs = [int(e.seq) for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs  # one event per seq, none missing
    return [e.type for e in events]


def version(case_id: str) -> int:
    from functions.storage.models import CaseModel

    return int(CaseModel.get(case_id, consistent_read=True).version)


def messages(
    case_id: str | None = None, recipient: str | None = None, template: str | None = None
) -> list[Any]:
    from functions.storage import outbox_repo

    return [
        m
        for m in outbox_repo.recent(limit=1000)
        if case_id in (None, m.case_id)
        and recipient in (None, m.recipient)
        and template in (None, m.template)
    ]


def unavailable(answer: Any) -> None:
    assert answer.status == 503, (answer.status, answer.body)
    assert answer.code == "unavailable"
    assert "稍后" in answer.error["message"]


# --- a submission ----------------------------------------------------------------------------


def test_a_submission_throttled_within_the_retries_is_stored_once(
    api: Api, faults: Injector, retry_sleeps: list[float]
) -> None:
    faults.throttle_dynamodb("TransactWriteItems", times=DYNAMODB_ATTEMPTS - 1)
    created = api.ok(api.post("/api/cases", submission()), 201)
    assert stored_cases() == [created["case_id"]]
    assert event_types(created["case_id"]) == ["submitted"]
    assert faults.injected("dynamodb", "TransactWriteItems") == 2
    assert len(retry_sleeps) == 2  # botocore backed off twice before the third attempt


def test_a_submission_the_storage_refuses_answers_503_and_stores_nothing(
    api: Api, faults: Injector
) -> None:
    faults.throttle_dynamodb("TransactWriteItems")
    unavailable(api.post("/api/cases", submission()))
    faults.clear()
    faults.disconnect("dynamodb", "TransactWriteItems")
    unavailable(api.post("/api/cases", submission(), {"Idempotency-Key": "k-unreachable"}))
    assert faults.injected("dynamodb", "TransactWriteItems") == 2 * DYNAMODB_ATTEMPTS
    assert stored_cases() == []
    assert messages() == []  # the acknowledgement went nowhere either: same transaction
    faults.clear()
    # The same key later: a first submission, not a replay of something half-written.
    created = api.ok(
        api.post("/api/cases", submission(), {"Idempotency-Key": "k-unreachable"}), 201
    )
    assert created["replayed"] is False and stored_cases() == [created["case_id"]]


def test_a_submission_whose_answer_is_lost_is_recognised_not_stored_twice(
    api: Api, faults: Injector
) -> None:
    """The write is applied, the answer lost; botocore's retry then fails the condition
    "no such case yet". Without the recognition the service drew a new id: two cases."""
    faults.lose_response("dynamodb", "TransactWriteItems", times=1)
    created = api.ok(api.post("/api/cases", submission()), 201)
    faults.lose_response("dynamodb", "TransactWriteItems")  # every attempt, for good
    again = api.ok(api.post("/api/cases", submission(content="另一件事：路灯不亮。")), 201)
    assert sorted(stored_cases()) == sorted([created["case_id"], again["case_id"]])
    for case_id in (created["case_id"], again["case_id"]):
        assert event_types(case_id) == ["submitted"]
        # One receipt per case (email and SMS), written with it: none for the retried write.
        receipts = messages(case_id, template="received")
        assert sorted(m.channel for m in receipts) == ["email", "sms"]


def test_a_submission_lost_beyond_recognition_is_replayed_by_its_idempotency_key(
    api: Api, faults: Injector
) -> None:
    key = {"Idempotency-Key": "k-lost-for-good"}
    faults.lose_response("dynamodb", "TransactWriteItems")
    faults.throttle_dynamodb("GetItem", table=EVENTS)  # and the check cannot tell
    unavailable(api.post("/api/cases", submission(), key))
    (stored,) = stored_cases()  # applied: the 503 did not say "not stored"
    faults.clear()
    replay = api.ok(api.post("/api/cases", submission(), key), 201)
    assert replay["case_id"] == stored and replay["replayed"] is True
    assert stored_cases() == [stored] and event_types(stored) == ["submitted"]


def test_storage_faults_on_read_paths_answer_503_never_500(api: Api, faults: Injector) -> None:
    created = api.submit()
    case_id = created["case_id"]
    api.accept(case_id)
    faults.throttle_dynamodb("BatchGetItem", table=CASES)  # the case page: case + 附议 shards
    unavailable(api.get(f"/api/cases/{case_id}"))
    faults.clear()
    faults.throttle_dynamodb("GetItem", table=CASES)
    unavailable(
        api.post(f"/api/cases/{case_id}/track", {"tracking_code": created["tracking_code"]})
    )
    faults.clear()
    faults.disconnect("dynamodb", "Query", timeout=True)
    unavailable(api.get("/api/cases"))
    unavailable(api.get("/api/overdue?card=red"))
    assert api.get("/open311/v2/requests.json").status == 503  # in Open311's error shape
    faults.clear()
    assert api.ok(api.get(f"/api/cases/{case_id}"))["case_id"] == case_id


# --- a transition ----------------------------------------------------------------------------


def test_a_transition_whose_answer_is_lost_succeeds_with_its_event_once(
    api: Api, faults: Injector
) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    before = version(case_id)
    faults.lose_response("dynamodb", "TransactWriteItems", times=1)
    api.ok(api.handle_act(link, "sign"))  # 签收
    assert faults.injected() == 1
    assert event_types(case_id).count("signed") == 1
    assert version(case_id) == before + 1


def test_a_refused_transition_changes_nothing_and_a_lost_one_never_gets_a_second_event(
    api: Api, faults: Injector
) -> None:
    case_id = api.submit()["case_id"]
    headers = api.as_role("coordinator")
    accept, body = f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}
    before, events = version(case_id), event_types(case_id)
    # Refused (throttled past the retries): 503, and the case is as it was.
    faults.throttle_dynamodb("TransactWriteItems")
    unavailable(api.post(accept, body, headers))
    assert (version(case_id), event_types(case_id)) == (before, events)
    faults.clear()
    # Applied, its answer lost, and the check cannot tell: 503; the client's retry is a 409.
    faults.lose_response("dynamodb", "TransactWriteItems")
    faults.throttle_dynamodb("GetItem", table=EVENTS)
    unavailable(api.post(accept, body, headers))
    faults.clear()
    retry = api.post(accept, body, headers)
    assert retry.status == 409, retry.body
    assert event_types(case_id).count("accepted") == 1
    assert version(case_id) == before + 1


def test_a_transition_lost_beyond_recognition_is_replayed_by_its_idempotency_key(
    api: Api, faults: Injector
) -> None:
    """As above, but the client sent an Idempotency-Key: its record went in with the
    transition, so the retry answers 200 with the case as it is now (the first request never
    kept an answer), not 409, and adds nothing."""
    case_id = api.submit()["case_id"]
    headers = {**api.as_role("coordinator"), "Idempotency-Key": "accept-lost"}
    accept, body = f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}
    before = version(case_id)
    faults.lose_response("dynamodb", "TransactWriteItems")
    faults.throttle_dynamodb("GetItem", table=EVENTS)
    unavailable(api.post(accept, body, headers))
    faults.clear()
    retry = api.ok(api.post(accept, body, headers))
    assert retry["case_id"] == case_id and retry["state"] == "accepted"
    assert event_types(case_id).count("accepted") == 1
    assert version(case_id) == before + 1
    assert api.ok(api.post(accept, body, headers)) == retry  # kept no answer: the case now


def test_a_sign_in_link_survives_a_lost_answer_and_a_throttled_use(
    api: Api, faults: Injector
) -> None:
    """Using the single-use link is a write: lost, its retry finds the link used, by itself
    (recognised by its nonce); throttled, it is a 503 and the link stays good."""
    first = api.sign_in_token(STAFF["coordinator"])
    faults.lose_response("dynamodb", "UpdateItem", times=1, when=on_table("tokens", "used_by"))
    assert api.ok(api.post("/api/staff/session", {"token": first}))["role"] == "coordinator"
    assert api.post("/api/staff/session", {"token": first}).status == 401  # used, for good
    second = api.sign_in_token(STAFF["coordinator"])
    faults.throttle_dynamodb("UpdateItem", table="tokens")
    unavailable(api.post("/api/staff/session", {"token": second}))
    faults.clear()
    assert api.ok(api.post("/api/staff/session", {"token": second}))["role"] == "coordinator"


# --- the SLA sweep ---------------------------------------------------------------------------


def sweep(api: Api, at: datetime) -> Any:
    api.set_clock(at)
    return api.post("/api/dev/jobs/sla-sweep")


def ladder(case_id: str) -> list[str]:
    return sorted(m.template for m in messages(case_id) if m.template.startswith("sla_"))


def test_a_sweep_whose_write_answer_is_lost_climbs_each_rung_once(
    api: Api, faults: Injector
) -> None:
    case_id = api.assigned_case("dept-1")[0]["case_id"]
    faults.lose_response("dynamodb", "TransactWriteItems", times=1)
    report = api.ok(sweep(api, sh(11, 2, 14, 1)))["result"]
    assert (report["climbed"], report["failed"], report["raced"]) == (1, 0, 0)
    again = api.ok(sweep(api, sh(11, 2, 14, 1)))["result"]
    assert (again["due"], again["climbed"]) == (0, 0)
    assert event_types(case_id).count("reminder") == 1
    assert ladder(case_id) == ["sla_half"]


def test_a_sweep_that_cannot_read_or_write_loses_no_rung_and_sends_none_twice(
    api: Api, faults: Injector
) -> None:
    case_id = api.assigned_case("dept-1")[0]["case_id"]
    # The due index cannot be read: the run fails as a whole (503 on the dev route).
    faults.disconnect("dynamodb", "Query", when=on_table(CASES, "sla-due"))
    unavailable(sweep(api, sh(11, 2, 14, 1)))
    faults.clear()
    # The case cannot be written: counted as failed, it stays due.
    faults.throttle_dynamodb("TransactWriteItems")
    report = api.ok(sweep(api, sh(11, 2, 14, 2)))["result"]
    assert (report["due"], report["failed"], report["climbed"]) == (1, 1, 0)
    assert event_types(case_id).count("reminder") == 0 and ladder(case_id) == []
    faults.clear()
    assert api.ok(sweep(api, sh(11, 2, 14, 3)))["result"]["climbed"] == 1
    assert api.ok(sweep(api, sh(11, 2, 14, 4)))["result"]["due"] == 0
    assert event_types(case_id).count("reminder") == 1
    assert ladder(case_id) == ["sla_half"]


# --- the outbox ------------------------------------------------------------------------------


def deliver(api: Api) -> dict[str, Any]:
    return api.deliver()


ACCEPTED = "accepted"


def accepted_case(api: Api) -> str:
    """A case just accepted: its 已受理 email and SMS to the citizen wait in the outbox (the
    citizen's receipt and the coordinator's sign-in email went out before)."""
    case_id: str = api.submit()["case_id"]
    api.deliver()
    api.accept(case_id)
    return case_id


def test_transient_provider_failures_are_retried_until_sent(api: Api, faults: Injector) -> None:
    case_id = accepted_case(api)
    sms_before = faults.reached("sns", "Publish", "13912345678")
    email, sms = (
        messages(case_id, EMAIL, ACCEPTED)[0],
        next(m for m in messages(case_id, template=ACCEPTED) if m.channel == "sms"),
    )
    # SES throttles twice: the adapter's own retries get it through in this run.
    faults.fail("sesv2", "SendEmail", "TooManyRequestsException", times=PROVIDER_ATTEMPTS - 1)
    # SNS fails for longer than one run: rescheduled (no attempt used), sent by a later run.
    faults.fail("sns", "Publish", "InternalError", status=500, times=PROVIDER_ATTEMPTS + 1)
    report = deliver(api)
    assert report["throttled"] == 1 and report["dead"] == 0
    assert {m.message_id: m.status for m in messages(case_id, template=ACCEPTED)} == {
        email.message_id: "sent",
        sms.message_id: "pending",
    }
    for minutes in (2, 4, 8):  # past the backoff, whatever the jitter drew
        api.advance(timedelta(minutes=minutes))
        deliver(api)
    found = {m.message_id: m for m in messages(case_id)}
    assert found[sms.message_id].status == "sent" and found[sms.message_id].attempts == 1
    assert faults.reached("sesv2", "SendEmail", email.message_id) == 1
    assert faults.reached("sns", "Publish", "13912345678") == sms_before + 1


def test_a_rejected_email_ends_dead_lettered_listed_for_coordinators_and_logged(
    api: Api, faults: Injector, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = accepted_case(api)
    faults.fail("sesv2", "SendEmail", "MessageRejected", when=naming(EMAIL))
    with caplog.at_level(logging.ERROR, logger="wenzheng.outbox"):
        for _ in range(6):  # WZ_OUTBOX_MAX_ATTEMPTS
            deliver(api)
            api.advance(timedelta(hours=1))  # past any backoff (capped at an hour)
    (message,) = messages(case_id, EMAIL, ACCEPTED)
    assert message.status == "dead" and message.attempts == 6
    headers = api.as_role("coordinator")
    listed = api.ok(api.get("/api/staff/outbox?status=dead", headers))["items"]
    (item,) = [i for i in listed if i["message_id"] == message.message_id]
    assert "MessageRejected" in item["last_error"] and item["case_id"] == case_id
    [dead] = [r for r in caplog.records if r.getMessage() == "message_dead_lettered"]
    assert (dead.message_id, dead.case_id) == (message.message_id, case_id)  # type: ignore[attr-defined]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert EMAIL not in logged  # the log names the message, never the address
    assert faults.injected("sesv2", "SendEmail") == 6  # not retried inside botocore


def test_lost_answers_in_the_outbox_cost_at_most_a_duplicate_never_a_loss(
    api: Api, faults: Injector
) -> None:
    case_id = accepted_case(api)
    (pending,) = messages(case_id, EMAIL, ACCEPTED)
    assert pending.status == "pending"
    # SES took the email but its answer was lost: botocore sends it again (the window of
    # at-least-once delivery on the provider's side).
    faults.lose_response("sesv2", "SendEmail", times=1, when=naming(EMAIL))
    # DynamoDB recorded "sent" but its answer was lost: the retried write is the same write.
    faults.lose_response("dynamodb", "UpdateItem", times=1, when=on_table(OUTBOX, '"sent"'))
    report = deliver(api)
    assert (report["unrecorded"], report["failed"]) == (0, 0)
    (after,) = messages(case_id, EMAIL, ACCEPTED)
    assert (after.status, after.attempts) == ("sent", 1)  # recorded once, though written twice
    assert faults.reached("sesv2", "SendEmail", after.message_id) == 2
    deliver(api)
    assert faults.reached("sesv2", "SendEmail", after.message_id) == 2  # and never again


def test_storage_down_while_marking_sent_resends_once_after_the_lease(
    api: Api, faults: Injector, caplog: pytest.LogCaptureFixture
) -> None:
    """The at-least-once window: SES took the email, DynamoDB would not record it. The run
    goes on; the message keeps its lease and is sent again when the lease (2 min) ends."""
    case_id = accepted_case(api)
    throttled = "ProvisionedThroughputExceededException"
    faults.fail("dynamodb", "UpdateItem", throttled, when=on_table(OUTBOX, '"sent"'))
    with caplog.at_level(logging.ERROR, logger="wenzheng.outbox"):
        report = deliver(api)
    assert report["unrecorded"] >= 1 and report["sent"] == 0
    assert "outbox_result_not_recorded" in [r.getMessage() for r in caplog.records]
    faults.clear()
    assert deliver(api)["skipped"] >= 1  # still leased: not sent a second time at once
    (email,) = messages(case_id, EMAIL, ACCEPTED)
    assert faults.reached("sesv2", "SendEmail", email.message_id) == 1
    api.advance(timedelta(minutes=3))
    deliver(api)
    (email,) = messages(case_id, EMAIL, ACCEPTED)
    assert email.status == "sent"
    assert faults.reached("sesv2", "SendEmail", email.message_id) == 2  # at least once: twice
