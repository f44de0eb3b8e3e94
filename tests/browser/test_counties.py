"""1+8+N in the console (§15, issue 17): the city's coordinator hands a case down to the
江城区 platform from the 交办 form; the 江城区 coordinator signs in, sees only what their
platform holds (not 南湖县's case, which answers as not found), and assigns it to one of the
county's own streets; the public timeline shows both hand-offs."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PageProblems, _watch, new_context
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COUNTY = "jiangcheng-coordinator@wenzheng.example"


def _assign(page: Any, lead: str) -> None:
    form = page.locator("details.action", has_text="交办").first
    form.evaluate("details => { details.open = true; }")
    form.get_by_label("选择牵头单位").select_option(label=lead)
    form.get_by_role("button", name="交办", exact=True).click()
    confirm(page, "确认交办")


def test_city_hands_a_case_to_a_county_which_assigns_it_to_its_street(
    stack: Stack, browser: Any, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    bearer = {"Authorization": f"Bearer {stack.staff_session('coordinator@wenzheng.example')}"}
    created = stack.submit(
        "翠湖街道菜场门口占道经营",
        "翠湖街道菜场门口每天早上都有摊贩占道经营，行人只能走机动车道，很危险。",
        district="jiangcheng",
        location={"address": "翠湖街道菜场门口"},
    )
    case_id = created["case_id"]
    status, answer = stack.call(
        "POST", f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}, bearer
    )
    assert status == 200, answer
    elsewhere = stack.submit(
        "白沙镇自来水浑浊",
        "白沙镇街上这几天自来水发黄浑浊，烧开了也有沉淀，请尽快检查水厂。",
        district="nanhu",
        category="utilities",
        location={"address": "白沙镇老街"},
    )["case_id"]

    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    _assign(page, "江城区网络问政平台")
    expect(page.get_by_role("status").filter(has_text="已转交江城区网络问政平台")).to_be_visible()
    assert_clean(problems, stack)

    context = new_context(browser, DESKTOP)
    try:
        county = context.new_page()
        county_problems = _watch(county)
        sign_in(county, stack, COUNTY)
        expect(county.locator(".staff-bar")).to_contain_text("江城区网络问政平台")
        queue = county.locator(".queue-list")
        expect(queue.locator(".queue-item", has_text=case_id)).to_be_visible()
        expect(queue.locator(".queue-item", has_text=elsewhere)).to_have_count(0)
        queue.locator(".queue-item", has_text=case_id).click()
        form = county.locator("details.action", has_text="交办").first
        form.evaluate("details => { details.open = true; }")
        options = form.get_by_label("选择牵头单位").locator("option").all_inner_texts()
        assert any("翠湖街道" in o for o in options)
        assert not any(o.startswith("市") for o in options), options  # the county's own only
        _assign(county, next(o for o in options if "翠湖街道" in o))
        expect(county.get_by_role("status").filter(has_text="已交办")).to_be_visible()
        assert_clean(county_problems, stack)

        # Another county's case: as if it did not exist (the browser logs the 404).
        county.goto(stack.url(f"/staff.html?case={elsewhere}"))
        expect(county.get_by_text("未找到该诉求")).to_be_visible()
    finally:
        context.close()

    page.goto(stack.url(f"/case.html?id={case_id}"))
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("市级交办")
    expect(timeline).to_contain_text("县级交办")
