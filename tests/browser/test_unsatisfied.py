"""The public 不满意专区 and the board's 热议 order in the browser, against the local stack with
the demo city: a reopened demo case on a 360 px phone, reached from the main navigation, with
its 重办 deadline and the rating that reopened it; the board sorted by supports, its cards
showing 附议 N / 阈值 T and the 群众关注 flag, as the case page does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean
from tests.browser.test_public_pages import shot
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# Demo cases (infra/demo/cases.json): c41 is reopened after an unsatisfied rating; c24 has 36
# supports, past the default 群众关注 threshold of 30 within 7 days.
REOPENED = "老旧小区改造后一下雨楼道就进水"
SUPPORTED = "人民路中段十几盏路灯不亮近一个月"


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


def test_the_unsatisfied_page_lists_a_reopened_demo_case_on_a_phone(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/index.html"))
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="不满意专区").click()
    expect(page).to_have_url(re.compile(r"/unsatisfied\.html$"))
    expect(page.get_by_role("heading", level=1, name="不满意专区")).to_be_visible()
    expect(nav.get_by_role("link", name="不满意专区")).to_have_attribute("aria-current", "page")

    card = page.locator("article.card").filter(has_text=REOPENED)
    expect(card).to_be_visible()
    expect(card.locator(".state")).to_have_text("重办中")
    story = card.locator(".unsatisfied-story")
    expect(story.get_by_role("heading", name="后续办理")).to_be_visible()
    expect(story).to_contain_text("第 1 次答复")
    expect(story).to_contain_text("第 1 次评价：不满意")
    expect(story).to_contain_text("第 1 次重办")
    expect(story).to_contain_text("答复时限：")
    # Every card listed is there for a 不满意 rating; none rated satisfied.
    for text in page.locator(
        "article.card .rating-bad, article.card .rating-good"
    ).all_inner_texts():
        assert text == "评价：不满意", text
    fits_the_phone(page)
    shot(page, "unsatisfied")

    # The department filter stays in the URL and narrows the list.
    page.get_by_label("承办单位").select_option(index=1)
    expect(page).to_have_url(re.compile(r"department="))
    expect(page.locator(".list-status")).not_to_be_empty()
    assert_clean(problems, stack)


def test_the_board_sorts_by_supports_and_shows_the_counts(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/index.html"))
    expect(page.locator("article.card").first).to_be_visible()
    page.get_by_label("排序").select_option("supports")
    expect(page).to_have_url(re.compile(r"sort=supports"))
    cards = page.locator("article.card")
    first = cards.first
    expect(first.locator("h2")).to_have_text(SUPPORTED)
    expect(first.locator(".card-supports")).to_have_text(
        re.compile(r"^附议 3\d 人 / 阈值 30 人（7 日内）$")
    )
    expect(first.locator(".attention")).to_have_text("群众关注")
    counts = [
        int(re.search(r"附议 (\d+)", text).group(1))  # type: ignore[union-attr]
        for text in cards.locator(".card-supports").all_inner_texts()
    ]
    assert len(counts) == cards.count() >= 5 and counts == sorted(counts, reverse=True), counts
    fits_the_phone(page)
    shot(page, "board-hot")

    # The case page: the same count against the threshold, the flag and its event.
    first.locator("h2 a").click()
    expect(page.locator("h1.case-title")).to_have_text(SUPPORTED)
    expect(page.locator(".support-count")).to_have_text(re.compile(r"^附议 3\d 人 / 阈值 30 人"))
    expect(page.locator(".case-heading .attention")).to_have_text("群众关注")
    expect(page.locator(".timeline").get_by_text("列为群众关注件")).to_be_visible()
    assert_clean(problems, stack)
