"""The log lines as they are written (functions/logs.py): one JSON object each, a short event
name plus keys, with the request's id and the case's id; and never a tracking code, a phone
number or any other contact data, even where the flow handles them or an error quotes them
(§8)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.test import Client

from tests.api.helpers import EMAIL, NAME, PHONE, Api


def _lines(written: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in written.getvalue().splitlines()]


def _named(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == message]


def test_a_requests_log_lines_are_json_with_its_request_id_and_case_id(
    api: Api, written: io.StringIO
) -> None:
    created = api.submit()
    case_id = created["case_id"]
    for _ in range(2):
        answer = api.post(f"/api/cases/{case_id}/track", {"tracking_code": "WRONG234"})
        assert answer.status == 404
    first, second = _named(_lines(written), "tracking_code_rejected")
    assert first["case_id"] == case_id and first["logger"] == "wenzheng.security"
    assert (first["route"], first["method"]) == ("/api/cases/{case_id}/track", "POST")
    assert first["level"] == "WARNING" and first["timestamp"].endswith("+00:00")
    assert first["request_id"] and second["request_id"] != first["request_id"]


def test_a_path_that_is_no_case_id_is_not_logged_as_one(api: Api, written: io.StringIO) -> None:
    """A phone number typed where the case id goes never reaches the log."""
    answer = api.post(f"/api/cases/{PHONE}/track", {"tracking_code": "WRONG234"})
    assert answer.status == 404
    [line] = _named(_lines(written), "tracking_code_rejected")
    assert line["case_id"] == "(malformed)" and line["request_id"]
    assert PHONE not in written.getvalue()


def test_no_line_holds_the_tracking_code_or_contact_data_where_the_flow_handles_them(
    api: Api, written: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt SMS carries the tracking code to the citizen's phone; its provider fails
    twice, quoting the number and the text in its errors. The lines name the message, the
    case and the failure's class, never what the errors quoted."""
    from functions.notify import adapter

    created = api.submit()
    case_id, code = created["case_id"], created["tracking_code"]
    failures = iter(
        [
            adapter.DeliveryFailed(f"provider refused {PHONE}"),
            ValueError(f"bad number +86{PHONE} for the text with {code}"),
        ]
    )

    def failing_sms(phone: str, body: str, **_: object) -> str:
        raise next(failures)

    monkeypatch.setattr(adapter, "send_sms", failing_sms)
    api.deliver()
    api.advance(timedelta(hours=2))  # past the backoff
    api.deliver()
    assert api.track(case_id, code)["case_id"] == case_id
    assert api.post(f"/api/cases/{case_id}/track", {"tracking_code": "WRONG234"}).status == 404
    assert api.rate(case_id, "WRONG234", "satisfied").status == 404

    lines = _lines(written)
    [failed] = _named(lines, "delivery_failed")
    [not_sent] = _named(lines, "message_not_sent")
    for line in (failed, not_sent):
        assert (line["case_id"], line["channel"], line["template"]) == (case_id, "sms", "received")
        assert line["job"] == "outbox" and line["route"] == "/api/dev/jobs/{name}"
        assert line["request_id"]
    assert failed["attempt"] == 1
    assert not_sent["error"] == "ValueError" and not_sent["trace"]
    assert len(_named(lines, "tracking_code_rejected")) == 2  # track, rate
    text = written.getvalue()
    leaked = [s for s in (code, PHONE, EMAIL, NAME) if s in text]
    assert not leaked, leaked


def test_a_scheduled_jobs_lines_carry_the_job_and_the_invocations_request_id(
    api: Api, client: Client, written: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import JOBS, schedules
    from functions.services import sweeps
    from functions.storage import cases_repo

    created, _ = api.assigned_case("dept-1")
    case = cases_repo.get(created["case_id"])
    assert case is not None and case.assignment is not None and case.assignment.next_check_at
    api.set_clock(case.assignment.next_check_at + timedelta(minutes=1))

    def storage_trouble(result: Any, now: Any) -> None:
        raise RuntimeError(f"cannot write {result.case.contact.phone}")

    monkeypatch.setattr(sweeps, "commit", storage_trouble)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    handler = getattr(schedules, JOBS["sla-sweep"].handler)
    assert handler(event, SimpleNamespace(aws_request_id="invocation-1"))["failed"] == 1
    [line] = _named(_lines(written), "due_case_not_written")
    assert (line["job"], line["request_id"]) == ("sla-sweep", "invocation-1")
    assert line["case_id"] == created["case_id"] and line["error"] == "RuntimeError"
    assert "route" not in line and PHONE not in written.getvalue()
