"""补充材料: the lead asks the citizen for more information through its link, the reply clock
waits (中止计时) while the citizen answers on the tracking page, and resumes later by the office
time waited, or when the citizen's deadline passes. Built on the registry of action modules:
every list below (actions offered, routes, labels, the lifecycle document) comes from it.

The case is assigned Mon 2026-11-02 10:00 Shanghai (a general complaint, reply due Mon 11-09
23:59:59); office hours are the calendar's defaults."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from tests.api.helpers import Api, Link, dept_email, sh, sweep

QUESTION = "请补充问题发生的具体楼栋号，以及漏水照片的文字说明，便于我们安排现场核查。"
ANSWER = "是3号楼东侧的地下车库入口，漏水处在顶棚，白天一直滴水，晚上更严重。"


def signed_case(api: Api) -> tuple[str, str, Link]:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    return created["case_id"], created["tracking_code"], link


def supplement(api: Api, case_id: str, code: str, text: str = ANSWER) -> Any:
    return api.post(f"/api/cases/{case_id}/supplement", {"tracking_code": code, "text": text})


def test_the_lead_asks_and_the_reply_clock_waits_until_the_citizen_answers(api: Api) -> None:
    case_id, code, link = signed_case(api)
    assert "request-info" in api.ok(api.handle(link))["actions"]

    api.set_clock(sh(11, 2, 11))
    view = api.ok(api.handle_act(link, "request-info", {"question": QUESTION}))
    assert view["case"]["state"] == "awaiting_citizen"
    assert view["case"]["state_label"] == "待补充材料"
    assert view["actions"] == []  # no reply while the case waits for the citizen
    asked = view["case"]["info_requests"][0]
    assert asked["question"] == QUESTION and asked["answer"] is None
    assert asked["due_at"] == "2026-11-09T15:59:59Z"  # 5 working days for the citizen

    # The citizen is told the question, by e-mail and SMS, with the tracking page.
    notices = api.messages(case_id=case_id, template="info_requested")
    assert {m["channel"] for m in notices} == {"email", "sms"}
    mail = next(m for m in notices if m["channel"] == "email")
    assert QUESTION in mail["body"] and f"track.html?id={case_id}" in mail["body"]

    # The tracking page offers the answer form; the public page shows the pause.
    mine = api.track(case_id, code)
    assert mine["state"] == "awaiting_citizen" and mine["actions"] == ["supplement"]
    assert mine["info_request"]["question"] == QUESTION
    assert "补充材料" in mine["next_step"]
    public = api.ok(api.public(case_id))
    assert public["state_label"] == "待补充"
    assert public["clock_paused"] == {
        "since": "2026-11-02T03:00:00Z",
        "until": "2026-11-09T15:59:59Z",
    }
    assert public["timeline"][-1]["label"] == "请留言人补充材料"

    # Two days later the citizen answers: the lead has the case back, the deadline later.
    api.set_clock(sh(11, 4, 11))
    mine = api.ok(supplement(api, case_id, code))
    assert mine["state"] == "in_progress" and mine["actions"] == []
    assert mine["info_request"] is None
    assert mine["info_requests"][0]["answer"] == ANSWER  # still theirs to read after a reload
    view = api.ok(api.handle(api.link("dept-1", case_id)))
    assert view["actions"][:2] == ["reply", "request-info"]
    assert view["limits"]["info_requests_left"] == 1
    answered = view["case"]["info_requests"][0]
    assert answered["answer"] == ANSWER and answered["paused_working_hours"] > 0
    assert view["case"]["reply_due_at"] > "2026-11-09T15:59:59Z"
    assert view["case"]["events"][-1]["type"] == "supplemented"

    told = api.messages(case_id=case_id, template="supplemented", to=dept_email("dept-1"))
    assert len(told) == 1
    assert ANSWER in told[0]["body"] and "handle.html#t=" in told[0]["body"]
    assert api.ok(api.public(case_id))["clock_paused"] is None


def test_no_reminder_runs_against_a_paused_clock_and_an_unanswered_request_expires(
    api: Api, client: Client
) -> None:
    case_id, _code, link = signed_case(api)
    api.set_clock(sh(11, 2, 11))
    api.ok(api.handle_act(link, "request-info", {"question": QUESTION}))

    # Past the half of the reply clock, while waiting: no rung, no message.
    sweep(api, client, sh(11, 5, 12))
    assert not [m for m in api.messages(case_id=case_id) if m["template"].startswith("sla_")]

    # The citizen's five working days pass: the clock resumes, the lead is told.
    sweep(api, client, sh(11, 10, 9))
    view = api.staff_case(case_id)
    assert view["state"] == "in_progress"
    assert view["events"][-1]["type"] == "supplement_expired"
    assert "依现有材料办理" in view["events"][-1]["note"]
    assert view["info_requests"][0]["expired_at"] is not None
    assert api.messages(case_id=case_id, template="supplement_expired", to=dept_email("dept-1"))
    # The reply deadline moved later by the whole wait, so no rung is due yet either.
    assert view["reply_due_at"] > "2026-11-13T00:00:00Z"


def test_a_case_takes_at_most_the_policys_requests(api: Api) -> None:
    case_id, code, link = signed_case(api)
    for round_ in range(2):
        api.ok(api.handle_act(link, "request-info", {"question": QUESTION}))
        api.ok(supplement(api, case_id, code))
        link = api.link("dept-1", case_id)
        offered = api.ok(api.handle(link))["actions"]
        assert ("request-info" in offered) is (round_ == 0)
    refused = api.handle_act(link, "request-info", {"question": QUESTION})
    assert refused.status == 409 and refused.code == "info_requests_used"


def test_mistakes_answer_clearly_and_change_nothing(api: Api) -> None:
    case_id, code, link = signed_case(api)
    short = api.handle_act(link, "request-info", {"question": "补"})
    assert short.status == 400 and "question" in short.fields

    early = supplement(api, case_id, code)  # nothing was asked
    assert early.status == 409 and early.code == "invalid_transition"

    api.ok(api.handle_act(link, "request-info", {"question": QUESTION}))
    wrong = supplement(api, case_id, "ZZZZ-ZZZZ")
    assert wrong.status == 404
    empty = api.post(f"/api/cases/{case_id}/supplement", {"tracking_code": code})
    assert empty.status == 400 and "text" in empty.fields
    unknown = api.post(f"/api/cases/{case_id}/nonsense", {"tracking_code": code})
    assert unknown.status == 404 and unknown.code == "no_such_action"
    assert api.track(case_id, code)["state"] == "awaiting_citizen"


def test_only_the_lead_may_ask(api: Api) -> None:
    created, _lead = api.assigned_case("dept-1", co_handlers=["dept-2"])
    co = api.link("dept-2", created["case_id"])
    refused = api.handle_act(co, "request-info", {"question": QUESTION})
    assert refused.status == 403


def test_the_lifecycle_document_names_the_new_state_and_actions(api: Api) -> None:
    doc = api.ok(api.get("/api/lifecycle"))
    states = {s["code"]: s for s in doc["states"]}
    assert states["awaiting_citizen"]["label"] == "待补充材料"
    assert states["awaiting_citizen"]["public_label"] == "待补充"
    assert states["awaiting_citizen"]["open"] and not states["awaiting_citizen"]["terminal"]
    assert [s for s, v in states.items() if v["audited"]] == ["closed", "archived"]
    actions = {a["code"]: a for a in doc["actions"]}
    assert actions["request-info"]["path"] == "/api/handle/request-info"
    assert actions["request-info"]["from"] == ["in_progress", "reopened"]
    assert actions["request-info"]["to"] == ["awaiting_citizen"]
    assert actions["supplement"]["path"] == "/api/cases/{case_id}/supplement"
    assert actions["supplement"]["audience"] == "citizen"
    assert actions["supplement_expired"]["audience"] == "system"
    events = {e["code"]: e for e in doc["events"]}
    assert events["supplemented"]["public"] and events["info_requested"]["public"]
