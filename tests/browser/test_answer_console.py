"""直接答复 in the console (§16, issue 18): a coordinator answers a 咨询 waiting for 受理 from a
知识库 entry found in the answer form; the case is 已答复 and the citizen's track view shows
the platform's reply."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"


def test_a_coordinator_answers_a_consultation_from_the_knowledge_base(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    created = stack.submit(
        "新买的电动自行车怎么上牌",
        "刚买了一辆新国标电动自行车，请问去哪里上牌，需要带什么材料？",
        kind="consultation",
        category="transport",
    )
    case_id = created["case_id"]
    sign_in(page, stack, COORDINATOR)
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    expect(page.locator(".case-panel .case-title")).to_have_text("新买的电动自行车怎么上牌")
    form = page.locator("details.action", has_text="直接答复").first
    form.evaluate("details => { details.open = true; }")
    form.get_by_label("检索知识库").fill("电动自行车上牌")
    form.get_by_role("button", name="检索").click()
    hit = form.locator(".kb-hits li", has_text="电动自行车怎么上牌")
    hit.get_by_role("button", name="采用此条").click()
    text = form.get_by_label("答复内容")
    expect(text).not_to_have_value("")
    answer = text.input_value()
    expect(form.locator(".kb-chosen")).to_contain_text("电动自行车怎么上牌")
    form.get_by_role("button", name="直接答复").click()
    confirm(page, "确认答复")
    expect(page.get_by_role("status").filter(has_text="已直接答复")).to_be_visible()
    expect(page.locator(".case-panel")).to_contain_text("已答复")
    assert_clean(problems, stack)

    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(created["tracking_code"])
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text(answer[:20])).to_be_visible()
    expect(page.locator("main")).to_contain_text("总平台")
    expect(page.get_by_role("heading", name="评价办理结果")).to_be_visible()
    assert_clean(problems, stack)

    # 亮晒比 of this month: the platform's own line for its direct answers, apart, unranked.
    page.goto(stack.url(f"/rankings.html?month={stack.now():%Y-%m}"))
    direct = page.locator("section.panel", has=page.get_by_role("heading", name="平台直接答复"))
    expect(direct.get_by_role("rowheader", name="总平台")).to_be_visible()
    expect(direct.locator("tbody tr").first).to_contain_text("不排名")
    assert_clean(problems, stack)
