"""我的诉求 (issue 19 §2, DESIGN §17): a citizen who lost a tracking code finds their cases by
the phone number they gave: a 6-digit code by SMS (5 minutes, 5 wrong answers, the same answer
for known and unknown numbers), a 30-minute session, the list of the number's cases, and a
tracking code re-issued (the old one stops working)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import PHONE, Answer, Api

OTP = "/api/citizen/otp"
SESSION = "/api/citizen/session"
CASES = "/api/citizen/cases"
SMS_TO = f"+86{PHONE}"
STRANGER = "13800000000"


def codes_sent(api: Api, to: str = SMS_TO) -> list[str]:
    return [
        re.search(r"验证码为(\d{6})", m["body"]).group(1)  # type: ignore[union-attr]
        for m in api.messages(to=to, template="citizen_otp")
    ]


def ask_code(api: Api, phone: str = PHONE) -> Answer:
    return api.post(OTP, {"phone": phone})


def sign_in(api: Api, phone: str = PHONE) -> dict[str, str]:
    return api.citizen_session(phone)


def test_a_citizen_signs_in_by_sms_and_sees_every_case_of_the_number(api: Api) -> None:
    first = api.submit(title="小区电梯停运两个月无人维修")
    api.advance(timedelta(hours=1))
    second = api.submit(title="翠湖路路灯不亮", public=False)
    other = api.submit(contact={"phone": "13700000001"})  # another number's

    sent = api.ok(ask_code(api), 202)
    assert sent["valid_minutes"] == 5
    [code] = codes_sent(api)
    [sms] = api.messages(to=SMS_TO, template="citizen_otp")
    assert sms["channel"] == "sms" and code in sms["body"] and sms["case_id"] is None
    opened = api.ok(api.post(SESSION, {"phone": f"+86{PHONE}", "code": code}))
    bearer = {"Authorization": f"Bearer {opened['session_token']}"}
    mine = api.ok(api.get(CASES, bearer))
    assert [c["case_id"] for c in mine["items"]] == [second["case_id"], first["case_id"]]
    assert other["case_id"] not in str(mine)
    assert mine["items"][0]["public"] is False and mine["items"][0]["state_label"]
    assert mine["truncated"] is False
    # The code is spent: a second session needs a fresh one.
    again = api.post(SESSION, {"phone": PHONE, "code": code})
    assert again.status == 401 and again.code == "code_rejected"


def test_unknown_numbers_are_answered_alike_and_get_no_sms(api: Api) -> None:
    api.submit()
    known, unknown = ask_code(api), ask_code(api, STRANGER)
    assert (
        (known.status, known.body) == (unknown.status, unknown.body) == (known.status, known.body)
    )
    assert known.status == 202
    assert codes_sent(api) and not api.messages(to=f"+86{STRANGER}")
    for phone in (PHONE, STRANGER):  # a wrong code: the same refusal, known number or not
        refused = api.post(SESSION, {"phone": phone, "code": "000000"})
        assert refused.status == 401 and refused.code == "code_rejected"
        assert (
            refused.error["message"]
            == "验证码不正确或已失效，请重新获取（每个验证码 5 分钟内有效，最多可输错 5 次）"
        )


def test_five_wrong_answers_spend_the_code(api: Api) -> None:
    api.submit()
    api.ok(ask_code(api), 202)
    [code] = codes_sent(api)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert api.post(SESSION, {"phone": PHONE, "code": wrong}).code == "code_rejected"
    locked = api.post(SESSION, {"phone": PHONE, "code": code})  # the right one, too late
    assert locked.status == 401 and locked.code == "code_rejected"
    # A fresh code works again.
    api.ok(ask_code(api), 202)
    fresh = codes_sent(api)[-1]
    assert api.post(SESSION, {"phone": PHONE, "code": fresh}).status == 200


def test_a_code_ends_after_five_minutes_and_a_session_after_thirty(api: Api) -> None:
    api.submit()
    api.ok(ask_code(api), 202)
    [code] = codes_sent(api)
    api.advance(timedelta(minutes=5, seconds=1))
    assert api.post(SESSION, {"phone": PHONE, "code": code}).code == "code_rejected"
    bearer = sign_in(api)
    api.advance(timedelta(minutes=29))
    assert api.get(CASES, bearer).status == 200
    api.advance(timedelta(minutes=1, seconds=1))
    ended = api.get(CASES, bearer)
    assert ended.status == 401 and ended.code == "citizen_session"
    assert api.get(CASES).code == "citizen_session"
    assert api.get(CASES, {"Authorization": "Bearer " + "x" * 43}).status == 401


def test_a_reissued_tracking_code_replaces_the_old_one(api: Api) -> None:
    created = api.submit()
    case_id, old = created["case_id"], created["tracking_code"]
    bearer = sign_in(api)
    done = api.ok(api.post(f"{CASES}/{case_id}/tracking-code", {}, bearer))
    assert done["case_id"] == case_id
    [notice] = api.messages(case_id=case_id, to=SMS_TO, template="tracking_code_reissued")
    new = re.search(r"新查询码([A-Z0-9]{8})", notice["body"]).group(1)  # type: ignore[union-attr]
    assert new != old
    assert api.post(f"/api/cases/{case_id}/track", {"tracking_code": old}).status == 404
    seen = api.ok(api.post(f"/api/cases/{case_id}/track", {"tracking_code": new}))
    assert seen["case_id"] == case_id
    # An internal event records it; the public timeline does not show it.
    staff = api.staff_case(case_id)
    assert "tracking_code_reissued" in [e["type"] for e in staff["events"]]
    assert "tracking_code_reissued" not in str(api.get(f"/api/cases/{case_id}").body)


def test_another_numbers_case_is_not_found(api: Api) -> None:
    other = api.submit(contact={"phone": "13700000001"})
    api.submit()
    bearer = sign_in(api)
    for case_id in (other["case_id"], "WZ20261101-ZZZZZZ", "x" * 80):
        refused = api.post(f"{CASES}/{case_id}/tracking-code", {}, bearer)
        assert refused.status == 404 and refused.code == "case_not_found", case_id
    assert not api.messages(case_id=other["case_id"], template="tracking_code_reissued")


def test_bad_bodies_are_named_field_by_field(api: Api) -> None:
    assert "phone" in api.post(OTP, {"phone": "12345"}).fields
    bad = api.post(SESSION, {"phone": PHONE, "code": "12ab"})
    assert bad.status == 400 and "code" in bad.fields


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from functions.settings import settings

    def configure(spec: str) -> None:
        monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")
        monkeypatch.setenv("WZ_RATE_LIMITS", spec)
        settings.cache_clear()

    yield configure
    monkeypatch.undo()
    settings.cache_clear()


def test_code_requests_are_limited_per_number_and_per_client(api: Api, limits: Any) -> None:
    api.submit()
    limits("otp_phone=2/1h,otp_ip=4/1h,otp_check_ip=2/1h")
    assert ask_code(api).status == 202 and ask_code(api).status == 202
    assert ask_code(api).status == 429  # the number's third in the hour
    assert ask_code(api, STRANGER).status == 202  # the client's fourth (each try counts)
    refused = ask_code(api, "13700000002")
    assert refused.status == 429 and refused.headers.get("Retry-After")
    assert len(codes_sent(api)) == 2
    for _ in range(2):
        assert api.post(SESSION, {"phone": PHONE, "code": "000000"}).status == 401
    assert api.post(SESSION, {"phone": PHONE, "code": "000000"}).status == 429
