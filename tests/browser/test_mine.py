"""我的诉求 on a 360 px phone against the local stack (issue 19 §2): a citizen who lost the
tracking code enters the number they gave, reads the SMS code from the dev outbox, sees the
number's cases, has a case's tracking code re-issued, and tracks the case with the new code
(the old one no longer opens it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ROOT / "build" / "screenshots"
NUMBER = "13655500077"


def sms_code(stack: Stack, pattern: str, seen: set[str]) -> str:
    """The newest code ``pattern`` finds in an SMS to the number that is not in ``seen``."""

    def fresh(m: dict[str, Any]) -> bool:
        found = re.search(pattern, m["body"])
        return m["to"] == f"+86{NUMBER}" and bool(found) and found.group(1) not in seen

    message = stack.wait_for_message(fresh)
    found = re.search(pattern, message["body"])
    assert found
    return found.group(1)


def test_a_citizen_finds_their_cases_by_phone_and_gets_a_new_tracking_code(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    created = stack.submit("楼道声控灯坏了半个月（我的诉求）", contact={"phone": NUMBER})
    case_id, old_code = created["case_id"], created["tracking_code"]

    page.goto(stack.url("/track.html"))
    page.get_by_role("link", name="用手机号查找我的诉求").click()
    expect(page.get_by_role("heading", name="我的诉求", level=1)).to_be_visible()
    page.get_by_role("button", name="获取验证码").click()  # no number yet: said beside the field
    expect(page.locator('[data-field="phone"] .field-error')).to_have_text(
        "请填写正确的中国大陆手机号（11 位）"
    )
    page.get_by_label("手机号").fill(NUMBER)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", name="第二步：输入验证码")).to_be_visible()
    code = sms_code(stack, r"验证码为(\d{6})", set())
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="验证并查看").click()

    expect(page.get_by_role("heading", name="本手机号提交的诉求（1 件）")).to_be_visible()
    card = page.locator(".mine-card", has_text=case_id)
    expect(card.get_by_role("heading", name="楼道声控灯坏了半个月（我的诉求）")).to_be_visible()
    card.get_by_role("button", name="重新获取查询码").click()
    expect(page.get_by_role("status").filter(has_text="新的查询码已通过短信发送")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "mine-cases-phone.png"), full_page=True)
    new_code = sms_code(stack, r"新查询码([A-Z0-9]{8})", {old_code})

    status, _ = stack.call("POST", f"/api/cases/{case_id}/track", {"tracking_code": old_code})
    assert status == 404  # the old code stopped working
    card.get_by_role("link", name="查询进度与评价").click()
    page.get_by_label("查询码").fill(new_code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".track-result").get_by_text(case_id).first).to_be_visible()
    assert_clean(problems, stack)
