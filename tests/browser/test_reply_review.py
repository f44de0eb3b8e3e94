"""答复审核 in the console (§15, issue 17 §6): the demo city has its county platforms review
their units' replies. A 南湖县 street replies to a case the county gave it; the county's
coordinator signs in, finds it under 答复待审核 with the draft, approves it from the case panel,
and the reply is published (已答复)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COUNTY = "nanhu-coordinator@wenzheng.example"
TEXT = "白沙镇已组织清淤，老街排水沟已疏通，积水问题已解决。"


def test_a_county_coordinator_approves_a_units_reply_in_the_console(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    bearer = {"Authorization": f"Bearer {stack.staff_session(COUNTY)}"}
    case_id = stack.submit(
        "白沙镇老街排水沟堵塞",
        "白沙镇老街的排水沟堵了一个多月，一下雨路面就积水，请镇里尽快疏通。",
        district="nanhu",
        category="urban",
        location={"address": "白沙镇老街"},
    )["case_id"]
    link = stack.accept_and_assign(case_id, bearer, lead="nanhu-baisha")
    token = re.sub(r"^.*#t=", "", link)
    handle = {"X-Link-Token": token}
    for action, body in (("sign", {}), ("reply", {"outcome": "resolved", "text": TEXT})):
        status, answer = stack.call("POST", f"/api/handle/{action}", body, handle)
        assert status == 200, answer
    assert answer["case"]["state"] == "reply_review"

    sign_in(page, stack, COUNTY)
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    draft = page.locator("section.panel", has=page.get_by_role("heading", name="待审核的答复"))
    expect(draft).to_contain_text(TEXT)
    form = page.locator("details.action", has_text="审核答复").first
    form.evaluate("details => { details.open = true; }")
    form.get_by_label("审核通过，告知留言人").check()
    form.get_by_role("button", name="提交审核决定").click()
    confirm(page, "确认提交")
    expect(page.get_by_role("status").filter(has_text="已审核答复")).to_be_visible()
    assert_clean(problems, stack)

    status, case = stack.call("GET", f"/api/staff/cases/{case_id}", None, bearer)
    assert status == 200 and case["state"] == "replied"
    assert case["replies"][-1]["text"] == TEXT
