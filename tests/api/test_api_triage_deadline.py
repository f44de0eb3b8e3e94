"""The platform's own 受理 deadline through the API and the `sla-sweep` scheduled function: a
case left in 待受理 past 8 working hours gets one reminder to the coordinators however often the
sweep runs, 催办 to them and the admins a working day later; accepting in time sends nothing;
the overdue lists show the platform's delay beside the departments'.

Submitted Mon 2026-11-02 10:00 Shanghai (T0): the 受理 deadline is Tue 11-03 10:00, 催办 one
office day of working time later, Wed 11-04 10:00.
"""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from tests.api.helpers import STAFF, Api, sh, sweep

TRIAGE = "triage_overdue"


def reminders(api: Api, case_id: str) -> list[tuple[str, str]]:
    return sorted((m["to"], m["subject"]) for m in api.messages(case_id=case_id, template=TRIAGE))


def breaches(case_id: str) -> list[str]:
    """The audit record's overrun clocks (what auditors read once the case is closed)."""
    from functions.storage import cases_repo

    case = cases_repo.get(case_id)
    assert case is not None
    return case.breaches


def staff_overdue(api: Api, query: str = "card=triage") -> Any:
    return api.get(f"/api/staff/overdue?{query}", api.as_role("coordinator"))


def test_a_case_left_waiting_gets_each_rung_once_however_often_the_sweep_runs(
    api: Api, client: Client
) -> None:
    created = api.submit()
    case_id = created["case_id"]
    queued = next(c for c in api.queue()["items"] if c["case_id"] == case_id)
    assert queued["triage_due_at"] == "2026-11-03T02:00:00Z"
    assert queued["triage_overdue"] is False

    # A minute before the deadline: nothing is due.
    assert sweep(api, client, sh(11, 3, 9, 59))["climbed"] == 0
    assert reminders(api, case_id) == []

    # At the deadline: one reminder, to the coordinators.
    report = sweep(api, client, sh(11, 3, 10))
    assert (report["due"], report["climbed"], report["rungs"]) == (1, 1, 1)
    ((to, subject),) = reminders(api, case_id)
    assert to == STAFF["coordinator"]
    assert subject.startswith("【受理超时提醒】") and case_id in subject
    (message,) = api.messages(case_id=case_id, template=TRIAGE)
    assert "受理时限（8 个工作小时）" in message["body"]
    assert f"staff.html?case={case_id}" in message["body"]

    # The sweep again at the same instant and an hour later: nothing more.
    assert sweep(api, client, sh(11, 3, 10))["climbed"] == 0
    assert sweep(api, client, sh(11, 3, 11))["climbed"] == 0
    assert len(reminders(api, case_id)) == 1

    # A working day later: 催办, to the coordinators and the admins; then nothing more.
    assert sweep(api, client, sh(11, 4, 10))["rungs"] == 1
    urged = [r for r in reminders(api, case_id) if "催办" in r[1]]
    assert urged == sorted(
        [
            (STAFF["admin"], f"【受理超时催办】小区电梯停运两个月无人维修（{case_id}）"),
            (STAFF["coordinator"], f"【受理超时催办】小区电梯停运两个月无人维修（{case_id}）"),
        ]
    )
    assert sweep(api, client, sh(11, 20, 10))["climbed"] == 0
    assert len(reminders(api, case_id)) == 3

    # Each rung is an event on the case, which the citizen sees too.
    events = api.staff_case(case_id)["events"]
    rungs = [(e["data"]["rung"], e["public"]) for e in events if e["type"] == "triage_reminder"]
    assert rungs == [("due", True), ("urge", True)]
    tracked = api.track(case_id, created["tracking_code"])
    assert tracked["next_step"].endswith("受理时限为 11月3日 10:00（按工作日计算）。")
    notes = [e["note"] for e in tracked["timeline"] if e["type"] == "triage_reminder"]
    assert notes == [
        "受理时限已到，尚未受理，已提醒总平台",
        "受理超时 1 个工作日，受理超时催办（总平台及管理员）",
    ]

    # Accepting at last stops the clock; the breach stays on the record.
    api.accept(case_id)
    assert breaches(case_id) == ["triage"]
    assert sweep(api, client, sh(11, 30, 10))["climbed"] == 0
    assert len(reminders(api, case_id)) == 3


def test_accepting_before_the_deadline_sends_no_reminder(api: Api, client: Client) -> None:
    created = api.submit()
    case_id = created["case_id"]
    api.set_clock(sh(11, 2, 16))
    api.accept(case_id)
    queued = next(c for c in api.queue()["items"] if c["case_id"] == case_id)
    assert queued["triage_due_at"] is None and queued["triage_overdue"] is False
    report = sweep(api, client, sh(11, 6, 10))
    assert report["rungs"] == 0
    assert reminders(api, case_id) == []
    assert not [e for e in api.staff_case(case_id)["events"] if e["type"] == "triage_reminder"]


def test_rejecting_or_merging_ends_the_deadline_too(api: Api, client: Client) -> None:
    rejected = api.submit()["case_id"]
    primary = api.submit()["case_id"]
    merged = api.submit()["case_id"]
    api.set_clock(sh(11, 2, 11))
    api.ok(api.act(rejected, "reject", {"reason_code": "spam", "reason": "广告信息"}))
    api.ok(api.act(merged, "merge", {"into": primary, "note": "同一部电梯"}))
    sweep(api, client, sh(11, 3, 10, 5))
    assert reminders(api, rejected) == reminders(api, merged) == []
    assert len(reminders(api, primary)) == 1  # still waiting: reminded


def test_the_overdue_lists_show_the_platforms_own_delay(api: Api, client: Client) -> None:
    late = api.submit()
    waiting = api.submit(title="路灯不亮")
    api.set_clock(sh(11, 2, 15))
    fresh = api.submit(title="井盖缺失")  # due Tue 15:00

    public = api.ok(api.get("/api/overdue"))
    (platform,) = public["platforms"]
    assert platform["platform"] == "city" and platform["label"] == "平台受理超时"
    assert (platform["count"], platform["oldest_due_at"]) == (0, None)

    # Wed 11-04 11:30: the two morning cases are past their deadline (Tue 10:00) by 9.5
    # working hours, the afternoon one (Tue 15:00) by 4.5.
    sweep(api, client, sh(11, 4, 11, 30))
    public = api.ok(api.get("/api/overdue"))
    (platform,) = public["platforms"]
    assert platform == {
        "platform": "city",
        "platform_label": "总平台",
        "label": "平台受理超时",
        "triage_working_hours": 8,
        "count": 3,
        "count_capped": False,
        "oldest_due_at": "2026-11-03T02:00:00Z",
        "longest_overdue_working_hours": 9.5,
        "longest_overdue_working_days": 1,
    }
    # None of the waiting cases is public: the public answer names none of them.
    text = str(public)
    assert not any(c["case_id"] in text for c in (late, waiting, fresh))
    assert public["items"] == [] and public["card"] == "red"

    listed = api.ok(staff_overdue(api))
    assert listed["card"] == "triage" and listed["card_label"] == "平台受理超时"
    assert [c["case_id"] for c in listed["items"]][-1] == fresh["case_id"]
    assert {c["case_id"] for c in listed["items"]} == {
        late["case_id"],
        waiting["case_id"],
        fresh["case_id"],
    }
    first = listed["items"][0]
    assert first["triage_overdue"] is True and first["triage_overdue_working_hours"] == 9.5
    assert listed["platforms"] == public["platforms"]
    yellow = api.ok(staff_overdue(api, "card=yellow"))
    assert yellow["items"] == [] and yellow["platforms"] == public["platforms"]

    # Accepted or rejected, a case leaves the list and the count.
    api.accept(late["case_id"])
    api.ok(api.act(waiting["case_id"], "reject", {"reason_code": "spam", "reason": "广告"}))
    listed = api.ok(staff_overdue(api))
    assert [c["case_id"] for c in listed["items"]] == [fresh["case_id"]]
    (platform,) = api.ok(api.get("/api/overdue"))["platforms"]
    assert (platform["count"], platform["longest_overdue_working_hours"]) == (1, 4.5)


def test_the_platforms_list_is_not_filtered_by_department(api: Api) -> None:
    answer = staff_overdue(api, "card=triage&department=dept-1")
    assert answer.status == 400 and "department" in answer.fields
    assert staff_overdue(api, "card=green").status == 400
    assert api.get("/api/staff/overdue?card=triage").status == 401
