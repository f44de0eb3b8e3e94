"""One case through every state of §3 over HTTP, and the side paths: rejection, a return the
coordinator refuses ("insist"), a refused extension, the rating window, and the escalation to
the coordinator after two reopens; the coordinator's queue (counts, deadline order)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.helpers import (
    EMAIL,
    PHONE,
    T0,
    Api,
    dept_email,
    event_types,
    reply_body,
)

CITIZEN_PHONE = f"+86{PHONE}"


def _templates(api: Api, case_id: str, to: str) -> list[str]:
    return [m["template"] for m in api.messages(case_id=case_id, to=to)]


def _citizen_got(api: Api, case_id: str, template: str) -> None:
    """The citizen got the message by email and by SMS (an SMS fits 70 characters)."""
    sent = [m for m in api.messages(case_id=case_id) if m["template"] == template]
    channels = {(m["channel"], m["to"]) for m in sent}
    assert ("email", EMAIL) in channels and ("sms", CITIZEN_PHONE) in channels, sent
    assert all(len(m["body"]) <= 70 for m in sent if m["channel"] == "sms")


def test_one_case_walks_through_every_state_to_closure(api: Api) -> None:
    # 反映: the citizen submits.
    created = api.submit()
    case_id, code = created["case_id"], created["tracking_code"]
    assert created["state"] == "submitted" and created["state_label"] == "待受理"
    mine = api.track(case_id, code)
    assert mine["state"] == "submitted" and mine["reply_due_at"] is None
    assert mine["lead"] is None and mine["response_due_at"] is None
    assert api.public(case_id).status == 404  # nothing is public before acceptance

    # 受理.
    case = api.accept(case_id, "general", public=True)
    assert case["state"] == "accepted" and case["urgency"] == "general"
    assert case["actions"] == ["assign", "merge", "public-version"]
    assert case["reply_due_at"] is None  # no clock runs before assignment
    _citizen_got(api, case_id, "accepted")

    # 交办: lead + co-handler; both clocks start (Mon 10:00 → sign by Tue 10:00, reply by
    # the 5th working day, Mon 2026-11-09 23:59:59 Shanghai).
    case = api.assign(case_id, "dept-1", ["dept-2"])
    assert case["state"] == "assigned"
    assert case["response_due_at"] == "2026-11-03T02:00:00Z"
    assert case["reply_due_at"] == "2026-11-09T15:59:59Z"
    assert case["lead"] == {"id": "dept-1", "name": "市住房和城乡建设局"}
    assert case["co_handlers"] == [{"id": "dept-2", "name": "市交通运输局"}]
    assert case["assignment"]["no"] == 1
    lead_mail = api.messages(case_id=case_id, to=dept_email("dept-1"), template="assigned_lead")
    assert len(lead_mail) == 1 and "/handle.html#t=" in lead_mail[0]["body"]
    assert "答复时限" in lead_mail[0]["body"]
    co_mail = api.messages(case_id=case_id, to=dept_email("dept-2"), template="assigned_co_handler")
    assert len(co_mail) == 1 and "/handle.html#t=" in co_mail[0]["body"]
    first_lead, co = api.link("dept-1", case_id), api.link("dept-2", case_id)
    public = api.ok(api.public(case_id))
    assert public["state"] == "assigned" and public["reply_due_at"] == "2026-11-09T15:59:59Z"

    # 协办: the co-handler gives its input through its own link; the lead is told.
    view = api.ok(api.handle(co))
    assert view["role"] == "co_handler" and view["actions"] == ["input"]
    assert view["case"]["contact"]["phone"] == CITIZEN_PHONE  # departments see the contact
    view = api.ok(api.handle_act(co, "input", {"text": "公交站台迁移需我局配合，已安排。"}))
    assert view["actions"] == []
    assert view["case"]["assignment"]["co_handlers"][0]["input"].startswith("公交站台")
    assert "co_input" in _templates(api, case_id, dept_email("dept-1"))

    # 退回: the lead says it is not theirs; the coordinator reassigns to dept-3.
    view = api.ok(api.handle(first_lead))
    assert view["role"] == "lead" and view["actions"] == ["sign", "return"]
    view = api.ok(api.handle_act(first_lead, "return", {"reason": "电梯维保属市场监管范围"}))
    assert view["case"]["pending"]["type"] == "return"
    assert view["case"]["state"] == "assigned" and view["actions"] == ["sign"]
    waiting = api.queue(pending="return")["items"]
    assert [c["case_id"] for c in waiting] == [case_id] and waiting[0]["pending"] == "return"
    assert api.staff_case(case_id)["actions"] == ["return-decision", "public-version"]
    case = api.ok(
        api.act(
            case_id,
            "return-decision",
            {"decision": "reassign", "lead": "dept-3", "co_handlers": [], "note": "改由城管局办理"},
        )
    )
    assert case["state"] == "assigned" and case["lead"]["id"] == "dept-3"
    assert case["pending"] is None and case["assignment"]["no"] == 2
    assert case["co_handlers"] == []
    assert api.handle(first_lead).status == 410  # the old assignment ended: its links too
    assert api.handle(co).status == 410
    lead = api.link("dept-3", case_id)

    # 签收.
    view = api.ok(api.handle_act(lead, "sign"))
    assert view["case"]["state"] == "in_progress" and view["department"]["id"] == "dept-3"
    assert view["actions"] == ["reply", "request-info", "extension", "return"]

    # 延期: asked for 3 working days, approved: Mon 11-09 → Thu 11-12.
    view = api.ok(
        api.handle_act(lead, "extension", {"working_days": 3, "reason": "需协调维保单位更换主板"})
    )
    assert view["case"]["pending"]["type"] == "extension"
    assert view["case"]["pending"]["working_days"] == 3
    assert view["case"]["reply_due_at"] == "2026-11-09T15:59:59Z"
    case = api.ok(api.act(case_id, "extension-decision", {"decision": "approve", "note": "同意"}))
    assert case["reply_due_at"] == "2026-11-12T15:59:59Z"
    assert case["pending"] is None and case["extensions_used"] == 1
    assert "extension_approved" in _templates(api, case_id, dept_email("dept-3"))
    assert "extension" not in api.ok(api.handle(lead))["actions"]  # once by default

    # 答复 (列入计划): the planned date is a public promise.
    api.set_clock(T0 + timedelta(days=2))
    view = api.ok(api.handle_act(lead, "reply", reply_body("scheduled", planned_date="2026-12-15")))
    assert view["case"]["state"] == "replied" and view["actions"] == []
    _citizen_got(api, case_id, "replied")
    mine = api.track(case_id, code)
    assert mine["can_rate"] and mine["rating_window_ends_at"] == "2026-11-11T02:00:00Z"
    assert mine["replies"][0]["planned_date"] == "2026-12-15"
    assert mine["replies"][0]["outcome_label"] == "列入计划"

    # 不满意 → 重办 to the same lead, with a fresh link; the old link answers 410.
    api.set_clock(T0 + timedelta(days=3))
    mine = api.ok(api.rate(case_id, code, "unsatisfied", "电梯仍未修好"))
    assert mine["state"] == "reopened" and mine["reopen_count"] == 1
    assert mine["lead"]["id"] == "dept-3" and not mine["can_rate"]
    assert "重新办理" in mine["next_step"]
    assert mine["reply_due_at"] == "2026-11-12T15:59:59Z"  # Thu 11-05 + 5 working days
    _citizen_got(api, case_id, "reopened")
    reopened = api.messages(case_id=case_id, to=dept_email("dept-3"), template="reopened_lead")
    assert len(reopened) == 1 and "/handle.html#t=" in reopened[0]["body"]
    gone = api.handle(lead)
    assert gone.status == 410 and gone.code == "assignment_ended"
    assert api.handle_act(lead, "reply", reply_body()).status == 410
    again = api.link("dept-3", case_id)
    assert again.token != lead.token
    view = api.ok(api.handle(again))
    assert view["role"] == "lead" and view["case"]["state"] == "reopened"
    assert "reply" in view["actions"] and "sign" not in view["actions"]

    # The second reply, rated satisfied → 办结.
    view = api.ok(api.handle_act(again, "reply", reply_body("resolved")))
    assert view["case"]["state"] == "replied"
    mine = api.ok(api.rate(case_id, code, "satisfied", "已修好，谢谢"))
    assert mine["state"] == "closed" and mine["state_label"] == "已办结"
    assert mine["rating"] == {"rating": "satisfied", "rating_label": "满意"}
    _citizen_got(api, case_id, "closed")
    assert api.handle(again).status == 410  # a closed case ends every link

    # The public timeline holds the public events only; staff see everything.
    public = api.ok(api.public(case_id))
    assert event_types(public["timeline"]) == [
        "submitted",
        "accepted",
        "assigned",
        "reassigned",
        "signed",
        "extension_approved",
        "replied",
        "rated",
        "reopened",
        "replied",
        "rated",
        "closed",
    ]
    assert all("public" not in e and "data" not in e for e in public["timeline"])
    assert [r["outcome"] for r in public["replies"]] == ["scheduled", "resolved"]
    assert public["replies"][0]["rating"]["rating"] == "unsatisfied"
    staff_events = event_types(api.staff_case(case_id)["events"])
    for internal in ("co_input", "return_requested", "extension_requested"):
        assert internal in staff_events and internal not in event_types(public["timeline"])
    assert len(staff_events) == 15

    # Who was told what (messages of one instant in any order: the clock stood still).
    assert sorted(_templates(api, case_id, EMAIL)) == sorted(
        [
            "received",
            "accepted",
            "assigned",  # 交办 to dept-1
            "assigned",  # 改派 to dept-3
            "extended",
            "replied",
            "reopened",
            "replied",
            "closed",
        ]
    )
    # The same notices by SMS; one delivery run sends what is due in no set order.
    assert sorted(_templates(api, case_id, CITIZEN_PHONE)) == sorted(
        _templates(api, case_id, EMAIL)
    )
    assert _templates(api, case_id, dept_email("dept-1")) == ["assigned_lead", "co_input"]
    assert _templates(api, case_id, dept_email("dept-2")) == ["assigned_co_handler"]
    assert _templates(api, case_id, dept_email("dept-3")) == [
        "assigned_lead",
        "extension_approved",
        "reopened_lead",
    ]
    assert _templates(api, case_id, dept_email("dept-4")) == []

    # The per-state counters followed every transition: one case, closed.
    assert {state: n for state, n in api.counts().items() if n} == {"closed": 1}


def test_a_rejected_case_carries_its_reason_and_is_terminal(api: Api) -> None:
    created = api.submit()
    case_id, code = created["case_id"], created["tracking_code"]
    missing = api.act(case_id, "reject", {"reason_code": "duplicate", "reason": "与前案重复"})
    assert missing.status == 400 and "duplicate_of" in missing.fields
    case = api.ok(
        api.act(case_id, "reject", {"reason_code": "out_of_scope", "reason": "属司法程序事项"})
    )
    assert case["state"] == "rejected" and case["actions"] == []
    mine = api.track(case_id, code)
    assert mine["rejection"]["reason_code"] == "out_of_scope"
    assert mine["rejection"]["reason_label"] == "不属于受理范围"
    assert mine["rejection"]["reason"] == "属司法程序事项"
    _citizen_got(api, case_id, "rejected")
    assert api.public(case_id).status == 404  # a rejected case is never on the board
    assert api.act(case_id, "accept", {"urgency": "general", "public": True}).status == 409
    assert api.act(case_id, "assign", {"lead": "dept-1"}).status == 409
    assert api.staff_case(case_id)["state"] == "rejected"


def test_coordinator_may_insist_on_a_returned_case(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    assert api.act(case_id, "return-decision", {"decision": "insist"}).status == 409  # none asked
    api.ok(api.handle_act(link, "return", {"reason": "不属于我局职责"}))
    again = api.handle_act(link, "return", {"reason": "再次申请"})
    assert again.status == 409 and again.code == "request_pending"
    case = api.ok(
        api.act(case_id, "return-decision", {"decision": "insist", "note": "属贵局职责，请办理"})
    )
    assert case["state"] == "assigned" and case["pending"] is None
    assert case["lead"]["id"] == "dept-1" and case["assignment"]["no"] == 1
    assert case["events"][-1]["type"] == "return_refused" and not case["events"][-1]["public"]
    assert "return_refused" in _templates(api, case_id, dept_email("dept-1"))
    # The same link still works: the assignment did not change.
    view = api.ok(api.handle_act(link, "sign"))
    assert view["case"]["state"] == "in_progress"
    public = api.ok(api.public(case_id))
    assert "return_requested" not in event_types(public["timeline"])
    assert "return_refused" not in event_types(public["timeline"])


def test_reassigning_needs_a_different_lead(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "return", {"reason": "不属于我局职责"}))
    same = api.act(
        created["case_id"], "return-decision", {"decision": "reassign", "lead": "dept-1"}
    )
    assert same.status == 400 and "lead" in same.fields
    none = api.act(created["case_id"], "return-decision", {"decision": "reassign"})
    assert none.status == 400 and "lead" in none.fields
    assert api.staff_case(created["case_id"])["pending"]["type"] == "return"


def test_a_return_after_the_return_window_is_refused(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    # Assigned Mon 11-02; the window ends Wed 11-04 23:59:59 Shanghai.
    api.set_clock(T0 + timedelta(days=2, hours=14))
    late = api.handle_act(link, "return", {"reason": "不属于我局职责"})
    assert late.status == 409 and late.code == "return_window_closed"
    assert "return" not in api.ok(api.handle(link))["actions"]
    assert api.staff_case(created["case_id"])["pending"] is None


def test_a_refused_extension_keeps_the_deadline(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "extension", {"working_days": 5, "reason": "需要更多时间"}))
    case = api.ok(
        api.act(case_id, "extension-decision", {"decision": "refuse", "note": "可按期办结"})
    )
    assert case["reply_due_at"] == "2026-11-09T15:59:59Z" and case["pending"] is None
    assert case["extensions_used"] == 0
    assert case["events"][-1]["type"] == "extension_refused"
    assert case["events"][-1]["note"] == "可按期办结"
    assert "extension_refused" in _templates(api, case_id, dept_email("dept-1"))
    public = api.ok(api.public(case_id))
    assert "extension_refused" not in event_types(public["timeline"])
    assert "extension_requested" not in event_types(public["timeline"])
    assert public["reply_due_at"] == "2026-11-09T15:59:59Z"
    again = api.act(case_id, "extension-decision", {"decision": "approve"})
    assert again.status == 409 and again.code == "no_request"


def test_an_extension_cannot_be_asked_once_the_reply_is_overdue(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    api.set_clock(T0 + timedelta(days=8))  # past Mon 11-09 23:59:59
    late = api.handle_act(link, "extension", {"working_days": 2, "reason": "来不及了"})
    assert late.status == 409 and late.code == "overdue"
    case = api.staff_case(created["case_id"])
    assert case["overdue"] and case["pending"] is None


def test_a_scheduled_reply_needs_a_planned_date(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    missing = api.handle_act(link, "reply", reply_body("scheduled"))
    assert missing.status == 400 and "planned_date" in missing.fields
    past = api.handle_act(link, "reply", reply_body("scheduled", planned_date="2026-10-01"))
    assert past.status == 400 and "planned_date" in past.fields
    assert api.staff_case(created["case_id"])["state"] == "in_progress"


def test_an_unrated_reply_closes_when_the_rating_window_ends(api: Api) -> None:
    created, _ = api.replied_case()
    case_id, code = created["case_id"], created["tracking_code"]
    api.set_clock(T0 + timedelta(days=6))
    assert api.ok(api.post("/api/dev/jobs/auto-close"))["result"]["closed"] == 0
    api.set_clock(T0 + timedelta(days=7, minutes=1))
    assert api.ok(api.post("/api/dev/jobs/auto-close"))["result"]["closed"] == 1
    mine = api.track(case_id, code)
    assert mine["state"] == "closed" and not mine["can_rate"] and mine["rating"] is None
    assert mine["timeline"][-1]["note"] == "评价期满未评价，自动办结"
    late = api.rate(case_id, code, "unsatisfied")
    assert late.status == 409
    _citizen_got(api, case_id, "closed")


def _reply_and_rate_unsatisfied(api: Api, case_id: str, code: str) -> dict[str, Any]:
    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "reply", reply_body("explained")))
    mine: dict[str, Any] = api.ok(api.rate(case_id, code, "unsatisfied", "仍不满意"))
    return mine


def _escalated_case(api: Api) -> tuple[str, str]:
    created, _ = api.replied_case()
    case_id, code = created["case_id"], created["tracking_code"]
    mine = api.ok(api.rate(case_id, code, "unsatisfied"))
    assert mine["state"] == "reopened" and mine["reopen_count"] == 1
    mine = _reply_and_rate_unsatisfied(api, case_id, code)
    assert mine["state"] == "reopened" and mine["reopen_count"] == 2
    mine = _reply_and_rate_unsatisfied(api, case_id, code)  # the third unsatisfied rating
    assert mine["state"] == "reopened" and mine["reopen_count"] == 2
    assert "转总平台" in mine["next_step"]
    return case_id, code


def test_third_unsatisfied_rating_escalates_to_the_coordinator_who_may_close(api: Api) -> None:
    case_id, code = _escalated_case(api)
    _citizen_got(api, case_id, "escalated")
    case = api.staff_case(case_id)
    assert case["escalated"] and case["actions"] == ["assign", "close", "public-version"]
    assert case["events"][-1]["type"] == "escalated"
    # The department no longer holds the case: its link cannot reply past the coordinator.
    link = api.link("dept-1", case_id)
    assert api.ok(api.handle(link))["actions"] == []
    late = api.handle_act(link, "reply", reply_body())
    assert late.status == 409 and late.code == "escalated"
    assert api.staff_case(case_id)["state"] == "reopened"
    # Two reopen links went out; the escalation sends the department none.
    assert len(api.messages(case_id=case_id, template="reopened_lead")) == 2
    short = api.act(case_id, "close", {"note": ""})
    assert short.status == 400 and "note" in short.fields
    case = api.ok(api.act(case_id, "close", {"note": "经研究，已向留言人当面解释说明"}))
    assert (
        case["state"] == "closed"
        and not case["escalated"]
        and case["actions"] == ["public-version"]
    )
    public = api.ok(api.public(case_id))
    assert event_types(public["timeline"])[-2:] == ["escalated", "closed"]
    assert public["timeline"][-1]["note"] == "经研究，已向留言人当面解释说明"
    assert api.track(case_id, code)["state"] == "closed"
    _citizen_got(api, case_id, "closed")


def test_an_escalated_case_may_be_reassigned_by_the_coordinator(api: Api) -> None:
    case_id, _ = _escalated_case(api)
    case = api.assign(case_id, "dept-4")
    assert case["state"] == "assigned" and case["lead"]["id"] == "dept-4"
    assert not case["escalated"] and case["reply_due_at"] and case["response_due_at"]
    link = api.link("dept-4", case_id)
    assert api.ok(api.handle(link))["actions"] == ["sign", "return"]
    assert api.handle(api.link("dept-1", case_id)).status == 410


def test_close_is_only_for_escalated_cases(api: Api) -> None:
    created, _ = api.replied_case()
    case_id, code = created["case_id"], created["tracking_code"]
    assert api.act(case_id, "close", {"note": "直接办结"}).status == 409
    api.ok(api.rate(case_id, code, "unsatisfied"))
    refused = api.act(case_id, "close", {"note": "直接办结"})
    assert refused.status == 409 and refused.code == "not_escalated"
    # A reopened (not escalated) case stays with its lead.
    assert api.act(case_id, "assign", {"lead": "dept-2"}).status == 409
    assert api.staff_case(case_id)["state"] == "reopened"


def test_a_lost_link_is_sent_again_to_the_registered_address_only(api: Api) -> None:
    created, old = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    before = len(api.outbox())
    for department_id, case in (("dept-4", case_id), ("dept-1", "WZ20261102-ZZZZZZ")):
        answer = api.post("/api/handle/refresh", {"department_id": department_id, "case_id": case})
        assert answer.status == 202
    assert len(api.outbox()) == before  # not a holder: nothing sent, same answer
    assert (
        api.post("/api/handle/refresh", {"department_id": "dept-1", "case_id": case_id}).status
        == 202
    )
    fresh = api.link("dept-1", case_id)
    assert fresh.token != old.token
    mail = api.messages(case_id=case_id, template="link_refresh")
    assert [m["to"] for m in mail] == [dept_email("dept-1")]
    assert api.ok(api.handle(fresh))["role"] == "lead"
    assert api.ok(api.handle(old))["role"] == "lead"  # the first link is still valid
    api.ok(api.post("/api/handle/refresh", {"department_id": "dept-2", "case_id": case_id}), 202)
    assert api.ok(api.handle(api.link("dept-2", case_id)))["role"] == "co_handler"


def test_a_co_handler_cannot_act_as_the_lead(api: Api) -> None:
    created, _ = api.assigned_case("dept-1", co_handlers=["dept-2"])
    co = api.link("dept-2", created["case_id"])
    for action, body in (
        ("sign", {}),
        ("reply", reply_body()),
        ("extension", {"working_days": 2, "reason": "需要时间"}),
        ("return", {"reason": "不是我们的"}),
    ):
        assert api.handle_act(co, action, body).status == 403, action
    api.ok(api.handle_act(co, "input", {"text": "同意牵头单位意见"}))
    twice = api.handle_act(co, "input", {"text": "再补充一点"})
    assert twice.status == 409 and twice.code == "input_given"
    lead = api.link("dept-1", created["case_id"])
    assert api.handle_act(lead, "input", {"text": "牵头单位不能提协办意见"}).status == 403
    assert api.staff_case(created["case_id"])["state"] == "assigned"


def test_a_missing_or_unknown_link_is_401(api: Api) -> None:
    assert api.get("/api/handle").status == 401
    bad = api.get("/api/handle", {"X-Link-Token": "x" * 43})
    assert bad.status == 401 and bad.code == "invalid_link"
    assert api.post("/api/handle/sign", {}, {"X-Link-Token": "x" * 43}).status == 401


def test_a_link_expires_after_its_maximum_age(api: Api) -> None:
    _, link = api.assigned_case("dept-1")
    api.set_clock(T0 + timedelta(days=61))
    assert api.handle(link).status == 401


def test_the_planned_date_is_checked_against_the_date_in_shanghai(api: Api) -> None:
    _, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    # Wed 2026-11-04 07:00 in Shanghai is still Tue 11-03 in UTC.
    api.set_clock(datetime(2026, 11, 3, 23, 0, tzinfo=UTC))
    yesterday = api.handle_act(link, "reply", reply_body("scheduled", planned_date="2026-11-03"))
    assert yesterday.status == 400 and "planned_date" in yesterday.fields
    today = api.handle_act(link, "reply", reply_body("scheduled", planned_date="2026-11-04"))
    assert today.status == 200 and today.body["case"]["replies"][0]["planned_date"] == "2026-11-04"


def test_the_coordinator_may_approve_fewer_days_than_asked(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "extension", {"working_days": 5, "reason": "需协调多个部门"}))
    decision = {"decision": "approve", "working_days": 2}
    case = api.ok(api.act(created["case_id"], "extension-decision", decision))
    assert case["reply_due_at"] == "2026-11-11T15:59:59Z"  # Mon 11-09 + 2 working days
    assert case["events"][-1]["data"] == {"working_days": "2"}
    public = api.ok(api.public(created["case_id"]))
    assert public["timeline"][-1]["note"] == "答复时限延长 2 个工作日"


def test_the_queue_counts_states_and_sorts_by_deadline(api: Api) -> None:
    unsigned, _ = api.assigned_case("dept-1")  # sign by Tue 11-03 10:00
    urgent, urgent_link = api.assigned_case("dept-2", urgency="urgent")
    api.ok(api.handle_act(urgent_link, "sign"))  # reply by Wed 11-04
    general, general_link = api.assigned_case("dept-3")
    api.ok(api.handle_act(general_link, "sign"))  # reply by Mon 11-09
    api.advance(timedelta(minutes=1))
    waiting = api.submit()  # 受理 by Tue 11-03 10:01, just after the unsigned case's 签收
    rejected = api.submit()
    api.ok(api.act(rejected["case_id"], "reject", {"reason_code": "spam", "reason": "广告信息"}))
    assert api.counts() == {
        "submitted": 1,
        "accepted": 0,
        "rejected": 1,
        "assigned": 1,
        "in_progress": 2,
        "awaiting_citizen": 0,
        "reply_review": 0,
        "replied": 0,
        "reopened": 0,
        "merged": 0,
        "closed": 0,
        "archived": 0,
    }
    by_deadline = api.queue(sort="deadline")["items"]
    assert [c["case_id"] for c in by_deadline] == [
        unsigned["case_id"],
        waiting["case_id"],
        urgent["case_id"],
        general["case_id"],
    ]
    # To the minute: the platform clock keeps running while the test walks the cases, so an
    # assignment made a second after T0 is due a second after 10:00.
    assert [(c["next_deadline"] or "")[:16] for c in by_deadline] == [
        "2026-11-03T02:00",
        "2026-11-03T02:01",
        "2026-11-04T15:59",
        "2026-11-09T15:59",
    ]
    assert by_deadline[1]["triage_due_at"] == by_deadline[1]["next_deadline"]
    newest = [c["case_id"] for c in api.queue()["items"]]
    assert set(newest) == {c["case_id"] for c in by_deadline}
    done = api.queue(state="rejected")["items"]
    assert [c["case_id"] for c in done] == [rejected["case_id"]]
    assert [c["case_id"] for c in api.queue(department="dept-2")["items"]] == [urgent["case_id"]]
