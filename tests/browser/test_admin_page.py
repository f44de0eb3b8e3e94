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


def test_an_admin_uploads_the_districts_boundaries_and_a_wrong_one_is_refused(
    stack: Stack, desktop: tuple[Any, PageProblems], tmp_path: Any
) -> None:
    """区县边界: a file that is no JSON, and one naming a district the city does not have, are
    refused with the reason; the demo city's own file is taken (the settings stay as found)."""
    import json

    from tests.localstack import ROOT

    page, problems = desktop
    demo = ROOT / "infra" / "demo" / "districts.geojson"
    wrong = json.loads(demo.read_text(encoding="utf-8"))
    wrong["features"][0]["properties"]["code"] = "atlantis"
    (tmp_path / "wrong.geojson").write_text(json.dumps(wrong), encoding="utf-8")
    (tmp_path / "notes.geojson").write_text("区县边界稍后补充", encoding="utf-8")

    sign_in(page, stack, "admin@wenzheng.example")
    page.goto(stack.url("/admin.html"))
    section = page.locator("form", has=page.get_by_role("heading", name="区县边界"))
    expect(section).to_contain_text("已设置边界的区县（8）")
    upload = section.get_by_role("button", name="上传区县边界")
    expect(upload).to_be_disabled()

    section.get_by_label("GeoJSON 文件").set_input_files(str(tmp_path / "notes.geojson"))
    expect(section).to_contain_text("文件不是有效的 GeoJSON")
    expect(upload).to_be_disabled()

    section.get_by_label("GeoJSON 文件").set_input_files(str(tmp_path / "wrong.geojson"))
    expect(section).to_contain_text("8 个区县边界")
    upload.click()
    expect(section).to_contain_text("features[0].properties.code：区县代码 atlantis 不在区县列表中")

    section.get_by_label("GeoJSON 文件").set_input_files(str(demo))
    section.get_by_role("button", name="上传区县边界").click()
    expect(page.get_by_text("区县边界已更新（8 个区县）")).to_be_visible()
    status, served = stack.call("GET", "/api/geo/districts")
    assert status == 200 and len(served["features"]) == 8
    assert_clean(problems)  # the refused upload's 400 is a console line of its own


def test_an_admin_marks_which_categories_need_a_place(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """需要地点的分类: unticking 公共安全 lets its complaints through without a place; ticking it
    again puts the rule back (the settings stay as found)."""
    page, problems = desktop
    sign_in(page, stack, "admin@wenzheng.example")
    page.goto(stack.url("/admin.html"))
    section = page.locator("form", has=page.get_by_role("heading", name="需要地点的分类"))
    safety = section.get_by_label("公共安全")
    expect(safety).to_be_checked()
    expect(section.get_by_label("教育")).not_to_be_checked()

    safety.uncheck()
    section.get_by_role("button", name="保存").click()
    expect(
        page.get_by_text("已保存：城乡建设、交通出行、生态环境、水电气暖的投诉和求助需要地点")
    ).to_be_visible()
    status, tax = stack.call("GET", "/api/taxonomy")
    assert status == 200
    assert {c["code"] for c in tax["categories"] if c["needs_place"]} == {
        "urban",
        "transport",
        "environment",
        "utilities",
    }
    section = page.locator("form", has=page.get_by_role("heading", name="需要地点的分类"))
    expect(section).to_contain_text("最近修改：admin@wenzheng.example")

    section.get_by_label("公共安全").check()
    section.get_by_role("button", name="保存").click()
    expect(
        page.get_by_text("已保存：城乡建设、交通出行、生态环境、水电气暖、公共安全")
    ).to_be_visible()
    assert_clean(problems, stack)


def test_an_admin_sets_a_categorys_support_threshold_and_a_wrong_one_is_named(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """附议阈值: 教育 gets its own 群众关注 threshold; a leader's threshold below 群众关注 is
    refused beside its field; the category's row emptied again (the settings stay as found)."""
    page, problems = desktop
    sign_in(page, stack, "admin@wenzheng.example")
    page.goto(stack.url("/admin.html"))

    def section() -> Any:
        return page.locator("form", has=page.get_by_role("heading", name="附议阈值"))

    expect(section().get_by_label("群众关注：附议人数", exact=True)).to_have_value("30")
    section().get_by_label("教育 · 群众关注：附议人数").fill("10")
    section().get_by_label("教育 · 群众关注：统计天数").fill("3")
    section().get_by_role("button", name="保存附议阈值").click()
    expect(page.get_by_text("附议阈值已保存")).to_be_visible()
    expect(section().get_by_label("教育 · 群众关注：附议人数")).to_have_value("10")
    expect(section()).to_contain_text("最近修改：admin@wenzheng.example")

    leader = section().get_by_label("提请单位负责人关注：附议人数", exact=True)
    leader.fill("20")
    section().get_by_role("button", name="保存附议阈值").click()
    expect(section().locator('[data-field="leader.supports"] .field-error')).to_contain_text(
        "须多于群众关注的附议人数"
    )
    expect(leader).to_have_attribute("aria-invalid", "true")

    leader.fill("100")
    section().get_by_label("教育 · 群众关注：附议人数").fill("")
    section().get_by_label("教育 · 群众关注：统计天数").fill("")
    section().get_by_role("button", name="保存附议阈值").click()
    expect(page.get_by_text("附议阈值已保存")).to_be_visible()
    expect(section().get_by_label("教育 · 群众关注：附议人数")).to_have_value("")
    assert_clean(problems)  # the refused PUT's 400 is in the console, on purpose
