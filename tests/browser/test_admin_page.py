"""时限与工作日历设置 (admin.html) against the local stack: an admin reaches it from the staff
console, adds and removes an extra holiday, and sees a refused value named beside its field;
a coordinator sees the page read-only. The test leaves the settings as it found them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean, outbox_hrefs, outbox_link
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

FAR = "2030-01-02"  # far from any deadline the other browser tests compute


def sign_in(page: Any, stack: Stack, email: str) -> None:
    before = outbox_hrefs(page, stack, "staff.html")
    page.goto(stack.url("/staff.html"))
    page.get_by_label("工作邮箱").fill(email)
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.get_by_role("heading", name="请查收登录邮件")).to_be_visible()
    page.goto(outbox_link(page, stack, page_name="staff.html", must_contain=email, before=before))
    expect(page.locator(".staff-email")).to_have_text(email)


def test_an_admin_edits_the_calendar_and_a_coordinator_reads_it(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    sign_in(page, stack, "admin@wenzheng.example")
    page.get_by_role("link", name="时限与工作日历设置").click()
    expect(page.get_by_role("heading", name="时限与工作日历设置", level=1)).to_be_visible()
    holidays = page.locator('fieldset[data-field="extra_holidays"]')

    page.get_by_label("增加的休息日：选择日期").fill(FAR)
    holidays.get_by_role("button", name="添加").click()
    page.get_by_role("button", name="保存工作日历").click()
    expect(page.get_by_text("工作日历已保存")).to_be_visible()
    holidays = page.locator('fieldset[data-field="extra_holidays"]')
    expect(holidays.get_by_text(f"{FAR}（周三）")).to_be_visible()

    page.get_by_label("下班时间").fill("08:00")
    page.get_by_role("button", name="保存工作日历").click()
    expect(page.locator('[data-field="office_hours.closes"] .field-error')).to_have_text(
        "下班时间应晚于上班时间"
    )
    page.get_by_label("可延期次数").fill("9")
    page.get_by_role("button", name="保存时限规则").click()
    expect(page.locator('[data-field="extensions_allowed"] .field-error')).to_have_text(
        "可延期次数不能大于 5"
    )

    page.reload()  # nothing refused was stored
    expect(page.get_by_label("下班时间")).to_have_value("17:00")
    expect(page.get_by_label("可延期次数")).to_have_value("1")
    holidays = page.locator('fieldset[data-field="extra_holidays"]')
    holidays.get_by_role("button", name=f"删除 {FAR}").click()
    page.get_by_role("button", name="保存工作日历").click()
    expect(page.get_by_text("工作日历已保存")).to_be_visible()
    expect(page.locator('fieldset[data-field="extra_holidays"] li')).to_have_text("（无）")

    page.evaluate("sessionStorage.clear()")
    sign_in(page, stack, "coordinator@wenzheng.example")
    expect(page.get_by_role("link", name="时限与工作日历设置")).to_have_count(0)
    page.goto(stack.url("/admin.html"))
    expect(page.get_by_text("总平台账号只能查看")).to_be_visible()
    expect(page.get_by_role("button", name="保存工作日历")).to_have_count(0)
    expect(page.get_by_label("可延期次数")).to_be_disabled()
    assert_clean(problems)
