"""The coordinator console's 督办 lists against the local stack with the demo city: the 黄牌 and
红牌 tabs list exactly the cases the overdue API names, each with its card, the 受理超时 tab the
cases waiting for 受理 past the platform's own deadline, and the state tabs bring the ordinary
queue back; the public overdue page states the platform's delay."""

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


def test_the_console_lists_yellow_and_red_cards(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    status, public_red = stack.call("GET", "/api/overdue")
    assert status == 200 and public_red["items"], "the demo city should hold a public red card"
    sign_in(page, stack, "coordinator@wenzheng.example")
    expect(page.get_by_role("heading", name="总平台工作台")).to_be_visible()
    tabs = page.locator(".tabs")
    items = page.locator(".queue-item")

    cards = (("red", "红牌督办", "sla-card-red"), ("yellow", "黄牌督办", "sla-card-yellow"))
    for card, label, css in cards:
        tabs.get_by_role("button", name=label).click()
        expect(tabs.get_by_role("button", name=label)).to_have_attribute("aria-pressed", "true")
        expect(page).to_have_url(f"{stack.base}/staff.html?card={card}")
        expect(page.locator(".queue .loading")).to_have_count(0)
        expect(page.get_by_label("类型")).to_be_disabled()
        shown = items.count()
        for i in range(shown):
            expect(items.nth(i).locator(f".{css}")).to_have_count(1)
        if card == "red":
            ids = {items.nth(i).locator(".mono").inner_text() for i in range(shown)}
            assert {c["case_id"] for c in public_red["items"]} <= ids

    tabs.get_by_role("button", name="全部").click()
    expect(page).to_have_url(f"{stack.base}/staff.html")
    expect(page.get_by_label("类型")).to_be_enabled()
    expect(items.first).to_be_visible()
    assert_clean(problems, stack)


def test_the_platforms_own_delay_on_the_console_and_the_overdue_page(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """平台受理超时: the demo keeps a case waiting for 受理 three working days; the console's
    受理超时 tab lists it with its badge, and the public page counts it without naming it."""
    page, problems = desktop
    status, public = stack.call("GET", "/api/overdue")
    assert status == 200
    city = next(p for p in public["platforms"] if p["platform"] == "city")
    assert city["count"] >= 1 and city["longest_overdue_working_days"] >= 1, city
    page.goto(stack.url("/overdue.html"))
    delays = page.locator(".platform-delays")
    expect(delays.get_by_role("heading", name="平台受理超时")).to_be_visible()
    expect(delays).to_contain_text(f"总平台：{city['count']} 件留言超过受理时限")

    sign_in(page, stack, "coordinator@wenzheng.example")
    tabs = page.locator(".tabs")
    tabs.get_by_role("button", name="受理超时").click()
    expect(page).to_have_url(f"{stack.base}/staff.html?card=triage")
    expect(page.locator(".queue .loading")).to_have_count(0)
    expect(page.get_by_label("承办单位")).to_be_disabled()
    items = page.locator(".queue-item")
    expect(items.filter(has_text="西山工业园一到晚上就有刺鼻气味")).to_have_count(1)
    for i in range(items.count()):
        expect(items.nth(i).locator(".triage-overdue")).to_have_count(1)
    items.filter(has_text="西山工业园").click()
    expect(page.locator(".case-panel dt", has_text="受理时限")).to_be_visible()
    assert_clean(problems, stack)


def test_a_coordinator_drills_into_every_case_behind_a_ranking_figure(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    status, ranking = stack.call("GET", "/api/rankings")
    assert status == 200
    top = next(row for row in ranking["departments"] if row["rank"])
    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url("/rankings.html"))
    dept = page.locator("section.panel", has=page.get_by_role("heading", name="部门排名"))
    dept.locator("tbody tr").first.locator(".drill-link").first.click()
    drilled = page.locator("section.drill")
    expect(drilled).to_contain_text(f"共 {top['assigned']} 件")
    cards = drilled.locator("article.card")
    expect(cards).to_have_count(top["assigned"])  # staff see all of them, public or not
    href = cards.first.locator("h2 a").get_attribute("href") or ""
    assert href.startswith("staff.html?case="), href
    cards.first.locator("h2 a").click()
    expect(page.locator(".case-panel .case-title")).to_be_visible()
    assert_clean(problems, stack)


def test_a_coordinator_publishes_an_edited_public_version_beside_the_original(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """公开版本: before 受理 the coordinator reads the citizen's words beside what the board
    will show (personal data already masked), rewrites the title, and the board shows that."""
    page, problems = desktop
    created = stack.submit(
        "李建国家门口下水道堵塞",
        "我是李建国，手机138-0013-8000，住幸福小区3栋2单元501室，门口下水道堵塞三天了。",
        contact={"name": "李建国", "phone": "13800138000"},
    )
    case_id = created["case_id"]
    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    accept = page.locator("details.action", has_text="受理").first
    expect(accept.locator(".original")).to_contain_text("501室")
    public_title = accept.get_by_label("公开标题")
    public_content = accept.get_by_label("公开内容")
    expect(public_title).to_have_value("李**家门口下水道堵塞")
    shown = public_content.input_value()
    assert "3栋**" in shown and "李建国" not in shown and "138-0013-8000" not in shown
    accept.locator(".side-by-side").screenshot(
        path=str(SHOTS / "console-public-version-desktop.png")
    )

    public_title.fill("幸福小区门口下水道堵塞")
    accept.get_by_role("button", name="受理").click()
    confirm(page, "确认受理")
    expect(page.get_by_role("status").filter(has_text="已受理")).to_be_visible()
    section = page.locator("section.panel", has=page.get_by_role("heading", name="公开版本"))
    expect(section).to_contain_text("总平台已编辑")

    page.goto(stack.url(f"/case.html?id={case_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("幸福小区门口下水道堵塞")
    body = page.locator("main").inner_text()
    assert "李建国" not in body and "501" not in body and "0013" not in body
    assert_clean(problems, stack)
