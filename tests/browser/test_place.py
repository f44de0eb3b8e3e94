"""A case's place in the console against the demo city (§13): a point that lies in another
district than the citizen chose is filed under the point's, the console says so, and the
coordinator must settle which district holds before 受理."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ROOT / "build" / "screenshots"
IN_JIANGCHENG = {"lat": 30.052731, "lng": 113.951846}  # infra/demo/districts.geojson


def test_the_coordinator_settles_a_district_the_point_contradicts(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    created = stack.submit(
        "解放路口红绿灯一直黄灯闪烁（区县待核）",
        district="binhe",
        location={"address": "解放路与沿江大道交叉口", **IN_JIANGCHENG},
    )
    case_id = created["case_id"]
    assert (created["district"], created["district_label"]) == ("jiangcheng", "江城区")

    sign_in(page, stack, "coordinator@wenzheng.example")
    # The stack's clock stands still, so every case the browser tests submit has the same
    # time: the newest page need not hold this one. 江城区's cases are few.
    page.goto(stack.url("/staff.html?district=jiangcheng"))
    item = page.locator(".queue-item", has_text=case_id)
    expect(item).to_contain_text("区县待核")  # the queue flags it before anyone opens it
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    warning = page.locator(".alert", has_text="留言人选择的区县是「滨河区」")
    expect(warning).to_contain_text("所填地点位于「江城区」")
    expect(page.locator("main")).to_contain_text("按地图标注的位置确定")
    expect(page.locator("main")).to_contain_text("解放路与沿江大道交叉口（已在地图上标注）")

    accept = page.locator("details.action", has_text="受理").first
    district = accept.get_by_label("所属区县")
    expect(district).to_have_value("")  # no default: the coordinator decides
    accept.get_by_role("button", name="受理").click()
    expect(accept.locator('[data-field="district"] .field-error')).to_have_text("请确定所属区县")
    page.screenshot(path=str(SHOTS / "console-district-conflict-desktop.png"), full_page=True)

    district.select_option("binhe")
    accept.get_by_role("button", name="受理").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("滨河区")
    confirm(page, "确认受理")
    expect(page.get_by_role("status").filter(has_text="已受理")).to_be_visible()
    expect(warning).to_have_count(0)
    expect(page.locator("main")).to_contain_text("总平台受理时确定")

    token = stack.staff_session("coordinator@wenzheng.example")
    status, case = stack.call(
        "GET", f"/api/staff/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200 and case["district"] == "binhe" and case["district_claimed"] is None
    assert_clean(problems, stack)
