"""单位工作台 (§15): a unit's desk link, asked for by one of its registered addresses or sent
weekly; the desk lists its open cases as lead, most urgent first, and opens each into its
handling view. The link follows §7: hashed, in the fragment, GET never changes anything, a
fresh one replaces the one before, the admin revokes them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import T0, Answer, Api, Link, dept_email, reply_body, sh

DESK = "/api/desk"
REQUEST = "/api/desk/request"
SAME_ANSWER = "如该邮箱是已登记单位的联系邮箱，工作台链接已发送，请查收邮件。"
# Wednesday 11 November 2026, 11:00 in Shanghai: the 'now' of the urgency test.
WED_1100 = sh(11, 11, 11)


def desk_mails(api: Api, to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in api.messages(to=to) if "desk.html#t=" in m["body"]]


def token_in(message: dict[str, Any]) -> str:
    found = re.search(r"desk\.html#t=([A-Za-z0-9_-]+)", message["body"])
    assert found, message["body"]
    return found.group(1)


def ask(api: Api, email: str, headers: dict[str, str] | None = None) -> Answer:
    return api.post(REQUEST, {"email": email}, headers)


def desk_token(api: Api, email: str) -> str:
    """Ask for the desk link as ``email`` and take it out of the e-mail that came."""
    return api.desk_token(email)


def at_desk(token: str) -> dict[str, str]:
    return {"X-Link-Token": token}


def assigned_at(api: Api, at: datetime, lead: str = "dept-1", **more: Any) -> str:
    api.set_clock(at)
    created, _ = api.assigned_case(lead, **more)
    case_id: str = created["case_id"]
    return case_id


def test_a_unit_asks_for_its_desk_and_sees_its_open_cases_most_urgent_first(api: Api) -> None:
    red = assigned_at(api, sh(11, 2, 10), title="红牌督办的件")  # 签收 due 11-03 10:00
    yellow = assigned_at(api, sh(11, 9, 10), title="黄牌督办的件")  # 签收 due 11-10 10:00
    late = assigned_at(api, sh(11, 10, 10), title="刚刚超期的件")  # 签收 due 11-11 10:00
    farther = assigned_at(api, sh(11, 11, 10, 20), title="已经签收的件")
    api.ok(api.handle_act(api.link("dept-1", farther), "sign"))  # only 答复 runs: 11-18
    nearest = assigned_at(api, sh(11, 11, 10, 30), title="刚刚交办的件")  # 签收 due 11-12 10:30
    others = assigned_at(api, sh(11, 11, 10, 40), lead="dept-2")  # another unit's
    co_handled = assigned_at(api, sh(11, 11, 10, 40), lead="dept-2", co_handlers=["dept-1"])
    api.set_clock(sh(11, 11, 10, 45))
    done, _ = api.replied_case("dept-1")
    closed = api.rate(done["case_id"], done["tracking_code"], "satisfied")
    assert closed.status == 200, closed.body
    api.set_clock(WED_1100)
    api.ok(api.post("/api/dev/jobs/sla-sweep"))  # the ladder hands out the cards

    token = desk_token(api, dept_email("dept-1"))
    view = api.ok(api.get(DESK, at_desk(token)))
    assert view["unit"] == {"id": "dept-1", "name": "市住房和城乡建设局"}
    lines = view["lead"]
    assert [c["case_id"] for c in lines] == [red, yellow, late, nearest, farther]
    assert others not in str(view) and co_handled not in str(lines)
    assert [c["case_id"] for c in view["co_handling"]] == [co_handled]  # 协办, listed apart
    assert done["case_id"] not in str(view)
    first = lines[0]
    assert first["card"] == "red" and first["card_label"] == "红牌"
    assert first["title"] == "红牌督办的件" and first["state_label"] == "已交办"
    assert first["deadline_label"] == "签收时限" and first["overdue"] is True
    assert first["overdue_working_days"] == 6 and first["urgency_label"] == "一般"
    assert lines[1]["card"] == "yellow" and lines[1]["overdue_working_days"] == 1
    assert lines[2]["card"] is None and lines[2]["overdue"] is True
    assert lines[3]["overdue"] is False and lines[3]["deadline_label"] == "签收时限"
    assert lines[4]["state_label"] == "办理中" and lines[4]["deadline_label"] == "答复时限"
    counts = {"open": 5, "overdue": 3, "yellow": 1, "red": 1, "co_open": 1, "co_overdue": 0}
    assert view["counts"] == counts
    assert view["truncated"] is False
    assert view["expires_at"] == "2026-12-11T03:00:00Z"  # 30 days (WZ_DESK_LINK_DAYS)


def test_the_e_mail_goes_to_the_address_that_asked_if_the_unit_registered_it(api: Api) -> None:
    api.assigned_case("dept-1")
    spokesperson = "Dept-1-FYR@dept.example"  # as typed: the case of an address is no matter
    token = desk_token(api, "dept-1-fyr@dept.example")
    assert api.ok(api.get(DESK, at_desk(token)))["unit"]["id"] == "dept-1"
    (mail,) = desk_mails(api, "dept-1-fyr@dept.example")
    assert mail["subject"] == "【单位工作台】贵单位的工作台链接"
    assert "30 天内有效" in mail["body"] and "此前发送的工作台链接即失效" in mail["body"]
    assert mail["template"] == "desk_link" and mail["case_id"] is None
    api.ok(ask(api, spokesperson), 202)
    assert len(desk_mails(api, "dept-1-fyr@dept.example")) == 2


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(api: Api) -> None:
    before = len(api.outbox())
    known, unknown = ask(api, dept_email("dept-2")), ask(api, "nobody@dept.example")
    assert known.status == unknown.status == 202
    assert known.body == unknown.body == {"message": SAME_ANSWER}
    assert len(api.outbox()) == before + 1  # only the known unit's
    bad = ask(api, "not-an-address")
    assert bad.status == 400 and set(bad.fields) == {"email"}


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from functions.settings import settings

    def configure(spec: str) -> None:
        monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")  # the suite runs with them off
        monkeypatch.setenv("WZ_RATE_LIMITS", spec)
        monkeypatch.setenv("WZ_ORIGIN_SECRET", "origin-secret-for-tests")
        settings.cache_clear()

    yield configure
    monkeypatch.undo()
    settings.cache_clear()


def viewer(ip: str) -> dict[str, str]:
    """The headers CloudFront adds in front of the API."""
    return {"X-Origin-Verify": "origin-secret-for-tests", "CloudFront-Viewer-Address": f"{ip}:443"}


def test_desk_link_requests_are_limited_per_address_and_per_client(api: Api, limits: Any) -> None:
    limits("desk_address=2/1h,desk_ip=5/1h")
    for email in (dept_email("dept-1"), "nobody@dept.example"):  # known and unknown alike
        for _ in range(2):
            api.ok(ask(api, email, viewer("203.0.113.1")), 202)
        refused = ask(api, email, viewer("203.0.113.2"))
        assert refused.status == 429 and refused.code == "rate_limited", refused.body
        assert "工作台链接申请过于频繁" in refused.error["message"]
    # The fifth request from one client is its last within the hour, whatever it asks for.
    api.ok(ask(api, dept_email("dept-2"), viewer("203.0.113.1")), 202)
    refused = ask(api, dept_email("dept-3"), viewer("203.0.113.1"))
    assert refused.status == 429 and refused.code == "rate_limited"
    api.ok(ask(api, dept_email("dept-3"), viewer("203.0.113.3")), 202)
    api.set_clock(T0 + timedelta(hours=1))  # a new window
    api.ok(ask(api, dept_email("dept-1"), viewer("203.0.113.1")), 202)


def test_a_fresh_desk_link_replaces_the_one_before(api: Api) -> None:
    first = desk_token(api, dept_email("dept-1"))
    api.ok(api.get(DESK, at_desk(first)))
    second = desk_token(api, "dept-1-leader@dept.example")  # another of the unit's addresses
    api.ok(api.get(DESK, at_desk(second)))
    ended = api.get(DESK, at_desk(first))
    assert ended.status == 410 and ended.code == "desk_link_replaced"
    assert "取代" in ended.error["message"]
    # Only the token's SHA-256 is stored, like every link's.
    from functions.storage.models import TokenModel

    stored = {m.token_hash for m in TokenModel.scan()}
    assert second not in stored and hashlib.sha256(second.encode()).hexdigest() in stored


def test_an_unknown_or_missing_desk_link_is_401(api: Api) -> None:
    assert api.get(DESK).status == 401
    answer = api.get(DESK, at_desk("x" * 43))
    assert answer.status == 401 and answer.code == "invalid_link"
    # A handling link is no desk link, and a desk link no handling link.
    _, link = api.assigned_case("dept-1")
    assert api.get(DESK, link.headers).status == 401
    token = desk_token(api, dept_email("dept-1"))
    assert api.get("/api/handle", at_desk(token)).status == 401


def test_a_desk_link_ends_after_its_validity(api: Api) -> None:
    token = desk_token(api, dept_email("dept-1"))
    api.set_clock(T0 + timedelta(days=30) - timedelta(minutes=1))
    api.ok(api.get(DESK, at_desk(token)))
    api.set_clock(T0 + timedelta(days=30))
    ended = api.get(DESK, at_desk(token))
    assert ended.status == 410 and ended.code == "desk_link_expired"
    assert "已过期" in ended.error["message"]


def test_the_admin_revokes_a_units_desk_links_and_the_unit_can_ask_again(api: Api) -> None:
    token = desk_token(api, dept_email("dept-1"))
    other = desk_token(api, dept_email("dept-2"))
    path = "/api/admin/units/dept-1/desk/revoke"
    assert api.post(path, {}, api.as_role("coordinator")).status == 403
    api.advance(timedelta(minutes=5))
    revoked = api.ok(api.post(path, {}, api.as_role("admin")))
    assert revoked == {
        "unit": {"id": "dept-1", "name": "市住房和城乡建设局"},
        "had_current_link": True,
        "revoked_at": "2026-11-02T02:05:00Z",
        "revoked_by": "admin@wenzheng.example",
    }
    ended = api.get(DESK, at_desk(token))
    assert ended.status == 410 and ended.code == "desk_link_revoked"
    assert "管理员停用" in ended.error["message"]
    api.ok(api.get(DESK, at_desk(other)))  # another unit's desk stays open
    again = api.ok(api.post(path, {}, api.as_role("admin")))
    assert again["had_current_link"] is False
    assert api.post("/api/admin/units/dept-99/desk/revoke", {}, api.as_role("admin")).status == 404
    # Asking again gives a working link; the revoked one stays revoked.
    fresh = desk_token(api, dept_email("dept-1"))
    api.ok(api.get(DESK, at_desk(fresh)))
    assert api.get(DESK, at_desk(token)).code == "desk_link_revoked"


def test_the_desk_opens_only_the_units_own_open_cases(api: Api) -> None:
    led, _ = api.assigned_case("dept-1")
    co, _ = api.assigned_case("dept-2", co_handlers=["dept-1"])
    others, _ = api.assigned_case("dept-3")
    replied, _ = api.replied_case("dept-1")
    closed = api.rate(replied["case_id"], replied["tracking_code"], "satisfied")
    assert closed.status == 200
    token = desk_token(api, dept_email("dept-1"))

    def open_case(case_id: str) -> Answer:
        return api.post(f"/api/desk/cases/{case_id}/link", {}, at_desk(token))

    made = api.ok(open_case(led["case_id"]))
    assert made["role"] == "lead" and made["role_label"] == "牵头单位"
    assert made["url"].startswith("http") and "/handle.html#t=" in made["url"]
    handling = Link(made["url"].split("#t=")[1], "dept-1", led["case_id"])
    view = api.ok(api.handle(handling))
    assert view["role"] == "lead" and view["case"]["case_id"] == led["case_id"]
    assert "sign" in view["actions"]
    # A co-handled case opens in the co-handler's role.
    co_made = api.ok(open_case(co["case_id"]))
    assert co_made["role"] == "co_handler"
    co_view = api.ok(api.handle(Link(co_made["url"].split("#t=")[1], "dept-1", co["case_id"])))
    assert co_view["role"] == "co_handler"
    # Another unit's case, a closed one, one that does not exist: 404, nothing made.
    for case_id in (others["case_id"], replied["case_id"], "WZ20261102-ZZZZZZ", "x" * 300):
        refused = open_case(case_id)
        assert refused.status == 404 and refused.code == "not_on_desk", (case_id, refused.body)
    # A reassigned case leaves the old lead's desk.
    api.ok(
        api.handle_act(api.link("dept-1", led["case_id"]), "return", {"reason": "不属于本单位职责"})
    )
    api.ok(api.act(led["case_id"], "return-decision", {"decision": "reassign", "lead": "dept-2"}))
    assert open_case(led["case_id"]).code == "not_on_desk"
    assert led["case_id"] not in str(api.ok(api.get(DESK, at_desk(token))))
    # Without a desk link: 401; with an ended one: 410.
    assert api.post(f"/api/desk/cases/{co['case_id']}/link", {}).status == 401
    desk_token(api, dept_email("dept-1"))
    assert open_case(co["case_id"]).code == "desk_link_replaced"


def co_entries(unit_id: str) -> list[str]:
    """The unit's desk entries as stored (the cases it co-handles)."""
    from functions.storage.models import CoHandlingModel

    return [m.case_id for m in CoHandlingModel.query(unit_id)]


def test_a_co_handler_has_its_cases_on_its_desk_until_they_leave_it(api: Api) -> None:
    """协办: a case is on each co-handler's desk with the co-handler's own deadline (its input
    to the lead), from assignment until a reassignment drops the unit or the case closes; the
    entries are written in the case's own transaction, so none outlives its case's change."""
    api.set_clock(sh(11, 11, 10))
    created, lead_link = api.assigned_case("dept-1", co_handlers=["dept-2", "dept-3"])
    case_id = created["case_id"]
    assert co_entries("dept-2") == [case_id] and co_entries("dept-3") == [case_id]
    assert co_entries("dept-1") == []  # the lead is the desk index's

    token = desk_token(api, dept_email("dept-2"))
    view = api.ok(api.get(DESK, at_desk(token)))
    assert view["lead"] == [] and view["counts"]["co_open"] == 1
    line = view["co_handling"][0]
    assert line["case_id"] == case_id and line["deadline_label"] == "协办意见时限"
    assert line["lead"] == {"id": "dept-1", "name": "市住房和城乡建设局"}
    assert line["card"] is None and line["input_given_at"] is None
    assert not line["overdue"]
    # The input given: no deadline runs for the co-handler any more; the case stays listed.
    api.ok(api.handle_act(api.link("dept-2", case_id), "input", {"text": "已安排巡查。"}))
    given = api.ok(api.get(DESK, at_desk(token)))["co_handling"][0]
    assert given["input_given_at"] and given["deadline"] is None and not given["overdue"]

    # A reassignment with other co-handlers moves the entries with it.
    api.ok(api.handle_act(lead_link, "return", {"reason": "不属于本单位职责"}))
    reassign = {"decision": "reassign", "lead": "dept-2", "co_handlers": ["dept-4"]}
    api.ok(api.act(case_id, "return-decision", reassign))
    assert co_entries("dept-2") == [] and co_entries("dept-3") == []
    assert co_entries("dept-4") == [case_id]
    moved = api.ok(api.get(DESK, at_desk(desk_token(api, dept_email("dept-2")))))
    assert [c["case_id"] for c in moved["lead"]] == [case_id] and moved["co_handling"] == []
    # Past its input deadline, the co-handler's line is overdue (its own count too).
    fourth = desk_token(api, dept_email("dept-4"))
    due = api.ok(api.get(DESK, at_desk(fourth)))["co_handling"][0]["deadline"]
    api.set_clock(datetime.fromisoformat(due) + timedelta(hours=1))
    late = api.ok(api.get(DESK, at_desk(fourth)))
    assert late["co_handling"][0]["overdue"] and late["counts"]["co_overdue"] == 1

    # Replied, rated, closed: off every desk.
    link = api.link("dept-2", case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    assert api.rate(case_id, created["tracking_code"], "satisfied").status == 200
    assert co_entries("dept-4") == []


def test_a_unit_co_handling_an_open_case_cannot_be_disabled(api: Api) -> None:
    created, _ = api.assigned_case("dept-1", co_handlers=["dept-3"])
    refused = api.post("/api/admin/units/dept-3/disable", {}, api.as_role("admin"))
    assert refused.status == 409 and refused.code == "unit_has_open_cases", refused.body
    assert refused.body["error"]["cases"] == [created["case_id"]]


def _table(model: Any) -> list[dict[str, Any]]:
    return sorted((m.serialize() for m in model.scan()), key=repr)


def test_reading_the_desk_changes_nothing(api: Api) -> None:
    from functions.storage.models import CaseModel, CounterModel, OutboxModel, TokenModel

    api.assigned_case("dept-1")
    token = desk_token(api, dept_email("dept-1"))
    api.deliver()
    models = (CaseModel, TokenModel, OutboxModel, CounterModel)
    before = [_table(m) for m in models]
    for _ in range(3):
        api.ok(api.get(DESK, at_desk(token)))
        api.advance(timedelta(hours=1))
    assert api.get(DESK, at_desk("y" * 43)).status == 401
    assert [_table(m) for m in models] == before


# --- the weekly mail -------------------------------------------------------------------------


def weekly(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post("/api/dev/jobs/desk-weekly"))["result"]
    return result


def test_the_weekly_mail_sends_each_unit_with_open_cases_a_fresh_desk_link_once_a_week(
    api: Api,
) -> None:
    api.set_clock(sh(11, 2, 7))  # Monday 07:00: cases handed out early
    lead_one, _ = api.assigned_case("dept-1")
    api.assigned_case("dept-1", co_handlers=["dept-3"])
    api.assigned_case("dept-2")
    api.replied_case("dept-4")  # replied: still open (the rating window) on its desk
    asked = desk_token(api, dept_email("dept-1"))

    api.set_clock(sh(11, 2, 7, 59))
    assert weekly(api)["skipped"] == "before_send_time"
    api.set_clock(sh(11, 2, 8))
    sent = weekly(api)
    assert sent == {
        "week": "2026-W45",
        "sent": 4,
        "already_sent": 0,
        "no_address": [],
        "skipped": None,
    }
    mails = api.messages(template="desk_weekly")
    # A co-handler only (dept-3) has a case on its desk too: it gets its mail.
    units = ("dept-1", "dept-2", "dept-3", "dept-4")
    assert sorted(m["to"] for m in mails) == [dept_email(d) for d in units]
    one = next(m for m in mails if m["to"] == dept_email("dept-1"))
    assert one["subject"] == "【每周工作台】牵头在办诉求 2 件"
    assert "贵单位牵头在办诉求 2 件。" in one["body"]
    co = next(m for m in mails if m["to"] == dept_email("dept-3"))
    assert co["subject"] == "【每周工作台】协办在办诉求 1 件"
    assert "贵单位协办在办诉求 1 件。" in co["body"]
    fresh = token_in(one)
    view = api.ok(api.get(DESK, at_desk(fresh)))
    assert lead_one["case_id"] in str(view) and view["counts"]["open"] == 2
    # The weekly link replaced the one the unit asked for.
    assert api.get(DESK, at_desk(asked)).code == "desk_link_replaced"

    # Later runs this week send nothing (the local timer runs it every few seconds).
    api.set_clock(sh(11, 4, 9))
    assert weekly(api)["skipped"] == "done_this_week"
    assert len(api.messages(template="desk_weekly")) == 4
    api.ok(api.get(DESK, at_desk(fresh)))

    # The next week's first working day: the figures as they stand then.
    api.set_clock(sh(11, 9, 8, 30))
    api.ok(api.post("/api/dev/jobs/sla-sweep"))  # the ladder has carded what is late
    before = len(api.messages(template="desk_weekly"))
    assert weekly(api)["sent"] == 4
    again = api.messages(template="desk_weekly")[before:]
    assert sorted(m["to"] for m in again) == [dept_email(d) for d in units]  # dept-3 co-handles
    latest = api.messages(template="desk_weekly", to=dept_email("dept-1"))[-1]
    assert latest["subject"] == "【每周工作台】牵头在办诉求 2 件，超期 2 件（黄牌 2 件）"
    assert "其中已超期 2 件，黄牌督办 2 件。" in latest["body"]
    assert api.get(DESK, at_desk(fresh)).code == "desk_link_replaced"


def test_the_weekly_mail_goes_out_on_the_weeks_first_working_day(api: Api) -> None:
    # 国庆: Thursday 1 to Wednesday 7 October 2026 are holidays; Saturday 10 October is a
    # make-up working day (调休).
    api.set_clock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    api.assigned_case("dept-1")
    api.set_clock(sh(10, 5, 9))  # Monday of the holiday week
    assert weekly(api)["skipped"] == "non_working_day"
    api.set_clock(sh(10, 8, 9))  # Thursday: the week's first working day
    assert weekly(api)["sent"] == 1
    api.set_clock(sh(10, 10, 9))  # the make-up Saturday of the same week
    assert weekly(api)["skipped"] == "done_this_week"
