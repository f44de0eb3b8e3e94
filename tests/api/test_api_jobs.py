"""The scheduled jobs through Chalice: ``auto-close`` (未评价 closes, 列入计划 follow-ups) and
``digest`` (每日待办), invoked as EventBridge would (``client.lambda_.invoke``) and through
``POST /api/dev/jobs/{name}``, at the platform clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.helpers import T0, Api, Link, dept_email, event_types, reply_body

# 00:31 UTC: the digest's schedule (08:30 Shanghai) has just fired.
TUE_0831 = datetime(2026, 11, 3, 0, 31, tzinfo=UTC)


def invoke(api: Api, name: str) -> Any:
    """Run a scheduled function the way its schedule does: a CloudWatch scheduled event."""
    client = api.client
    event = client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=[f"arn:aws:events:ap-southeast-1:123456789012:rule/wenzheng-{name}"],
    )
    return client.lambda_.invoke(name, event).payload


def scheduled_case(api: Api, planned_date: str, lead: str = "dept-1") -> tuple[dict[str, Any], Any]:
    created, link = api.assigned_case(lead)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body("scheduled", planned_date=planned_date)))
    return created, link


def followups(api: Api, case_id: str) -> list[dict[str, Any]]:
    return api.messages(case_id=case_id, template="followup_requested")


def digests(api: Api) -> list[dict[str, Any]]:
    return api.messages(template="digest")


# --- auto-close --------------------------------------------------------------------------------


def test_auto_close_closes_unrated_cases_and_follows_up_each_promise_once(api: Api) -> None:
    unrated, _ = api.replied_case()
    promised, old_link = scheduled_case(api, "2026-11-12")
    rated, _ = api.replied_case()
    api.ok(api.rate(rated["case_id"], rated["tracking_code"], "unsatisfied"))

    api.set_clock(T0 + timedelta(days=7, minutes=1))
    first = invoke(api, "auto-close")
    assert first == {
        "closed": 2,
        "raced": 0,
        "failed": 0,
        "followups": 0,
        "followups_raced": 0,
        "followups_failed": 0,
    }
    assert api.staff_case(unrated["case_id"])["state"] == "closed"
    assert api.staff_case(promised["case_id"])["state"] == "closed"
    assert api.staff_case(rated["case_id"])["state"] == "reopened"  # rated: not the job's

    # 23:00 on the planned date in Shanghai: the date has not passed yet.
    api.set_clock(datetime(2026, 11, 12, 15, 0, tzinfo=UTC))
    assert invoke(api, "auto-close")["followups"] == 0
    assert followups(api, promised["case_id"]) == []

    # 00:30 the next day in Shanghai (still the 12th in UTC): now it has.
    api.set_clock(datetime(2026, 11, 12, 16, 30, tzinfo=UTC))
    assert invoke(api, "auto-close") == {
        "closed": 0,
        "raced": 0,
        "failed": 0,
        "followups": 1,
        "followups_raced": 0,
        "followups_failed": 0,
    }
    (mail,) = followups(api, promised["case_id"])
    assert mail["to"] == dept_email("dept-1")
    assert mail["subject"].startswith("【催报落实情况】")
    assert "2026-11-12" in mail["body"] and "handle.html#t=" in mail["body"]
    assert "报告总平台" in mail["body"]

    staff = api.staff_case(promised["case_id"])
    assert staff["state"] == "closed"
    event = staff["events"][-1]
    assert event["type"] == "followup_requested" and event["label"] == "催报计划落实情况"
    assert event["public"] is False and event["data"]["planned_date"] == "2026-11-12"
    public = api.ok(api.public(promised["case_id"]))
    assert "followup_requested" not in event_types(public["timeline"])

    # The fresh link opens the closed case to look (no action), and says what to do.
    seen = api.ok(api.handle(api.link("dept-1", promised["case_id"])))
    assert seen["case"]["state"] == "closed" and seen["actions"] == []
    assert seen["followup"]["planned_date"] == "2026-11-12"
    assert "报告总平台" in seen["followup"]["message"]
    assert api.handle_act(api.link("dept-1", promised["case_id"]), "sign").status == 409
    # The assignment's own link stays dead on the closed case.
    assert api.handle(old_link).status == 410

    # A rerun (the next quarter hour, the next day) sends nothing more.
    api.advance(timedelta(minutes=15))
    assert invoke(api, "auto-close")["followups"] == 0
    api.advance(timedelta(days=1))
    assert invoke(api, "auto-close")["followups"] == 0
    assert len(followups(api, promised["case_id"])) == 1
    assert (
        event_types(api.staff_case(promised["case_id"])["events"]).count("followup_requested") == 1
    )


def test_dev_route_runs_auto_close_and_follows_up_a_promise_still_awaiting_its_rating(
    api: Api,
) -> None:
    promised, link = scheduled_case(api, "2026-11-02")  # today in Shanghai
    other, _ = api.replied_case(lead="dept-2")  # resolved, not a promise

    api.set_clock(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))  # Tue 10:00 Shanghai
    ran = api.ok(api.post("/api/dev/jobs/auto-close"))
    assert ran["job"] == "auto-close"
    assert ran["result"] == {
        "closed": 0,
        "raced": 0,
        "failed": 0,
        "followups": 1,
        "followups_raced": 0,
        "followups_failed": 0,
    }
    assert api.staff_case(promised["case_id"])["state"] == "replied"  # the citizen may rate
    assert followups(api, other["case_id"]) == []
    # While the case is replied, the assignment's link works too, and shows the follow-up.
    seen = api.ok(api.handle(link))
    assert seen["followup"]["planned_date"] == "2026-11-02" and seen["actions"] == []

    again = api.ok(api.post("/api/dev/jobs/auto-close"))
    assert again["result"]["followups"] == 0
    assert len(followups(api, promised["case_id"])) == 1
    assert api.post("/api/dev/jobs/rating-window").status == 404  # renamed


def test_a_reopened_promise_is_not_followed_up(api: Api) -> None:
    promised, _ = scheduled_case(api, "2026-11-04")
    api.ok(api.rate(promised["case_id"], promised["tracking_code"], "unsatisfied"))
    api.set_clock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    assert invoke(api, "auto-close")["followups"] == 0
    assert followups(api, promised["case_id"]) == []


# --- digest ------------------------------------------------------------------------------------


def test_digest_schedule_fires_daily_at_0030_utc() -> None:
    from app import app

    (digest,) = [s for s in app.event_sources if s.name == "digest"]
    assert digest.schedule_expression.to_string() == "cron(30 0 * * ? *)"  # type: ignore[attr-defined]
    names = {s.name for s in app.event_sources}
    assert {"auto-close", "digest", "outbox"} <= names and "rating-window" not in names


def test_digest_emails_each_department_with_open_cases_once_a_day(api: Api) -> None:
    shared, _ = api.assigned_case("dept-1", co_handlers=["dept-2"], title="道路积水严重")
    signed, link3 = api.assigned_case("dept-3", title="路灯不亮")
    api.ok(api.handle_act(link3, "sign"))
    replied, _ = api.replied_case(lead="dept-4")  # answered: nothing open for dept-4

    api.set_clock(TUE_0831 - timedelta(minutes=2))  # 08:29 Shanghai
    early = invoke(api, "digest")
    assert early["skipped"] == "before_send_time" and digests(api) == []

    api.set_clock(TUE_0831)
    sent = invoke(api, "digest")
    assert sent["date"] == "2026-11-03" and sent["sent"] == 3 and sent["skipped"] is None
    mails = digests(api)
    assert sorted(m["to"] for m in mails) == [dept_email(d) for d in ("dept-1", "dept-2", "dept-3")]
    by_to = {m["to"]: m for m in mails}

    lead = by_to[dept_email("dept-1")]
    assert lead["subject"] == "【每日待办】在办诉求 1 件（2026年11月03日）"
    body = lead["body"]
    assert f"【牵头】编号：{shared['case_id']}\n   > 道路积水严重\n   状态：已交办，待签收" in body
    assert "签收时限：2026年11月03日 10:00（今日到期）" in body
    assert "答复时限：2026年11月09日 23:59（剩余 4 个工作日）" in body
    # Each line carries a fresh link for this department in its role; it opens the case.
    token = body.split("handle.html#t=")[1].split()[0]
    view = api.ok(api.handle(Link(token, "dept-1", shared["case_id"])))
    assert view["role"] == "lead" and view["case"]["case_id"] == shared["case_id"]
    assert "重新发送" in body

    co = by_to[dept_email("dept-2")]["body"]
    assert f"【协办】编号：{shared['case_id']}\n   > 道路积水严重\n" in co
    co_token = co.split("handle.html#t=")[1].split()[0]
    co_view = api.ok(api.handle(Link(co_token, "dept-2", shared["case_id"])))
    assert co_view["role"] == "co_handler" and co_view["actions"] == ["input"]
    assert "协办意见时限：2026年11月06日 23:59（剩余 3 个工作日）" in co

    third = by_to[dept_email("dept-3")]["body"]
    assert f"编号：{signed['case_id']}\n   > 路灯不亮\n   状态：办理中" in third
    assert "签收时限" not in third
    assert replied["case_id"] not in "".join(m["body"] for m in mails)

    # A rerun the same day (the local timer runs every few seconds) sends nothing.
    for _ in range(2):
        api.advance(timedelta(hours=1))
        assert invoke(api, "digest")["skipped"] == "done_today"
    assert api.ok(api.post("/api/dev/jobs/digest"))["result"]["sent"] == 0
    assert len(digests(api)) == 3

    # The next working day's digest shows the time that passed.
    api.set_clock(TUE_0831 + timedelta(days=1))
    assert invoke(api, "digest")["sent"] == 3
    lead_mails = api.messages(template="digest", to=dept_email("dept-1"))
    assert len(lead_mails) == 2
    assert "签收时限：2026年11月03日 10:00（已超期 1 个工作日）" in lead_mails[-1]["body"]
    assert "其中已超期 1 件" in lead_mails[-1]["body"]


def test_digest_follows_the_working_day_calendar(api: Api) -> None:
    api.set_clock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # Wed 10:00, before 国庆
    api.assigned_case("dept-1")

    for day in (1, 3, 5):  # 国庆 holidays, a Thursday, a Saturday and a Monday
        api.set_clock(datetime(2026, 10, day, 0, 30, tzinfo=UTC))
        skipped = invoke(api, "digest")
        assert skipped["skipped"] == "non_working_day" and skipped["sent"] == 0
    assert digests(api) == []

    # Sat 2026-10-10 is a make-up working day (调休): the daily schedule sends.
    api.set_clock(datetime(2026, 10, 10, 0, 30, tzinfo=UTC))
    assert invoke(api, "digest")["sent"] == 1
    (mail,) = digests(api)
    assert mail["to"] == dept_email("dept-1") and "（2026年10月10日）" in mail["subject"]


def test_no_department_with_open_work_means_no_digest(api: Api) -> None:
    api.replied_case(lead="dept-1")
    api.set_clock(TUE_0831)
    result = invoke(api, "digest")
    assert result["sent"] == 0 and result["skipped"] is None
    assert digests(api) == []
