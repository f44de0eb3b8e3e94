"""监督评议 through the pages (§16), against the local stack with the demo city: the demo
supervisor signs in (the console sends them to review.html), writes a review of a closed
public case; it is not public while pending; a coordinator approves it from the console's
监督评议审核 list; the public case page shows it in its own 监督评议 section, with the
supervisor's title, apart from the citizen's rating, its text as characters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SUPERVISOR = "supervisor@wenzheng.example"
COORDINATOR = "coordinator@wenzheng.example"
TITLE = "市人大代表 张建国"
XSS = "<img src=x onerror=alert(1)>"


def test_a_supervisor_reviews_a_closed_case_and_once_approved_the_case_page_shows_it(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    text = f"答复具体、整改到位，办理过程公开透明，值得推广。{XSS}"

    sign_in(page, stack, SUPERVISOR)
    expect(page).to_have_url(re.compile(r"/review\.html$"))
    expect(page.get_by_role("heading", name="监督评议", level=1)).to_be_visible()
    expect(page.get_by_text(TITLE).first).to_be_visible()
    first = page.locator("li.card", has=page.get_by_role("button", name="写评议")).first
    href = first.locator("h3 a").get_attribute("href") or ""
    case_id = href.split("id=", 1)[1]
    card = page.locator("li.card", has=page.locator(f'h3 a[href="{href}"]'))
    card.get_by_role("button", name="写评议").click()
    form = card.locator("form")
    form.get_by_role("button", name="提交评议").click()  # empty: named beside the field
    expect(form.locator(".field-error")).not_to_be_hidden()
    form.locator("textarea[name=text]").fill(text)
    expect(form.locator(".counter")).to_have_text(f"已输入 {len(text)} / 500 字")
    form.get_by_role("button", name="提交评议").click()
    expect(card.locator(".alert-success")).to_have_text("评议已提交，等待总平台审核。")
    expect(card.get_by_role("button", name="修改我的评议")).to_be_visible()
    mine = page.locator("section", has=page.get_by_role("heading", name="我的评议"))
    expect(mine.locator(".review-item", has_text="答复具体、整改到位")).to_contain_text("待审核")

    status, before = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200 and all("答复具体、整改到位" not in r["text"] for r in before["reviews"])

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="监督评议：请先登录")).to_be_visible()
    sign_in(page, stack, COORDINATOR)
    page.get_by_role("button", name="监督评议审核").click()
    panel = page.locator(".case-panel")
    item = panel.locator(".review-item", has_text="答复具体、整改到位")
    expect(item).to_contain_text(TITLE)
    item.get_by_role("button", name="同意公开").click()
    expect(panel.locator(".alert-success")).to_contain_text(f"已公开：{TITLE}")
    expect(item).to_have_count(0)

    page.goto(stack.url(f"/case.html?id={case_id}"))
    section = page.locator("section.reviews")
    expect(section.get_by_role("heading", name="监督评议", level=2)).to_be_visible()
    shown = section.locator("article.review", has_text="答复具体、整改到位")
    expect(shown).to_contain_text(TITLE)
    expect(shown.locator(".review-text")).to_have_text(text)  # characters, not markup
    # Apart from the ratings: none inside the section, the section inside no reply.
    expect(section.locator(".rating-block")).to_have_count(0)
    expect(page.locator(".reply section.reviews, .reply .review")).to_have_count(0)
    expect(page.locator("article img")).to_have_count(0)
    # The one refusal asked for: the empty review's 400.
    refused = [e for e in problems.console_errors if "status of 400" in e]
    assert len(refused) == 1, problems.console_errors
    problems.console_errors = [e for e in problems.console_errors if e not in refused]
    assert_clean(problems, stack)
