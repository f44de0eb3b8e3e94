"""单位工作台 on a 360 px phone: a unit asks for its desk link on the desk page, opens it from
the e-mail in the dev outbox, sees its open cases most urgent first, and opens one into the
handling view; once it asks again, the link it opened says it was replaced."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, PageProblems
from tests.browser.test_pages import URL, assert_clean, outbox_hrefs, outbox_link
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# A demo unit with several open cases as lead (infra/demo): other browser tests hand their
# cases to other units, and the accessibility proof opens another unit's desk.
UNIT = "binhe-gov@linjiang.example"


def desk_links(messages: list[dict[str, Any]], address: str) -> set[str]:
    return {
        u
        for m in messages
        if m["to"] == address
        for u in URL.findall(m["body"])
        if "desk.html#t=" in u
    }


def fresh_desk_link(stack: Stack, address: str) -> str:
    """Ask for ``address``'s unit's desk link (as the desk page does) and take the link from
    the e-mail that comes: it replaces the unit's link before."""
    _, outbox = stack.call("GET", "/api/dev/outbox")
    before = desk_links(outbox["messages"], address)
    status, _ = stack.call("POST", "/api/desk/request", {"email": address})
    assert status == 202
    message = stack.wait_for_message(lambda m: bool(desk_links([m], address) - before))
    return (desk_links([message], address) - before).pop()


def test_a_unit_opens_its_desk_from_the_e_mailed_link_and_a_case_from_the_desk(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone

    # Without a link the page asks for one; it is e-mailed to the unit's registered address.
    before = outbox_hrefs(page, stack, "desk.html")
    page.goto(stack.url("/desk.html"))
    expect(page.get_by_role("heading", name="单位工作台", exact=True)).to_be_visible()
    page.get_by_label("单位登记邮箱").fill(UNIT)
    page.get_by_role("button", name="发送工作台链接").click()
    expect(page.get_by_role("status").filter(has_text="工作台链接已发送")).to_be_visible()
    link = outbox_link(page, stack, page_name="desk.html", must_contain=UNIT, before=before)

    page.goto(link)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("在办诉求")
    unit = heading.inner_text().split(" · ")[0]
    cards = page.locator(".desk-list .desk-card")
    expect(cards.first).to_be_visible()
    listed = cards.count()
    assert listed >= 2
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

    # Asked for again (another of the unit's handlers): the link opened above was replaced,
    # and the page says so in Chinese and offers the form again.
    fresh_desk_link(stack, UNIT)
    page.goto(link)
    expect(page.get_by_role("heading", name="工作台链接无效或已失效")).to_be_visible()
    expect(page.get_by_text("此工作台链接已被更新的链接取代")).to_be_visible()
    expect(page.get_by_label("单位登记邮箱")).to_be_visible()
    assert_clean(problems)  # the 410 is the browser's console line, nothing else
