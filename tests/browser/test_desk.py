"""单位工作台 on a 360 px phone: a unit asks for its desk link on the desk page, opens it from
the e-mail in the dev outbox, sees its open cases most urgent first, and opens one into the
handling view; the weekly link it had before now says it was replaced."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, PageProblems
from tests.browser.test_pages import URL, assert_clean, outbox_hrefs, outbox_link
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

OPEN_CASES = re.compile(r"牵头在办诉求 (\d+) 件")


def weekly_desk_mail(stack: Stack) -> dict[str, Any]:
    """The weekly desk mail (sent on the stack's first tick) of the unit with the most open
    cases."""
    status, outbox = stack.call("GET", "/api/dev/outbox")
    assert status == 200
    weekly = [m for m in outbox["messages"] if m["template"] == "desk_weekly"]
    assert weekly, "the weekly desk mail went out on the first tick"

    def open_cases(message: dict[str, Any]) -> int:
        found = OPEN_CASES.search(message["subject"])
        return int(found.group(1)) if found else 0

    return max(weekly, key=open_cases)


def desk_link(message: dict[str, Any]) -> str:
    return next(u for u in URL.findall(message["body"]) if "desk.html#t=" in u)


def test_a_unit_opens_its_desk_from_the_e_mailed_link_and_a_case_from_the_desk(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    weekly = weekly_desk_mail(stack)
    address, old_link = weekly["to"], desk_link(weekly)
    listed = int(OPEN_CASES.search(weekly["subject"]).group(1))  # type: ignore[union-attr]
    assert listed >= 2

    # Without a link the page asks for one; it is e-mailed to the unit's registered address.
    before = outbox_hrefs(page, stack, "desk.html")
    page.goto(stack.url("/desk.html"))
    expect(page.get_by_role("heading", name="单位工作台", exact=True)).to_be_visible()
    page.get_by_label("单位登记邮箱").fill(address)
    page.get_by_role("button", name="发送工作台链接").click()
    expect(page.get_by_role("status").filter(has_text="工作台链接已发送")).to_be_visible()
    link = outbox_link(page, stack, page_name="desk.html", must_contain=address, before=before)

    page.goto(link)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("在办诉求")
    unit = heading.inner_text().split(" · ")[0]
    cards = page.locator(".desk-list .desk-card")
    expect(cards).to_have_count(listed)
    expect(page.locator(".desk-counts")).to_contain_text(f"在办 {listed} 件")
    # Most urgent first: every carded case before every other, 红牌 before 黄牌.
    classes = [cards.nth(i).get_attribute("class") or "" for i in range(listed)]
    rank = [0 if "desk-card-red" in c else 1 if "desk-card-yellow" in c else 2 for c in classes]
    assert rank == sorted(rank), classes
    # It fits the phone: nothing pushes the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    first = cards.first.locator(".desk-open")
    title = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/handle\.html#t=[A-Za-z0-9_-]+$"))
    expect(page.locator(".who")).to_contain_text(unit)
    expect(page.locator(".who")).to_contain_text("牵头单位")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    assert_clean(problems, stack)

    # The weekly link the unit had was replaced by the one it asked for: the page says so in
    # Chinese and offers the form again.
    page.goto(old_link)
    expect(page.get_by_role("heading", name="工作台链接无效或已失效")).to_be_visible()
    expect(page.get_by_text("此工作台链接已被更新的链接取代")).to_be_visible()
    expect(page.get_by_label("单位登记邮箱")).to_be_visible()
    assert_clean(problems)  # the 410 is the browser's console line, nothing else
