"""The admin's settings through the API: the working-day calendar and the SLA policy are read
by coordinators and admins and written by admins only, every PUT is checked field by field,
the write is recorded, and new deadlines follow the change at once (old ones stay)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.helpers import STAFF, T0, Answer, Api, iso

CALENDAR = "/api/admin/calendar"
POLICY = "/api/admin/policy"


def _end_of(day: str) -> str:
    """23:59:59 Shanghai of ``YYYY-MM-DD`` as the API's UTC instant."""
    y, m, d = (int(p) for p in day.split("-"))
    return iso(datetime(y, m, d, 15, 59, 59, tzinfo=UTC))


def _just_now(instant: str) -> bool:
    """The instant the platform clock shows: it stands at T0 (tests/clocks.py)."""
    return instant == iso(T0)


def put(api: Api, path: str, body: Any, role: str = "admin") -> Answer:
    return api.call("PUT", path, body, api.as_role(role))


def reply_due(api: Api, kind: str, urgency: str = "general") -> str:
    created, _ = api.assigned_case("dept-1", urgency=urgency, kind=kind)
    due: str = api.staff_case(created["case_id"])["reply_due_at"]
    return due


def test_coordinators_and_admins_read_the_defaults(api: Api) -> None:
    for role in ("coordinator", "admin"):
        calendar = api.ok(api.get(CALENDAR, api.as_role(role)))
        assert calendar["extra_holidays"] == [] and calendar["extra_workdays"] == []
        assert calendar["confirmed_through"] == calendar["confirmed_through_default"] == 2026
        assert calendar["office_hours"] == {"opens": "09:00", "closes": "17:00"}
        assert calendar["updated_by"] is None and calendar["updated_at"] is None
        assert calendar["official"]["holidays_version"]
        assert calendar["official"]["make_up_workdays_through"] >= 2026
        policy = api.ok(api.get(POLICY, api.as_role(role)))
        assert policy["reply_working_days"]["default"] == {"urgent": 2, "general": 5, "complex": 15}
        assert policy["reply_working_days"]["consultation"]["general"] == 3
        assert policy["reply_cap_working_days"] == 30
        assert [r["code"] for r in policy["ladder"]] == ["half", "late", "due", "yellow", "red"]
        assert policy["defaults"] == {
            k: v for k, v in policy.items() if k not in ("defaults", "updated_by", "updated_at")
        }


def test_only_admins_write_and_a_session_is_required(api: Api) -> None:
    for role in ("coordinator", "operator", "auditor"):
        for path in (CALENDAR, POLICY):
            answer = put(api, path, {}, role)
            assert answer.status == 403 and answer.code == "forbidden", (role, path)
    for path in (CALENDAR, POLICY):
        assert api.call("PUT", path, {}).status == 401
        assert api.get(path).status == 401
        assert api.get(path, api.as_role("operator")).status == 403
        assert api.get(path, api.as_role("auditor")).status == 403
    assert api.ok(api.get(CALENDAR, api.as_role("coordinator")))["updated_by"] is None


def test_an_admin_replaces_the_calendar_and_the_write_is_recorded(api: Api) -> None:
    body = {
        "extra_holidays": ["2026-12-24", "2026-11-04"],
        "extra_workdays": ["2026-11-07"],
        "confirmed_through": 2027,
        "office_hours": {"opens": "08:30", "closes": "17:30"},
    }
    stored = api.ok(put(api, CALENDAR, body))
    assert stored["extra_holidays"] == ["2026-11-04", "2026-12-24"]  # sorted
    assert stored["extra_workdays"] == ["2026-11-07"]
    assert stored["confirmed_through"] == 2027 and stored["confirmed_through_default"] == 2026
    assert stored["office_hours"] == {"opens": "08:30", "closes": "17:30"}
    assert stored["updated_by"] == STAFF["admin"] and _just_now(stored["updated_at"])
    assert api.ok(api.get(CALENDAR, api.as_role("coordinator"))) == stored
    # PUT replaces: what is left out goes back to its default.
    again = api.ok(put(api, CALENDAR, {"extra_holidays": ["2026-11-04"]}))
    assert again["extra_workdays"] == [] and again["confirmed_through"] == 2026
    assert again["office_hours"] == {"opens": "09:00", "closes": "17:00"}


def test_a_bad_calendar_is_refused_naming_each_field(api: Api) -> None:
    answer = put(
        api,
        CALENDAR,
        {
            "extra_holidays": ["2026/11/04", "2026-13-01"],
            "extra_workdays": "2026-11-07",
            "confirmed_through": 1999,
            "office_hours": {"opens": "9am", "closes": "17:00"},
            "timezone": "UTC",
        },
    )
    assert answer.status == 400 and answer.code == "validation_failed"
    assert set(answer.fields) == {
        "extra_holidays.0",
        "extra_workdays",
        "confirmed_through",
        "office_hours.opens",
        "timezone",
    }
    assert answer.fields["extra_holidays.0"]["message"] == "日期格式应为 YYYY-MM-DD"
    assert answer.fields["office_hours.opens"]["message_en"] == "must be a time HH:MM"
    assert all(f["message"] and f["message_en"] for f in answer.fields.values())
    # What the schema lets through, the domain still checks.
    answer = put(
        api,
        CALENDAR,
        {
            "extra_holidays": ["2026-13-01", "2026-11-20"],
            "extra_workdays": ["2026-11-20"],
            "office_hours": {"opens": "17:00", "closes": "09:00"},
        },
    )
    assert answer.status == 400
    assert set(answer.fields) == {"extra_holidays.0", "extra_workdays", "office_hours.closes"}
    assert "2026-11-20" in answer.fields["extra_workdays"]["message"]
    for raw, code in (('{"extra_holidays": ', "malformed_json"),):
        bad = api.call(
            "PUT",
            CALENDAR,
            headers={**api.as_role("admin"), "Content-Type": "application/json"},
            raw=raw,
        )
        assert bad.status == 400 and bad.code == code
    assert api.ok(api.get(CALENDAR, api.as_role("admin")))["updated_by"] is None  # nothing stored


def test_calendar_overrides_move_new_deadlines(api: Api) -> None:
    # 5 working days from Mon 2 Nov: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9.
    assert reply_due(api, "complaint") == _end_of("2026-11-09")
    api.ok(put(api, CALENDAR, {"extra_holidays": ["2026-11-04"]}))
    assert reply_due(api, "complaint") == _end_of("2026-11-10")
    api.ok(put(api, CALENDAR, {"extra_workdays": ["2026-11-07"]}))
    assert reply_due(api, "complaint") == _end_of("2026-11-07")  # a Saturday, worked


def test_a_year_not_confirmed_marks_deadlines_provisional_but_works(api: Api) -> None:
    created, _ = api.assigned_case("dept-1")
    assert api.staff_case(created["case_id"])["deadline_provisional"] is False
    api.ok(put(api, CALENDAR, {"confirmed_through": 2025}))
    provisional, link = api.assigned_case("dept-1")
    case_id = provisional["case_id"]
    view = api.staff_case(case_id)
    assert view["deadline_provisional"] is True
    assert view["reply_due_at"] == _end_of("2026-11-09")  # computed all the same
    items = {c["case_id"]: c for c in api.queue()["items"]}
    assert items[case_id]["deadline_provisional"] is True
    assert items[created["case_id"]]["deadline_provisional"] is False  # set before the change
    assert api.handle(link).status == 200
    assert api.ok(api.handle_act(link, "sign"))


def test_a_policy_change_applies_to_new_assignments(api: Api) -> None:
    # The defaults: a consultation is answered in 3 working days, a complaint in 5.
    assert reply_due(api, "consultation") == _end_of("2026-11-05")
    earlier, _ = api.assigned_case("dept-1", kind="complaint")
    assert api.staff_case(earlier["case_id"])["reply_due_at"] == _end_of("2026-11-09")

    policy = api.ok(api.get(POLICY, api.as_role("admin")))
    body = {k: v for k, v in policy.items() if k not in ("defaults", "updated_by", "updated_at")}
    body["reply_working_days"]["consultation"]["general"] = 2
    body["reply_working_days"]["complaint"] = {"general": 7}
    stored = api.ok(put(api, POLICY, body))
    assert stored["reply_working_days"]["complaint"] == {"general": 7}
    assert stored["updated_by"] == STAFF["admin"] and _just_now(stored["updated_at"])
    assert (
        api.ok(api.get(POLICY, api.as_role("coordinator")))["reply_working_days"]
        == (stored["reply_working_days"])
    )

    assert reply_due(api, "consultation") == _end_of("2026-11-04")
    assert reply_due(api, "complaint") == _end_of("2026-11-11")
    assert reply_due(api, "complaint", "urgent") == _end_of("2026-11-04")  # the default row
    # A deadline set before the change stays as it was computed.
    assert api.staff_case(earlier["case_id"])["reply_due_at"] == _end_of("2026-11-09")


def test_a_bad_policy_is_refused_naming_each_field(api: Api) -> None:
    answer = put(
        api,
        POLICY,
        {
            "reply_working_days": {"default": {"urgent": 2, "general": "five"}, "gossip": {}},
            "extensions_allowed": 9,
            "ladder": [
                {
                    "code": "Half!",
                    "label": "过半",
                    "trigger": "used",
                    "amount": 0.5,
                    "recipients": ["mayor"],
                }
            ],
            "holidays": [],
        },
    )
    assert answer.status == 400 and answer.code == "validation_failed"
    assert set(answer.fields) == {
        "reply_working_days.default.complex",  # missing
        "reply_working_days.default.general",
        "reply_working_days.gossip",
        "extensions_allowed",
        "ladder.0.code",
        "ladder.0.recipients.0",
        "holidays",
    }
    assert answer.fields["extensions_allowed"]["message"] == "可延期次数不能大于 5"
    assert all(f["message"] and f["message_en"] for f in answer.fields.values())
    # Rules across fields, after the schema.
    answer = put(
        api,
        POLICY,
        {
            "reply_cap_working_days": 12,
            "reply_working_days": {"default": {"urgent": 2, "general": 5, "complex": 15}},
            "ladder": [
                {
                    "code": "half",
                    "label": "过半",
                    "trigger": "used",
                    "amount": 1.5,
                    "recipients": ["handler"],
                }
            ],
        },
    )
    assert answer.status == 400
    assert set(answer.fields) == {"reply_working_days.default.complex", "ladder.0.amount"}
    assert "12 个工作日" in answer.fields["reply_working_days.default.complex"]["message"]
    assert api.ok(api.get(POLICY, api.as_role("admin")))["updated_by"] is None


def test_an_extension_past_the_reply_cap_is_refused(api: Api) -> None:
    table = {"default": {"urgent": 2, "general": 5, "complex": 8}}
    api.ok(put(api, POLICY, {"reply_cap_working_days": 8, "reply_working_days": table}))
    created, link = api.assigned_case("dept-1")  # reply due Mon 9 Nov; cap Thu 12 Nov
    case_id = created["case_id"]
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "extension", {"working_days": 5, "reason": "需协调多个单位"}))
    refused = api.act(case_id, "extension-decision", {"decision": "approve"})
    assert refused.status == 409 and refused.code == "reply_cap_exceeded"
    assert "8 个工作日" in refused.error["message"]
    assert "8 working days" in refused.error["message_en"]
    assert api.staff_case(case_id)["pending"]["type"] == "extension"  # nothing changed
    approved = api.ok(
        api.act(case_id, "extension-decision", {"decision": "approve", "working_days": 3})
    )
    assert approved["reply_due_at"] == _end_of("2026-11-12")
    assert approved["extensions_used"] == 1
