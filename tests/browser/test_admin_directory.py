"""单位与账号目录 on admin.html against the local stack (§15): an admin creates a town under
a county platform, edits it and finds it in the list filtered by platform; a CSV import with a
bad row shows the row-numbered report and writes nothing; an auditor reads the changes. The
town is disabled at the end (no hard delete), so the other tests' assign lists are as they
were."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_audit_page import sign_in_on_the_audit_page
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

TOWN = "jiangcheng-browser-town"


def test_an_admin_creates_and_edits_a_town_and_a_bad_import_is_reported(
    stack: Stack, desktop: tuple[Any, PageProblems], tmp_path: Any
) -> None:
    page, problems = desktop
    sign_in(page, stack, "admin@wenzheng.example")
    page.goto(stack.url("/admin.html"))
    expect(page.get_by_role("heading", name="单位与账号目录")).to_be_visible()
    expect(page.locator("#units-table")).to_contain_text("jiangcheng-platform")

    page.get_by_role("button", name="新增单位").click()
    form = page.locator("#unit-form")
    form.get_by_label("编号（小写字母、数字、连字符）").fill(TOWN)
    form.get_by_label("名称", exact=True).fill("江城区测试街道办事处")
    form.get_by_label("类型", exact=True).select_option("town")
    form.get_by_label("上级平台").select_option("jiangcheng-platform")
    form.get_by_label("所在区县").select_option("jiangcheng")
    form.get_by_label("承办分类（代码，逗号分隔）").fill("urban")
    form.locator('[data-field="handler.email"] input').fill("browser-town@linjiang.example")
    form.get_by_role("button", name="新增").click()
    expect(page.get_by_text(f"已保存：江城区测试街道办事处（{TOWN}）")).to_be_visible()

    row = page.locator(f'tr[data-unit="{TOWN}"]')
    row.get_by_role("button", name="编辑 江城区测试街道办事处").click()
    page.locator("#unit-form").get_by_label("名称", exact=True).fill("江城区测试街道")
    page.locator("#unit-form").get_by_role("button", name="保存修改").click()
    expect(page.get_by_text(f"已保存：江城区测试街道（{TOWN}）")).to_be_visible()
    page.get_by_label("按平台筛选").select_option("jiangcheng-platform")
    expect(row).to_contain_text("江城区测试街道")
    expect(page.locator('tr[data-unit="city-housing"]')).to_have_count(0)

    bad = tmp_path / "units.csv"
    header = (
        "id,name,level,kind,parent,district,districts,categories,triage,city_categories,"
        "handler_name,handler_email,handler_phone,spokesperson_name,spokesperson_email,"
        "spokesperson_phone,leader_name,leader_email,leader_phone,active"
    )
    good = "browser-ok,浏览器导入单位,unit,department,,city,,urban,,,,ok@x.example,,,,,,,,true"
    wrong = "browser-bad,坏行,unit,department,,atlantis,,urban,,,,bad@x.example,,,,,,,,true"
    bad.write_text(f"\ufeff{header}\r\n{good}\r\n{wrong}\r\n", encoding="utf-8")
    page.get_by_label("CSV 文件").set_input_files(str(bad))
    page.get_by_role("button", name="导入").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("未写入任何单位")
    expect(report).to_contain_text("第 3 行 district")
    page.get_by_label("按平台筛选").select_option("")
    expect(page.locator('tr[data-unit="browser-ok"]')).to_have_count(0)

    page.get_by_label("按平台筛选").select_option("jiangcheng-platform")
    row.get_by_role("button", name="停用 江城区测试街道").click()
    expect(page.get_by_text(f"{TOWN} 已停用")).to_be_visible()

    # The auditor reads who changed what.
    page.evaluate("sessionStorage.clear()")
    sign_in_on_the_audit_page(page, stack)
    page.get_by_role("button", name="查看目录变更记录").click()
    changes = page.get_by_role("region", name="目录变更记录列表")
    expect(changes.locator("tr", has_text="停用单位").first).to_contain_text(TOWN)
    expect(changes).to_contain_text("name: 江城区测试街道办事处 → 江城区测试街道")
    assert_clean(problems)
