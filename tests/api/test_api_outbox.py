"""Dead letters for coordinators (发送失败 + 重新发送) and SES bounce / complaint notifications
handled by the SNS-triggered Lambda, all through the Chalice test client."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from tests.api.helpers import STAFF, T0, Api, dept_email
from tests.unit.test_notify import ses_bounce, ses_complaint


def _dead_sms(api: Api, n: int = 1, case_id: str | None = None) -> str:
    """A citizen SMS that cannot be sent (over one segment): dead-lettered on the next run."""
    from functions.storage import outbox_repo

    m = outbox_repo.new_message(
        channel="sms",
        recipient="+8613912345678",
        subject="",
        body="长" * 71,
        case_id=case_id,
        template="accepted",
        now=T0 - timedelta(hours=1) + timedelta(seconds=n),
    )
    m.save()
    return m.message_id


def _outbox(api: Api, role: str = "coordinator", **params: str) -> Any:
    query = urlencode(params)
    return api.get("/api/staff/outbox" + (f"?{query}" if query else ""), api.as_role(role))


def _invoke(client: Client, message: str) -> Any:
    event = client.events.generate_sns_event(message=message, subject="Amazon SES Notification")
    return client.lambda_.invoke("ses_events", event).payload


def _stored(message_id: str) -> Any:
    from functions.storage import outbox_repo

    found = outbox_repo.get(message_id)
    assert found is not None
    return found


def _assignment_email(api: Api, case_id: str, department_id: str) -> str:
    from functions.storage import outbox_repo

    api.deliver()
    [message] = [
        m
        for m in outbox_repo.recent()
        if m.case_id == case_id and m.recipient == dept_email(department_id)
    ]
    return message.message_id


# --- the dev outbox -------------------------------------------------------------------------------


def test_a_message_sent_after_moving_the_clock_back_is_listed_as_the_newest(api: Api) -> None:
    """Someone tries a date a month back: what is sent then comes after everything sent
    before (the API lists newest last, the page shows newest first), though its platform time
    is earlier."""
    for role in ("coordinator", "auditor"):
        api.ok(api.post("/api/staff/sign-in", {"email": STAFF[role]}), 202)
    api.deliver()
    api.set_clock(T0 - timedelta(days=30))
    api.ok(api.post("/api/staff/sign-in", {"email": STAFF["admin"]}), 202)
    messages = api.outbox()
    assert {m["to"] for m in messages[:2]} == {STAFF["coordinator"], STAFF["auditor"]}
    assert messages[-1]["to"] == STAFF["admin"] and len(messages) == 3
    assert messages[-1]["sent_at"] < messages[0]["sent_at"]  # by the platform clock, the oldest


# --- dead letters --------------------------------------------------------------------------------


def test_coordinators_see_dead_letters_with_sms_numbers_masked(api: Api) -> None:
    created = api.submit()
    dead = _dead_sms(api, case_id=created["case_id"])
    api.deliver()
    page = api.ok(_outbox(api, status="dead"))
    assert page["next_cursor"] is None
    [item] = page["items"]
    assert item == {
        "message_id": dead,
        "channel": "sms",
        "to": "+86139****5678",
        "subject": "",
        "case_id": created["case_id"],
        "template": "accepted",
        "status": "dead",
        "attempts": 1,
        "last_error": "sms: text of 71 characters exceeds the 70-character limit",
        "created_at": "2026-11-02T01:00:01Z",
    }
    assert "13912345678" not in json.dumps(page)
    assert api.ok(_outbox(api, "admin"))["items"] == page["items"]  # status defaults to dead
    assert _outbox(api, "auditor").status == 403
    assert _outbox(api, "operator").status == 403


def test_dead_letters_page_with_a_cursor(api: Api) -> None:
    ids = [_dead_sms(api, n) for n in range(25)]
    api.deliver()
    first = api.ok(_outbox(api))
    second = api.ok(_outbox(api, cursor=first["next_cursor"]))
    assert [i["message_id"] for i in first["items"] + second["items"]] == ids[::-1]
    assert len(first["items"]) == 20 and second["next_cursor"] is None
    bad = _outbox(api, cursor="bm90LWEta2V5")
    assert bad.status == 400 and bad.fields["cursor"]["message"] == "分页参数无效"
    other = _outbox(api, status="sent")
    assert other.status == 400 and other.code == "validation_failed"
    assert other.fields["status"]["message_en"] == "status must be dead"


def test_a_dead_email_is_sent_again_after_a_retry(api: Api, client: Client) -> None:
    from functions.notify import adapter
    from functions.notify.delivery import deliver_due

    # SES refuses every send until the provider is fixed.
    def refuse(**_: Any) -> Any:
        from botocore.awsrequest import AWSResponse, HTTPHeaders

        return AWSResponse("https://ses.test", 400, HTTPHeaders(), None), {
            "Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}
        }

    coordinator, admin = api.as_role("coordinator"), api.as_role("admin")  # signed in first
    events = adapter._client("sesv2").meta.events
    events.register("before-call.sesv2.SendEmail", refuse, unique_id="refuse")
    created = api.submit()
    api.accept(created["case_id"])
    api.assign(created["case_id"], "dept-3")
    now = api.now()
    for _ in range(6):  # the scheduled runs of the next twelve hours
        deliver_due(now)
        now += timedelta(hours=2)
    items = api.ok(api.get("/api/staff/outbox", coordinator))["items"]
    dead = next(i for i in items if i["to"] == dept_email("dept-3"))
    assert dead["attempts"] == 6 and dead["subject"].startswith("【交办】")
    assert dead["last_error"] == "email: MessageRejected: Email address is not verified."

    events.unregister("before-call.sesv2.SendEmail", unique_id="refuse")
    retry = f"/api/staff/outbox/{dead['message_id']}/retry"
    retried = api.ok(api.post(retry, {}, admin))
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    assert dead["message_id"] not in [i["message_id"] for i in api.ok(_outbox(api))["items"]]
    sent = api.messages(case_id=created["case_id"], to=dept_email("dept-3"))
    assert len(sent) == 1 and "handle.html#t=" in sent[0]["body"]
    assert _stored(dead["message_id"]).status == "sent"

    again = api.post(retry, {}, coordinator)
    assert again.status == 409 and again.code == "not_dead"
    assert again.error["message"] == "该消息不在发送失败列表中，无需重新发送"


def test_retrying_an_unknown_message_is_404_and_needs_a_coordinator(api: Api) -> None:
    unknown = api.post("/api/staff/outbox/" + "0" * 32 + "/retry", {}, api.as_role("coordinator"))
    assert unknown.status == 404 and unknown.code == "no_such_message"
    garbage = api.post("/api/staff/outbox/not-an-id/retry", {}, api.as_role("coordinator"))
    assert garbage.status == 404
    dead = _dead_sms(api)
    api.deliver()
    refused = api.post(f"/api/staff/outbox/{dead}/retry", {}, api.as_role("operator"))
    assert refused.status == 403 and _stored(dead).status == "dead"
    assert api.post(f"/api/staff/outbox/{dead}/retry", {}).status == 401


def test_the_outbox_routes_are_in_the_authorisation_table() -> None:
    from functions.api.staff import COORDINATORS, ROUTE_ROLES

    assert ROUTE_ROLES[("GET", "/api/staff/outbox")] == COORDINATORS
    assert ROUTE_ROLES[("POST", "/api/staff/outbox/{message_id}/retry")] == COORDINATORS


# --- SES bounces and complaints ------------------------------------------------------------------


def _alerts(api: Api) -> list[dict[str, Any]]:
    return api.messages(to=STAFF["coordinator"], template="contact_unreachable")


def test_a_permanent_bounce_marks_the_message_the_department_and_alerts_coordinators(
    api: Api, client: Client
) -> None:
    created, _ = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    message_id = _assignment_email(api, case_id, "dept-1")
    before = api.staff_case(case_id)["assignment"]
    assert before["lead"]["unreachable"] is False

    result = _invoke(
        client, ses_bounce(dept_email("dept-1"), message_id=message_id, case_id=case_id)
    )
    assert result["handled"] and result["departments"] == ["dept-1"] and result["alerts"] == 1

    stored = _stored(message_id)
    assert stored.status == "bounced"
    assert stored.last_error.startswith("bounce: Permanent/General: smtp; 550 5.1.1 <<address>>")
    assignment = api.staff_case(case_id)["assignment"]
    assert assignment["lead"] == {
        "id": "dept-1",
        "name": "市住房和城乡建设局",
        "unreachable": True,
        "unreachable_contacts": ["handler"],
    }
    assert [c["unreachable"] for c in assignment["co_handlers"]] == [False]
    [alert] = _alerts(api)
    assert alert["case_id"] == case_id
    assert alert["subject"] == f"【未能送达】市住房和城乡建设局（{case_id}）"
    assert dept_email("dept-1") in alert["body"] and "市住房和城乡建设局（经办人）" in alert["body"]
    assert f"/staff.html?case={case_id}" in alert["body"]
    # Only coordinators are alerted (not admins, operators or auditors).
    assert api.messages(to=STAFF["admin"], template="contact_unreachable") == []

    # SNS delivers at least once: the same notification again alerts nobody twice.
    assert (
        _invoke(client, ses_bounce(dept_email("dept-1"), message_id=message_id, case_id=case_id))[
            "alerts"
        ]
        == 0
    )
    assert len(_alerts(api)) == 1


def test_a_complaint_by_a_spokesperson_marks_that_contact(api: Api, client: Client) -> None:
    from functions.storage import outbox_repo

    created, _ = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    m = outbox_repo.new_message(
        channel="email",
        recipient="dept-2-fyr@dept.example",
        subject="【催办】",
        body="正文",
        case_id=case_id,
        template="ladder",
        now=api.now(),
    )
    m.save()
    api.deliver()
    result = _invoke(
        client, ses_complaint("dept-2-fyr@dept.example", message_id=m.message_id, case_id=case_id)
    )
    assert result["kind"] == "complaint" and result["departments"] == ["dept-2"]
    assert _stored(m.message_id).status == "complained"
    assignment = api.staff_case(case_id)["assignment"]
    assert assignment["lead"]["unreachable"] is False
    [co] = assignment["co_handlers"]
    assert co["unreachable"] is True and co["unreachable_contacts"] == ["spokesperson"]
    [alert] = _alerts(api)
    assert "市交通运输局（新闻发言人）" in alert["body"] and "投诉为垃圾邮件" in alert["body"]


def test_a_corrected_address_is_reachable_again(api: Api, client: Client) -> None:
    from functions.storage import directory
    from tests.conftest import TEST_CITY

    created, _ = api.assigned_case("dept-1")
    _invoke(client, ses_bounce(dept_email("dept-1"), message_id=None, case_id=created["case_id"]))
    assert api.staff_case(created["case_id"])["assignment"]["lead"]["unreachable"] is True
    same = dict(TEST_CITY["departments"][0])
    directory.put_department(same)  # saved again unchanged: the address is still broken
    assert api.staff_case(created["case_id"])["assignment"]["lead"]["unreachable"] is True
    fixed = {**same, "handler": {"name": "新经办人", "email": "new-handler@dept.example"}}
    directory.put_department(fixed)
    assert api.staff_case(created["case_id"])["assignment"]["lead"]["unreachable"] is False


def test_a_citizen_bounce_alerts_with_a_masked_address_and_marks_no_department(
    api: Api, client: Client
) -> None:
    created = api.submit()
    result = _invoke(
        client, ses_bounce("ouyang@example.com", message_id=None, case_id=created["case_id"])
    )
    assert result["departments"] == [] and result["alerts"] == 1
    [alert] = _alerts(api)
    assert "ou***@example.com" in alert["body"] and "ouyang@example.com" not in alert["body"]
    assert "非承办单位联系人" in alert["body"]


def test_transient_bounces_and_other_events_change_nothing(api: Api, client: Client) -> None:
    created, _ = api.assigned_case("dept-1")
    case_id = created["case_id"]
    message_id = _assignment_email(api, case_id, "dept-1")
    transient = ses_bounce(
        dept_email("dept-1"), message_id=message_id, case_id=case_id, bounce_type="Transient"
    )
    assert _invoke(client, transient) == {"handled": False}
    delivery = json.dumps({"eventType": "Delivery", "mail": {"tags": {}}})
    assert _invoke(client, delivery) == {"handled": False}
    assert _stored(message_id).status == "sent"
    assert api.staff_case(case_id)["assignment"]["lead"]["unreachable"] is False
    assert _alerts(api) == []


def test_a_bounced_alert_does_not_start_a_loop(api: Api, client: Client) -> None:
    from functions.storage import outbox_repo

    created, _ = api.assigned_case("dept-1")
    case_id = created["case_id"]
    message_id = _assignment_email(api, case_id, "dept-1")
    _invoke(client, ses_bounce(dept_email("dept-1"), message_id=message_id, case_id=case_id))
    [alert] = [m for m in outbox_repo.recent() if m.template == "contact_unreachable"]
    api.deliver()
    result = _invoke(
        client, ses_bounce(STAFF["coordinator"], message_id=alert.message_id, case_id=case_id)
    )
    assert result["handled"] and result["alerts"] == 0
    assert _stored(alert.message_id).status == "bounced"
    api.deliver()
    assert [m.template for m in outbox_repo.recent()].count("contact_unreachable") == 1
