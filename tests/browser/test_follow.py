"""关注 through the pages on a 360 px phone against the local stack: a visitor follows a demo
case from its page (关注此件 → 请查收确认邮件), opens the confirmation link from the dev outbox
and confirms; the citizen adds an address on the tracking page; a follower of a case that is
then replied opens the unsubscribe link of the reply e-mail and leaves with one click. Opening
either link changes nothing by itself."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean, outbox_link
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ROOT / "build" / "screenshots"
COORDINATOR = "coordinator@wenzheng.example"
VISITOR = "visitor.follow@example.net"
NEIGHBOUR = "neighbour.follow@example.net"
CONFIRM = "follow.html?do=confirm"
UNSUBSCRIBE = "follow.html?do=unsubscribe"


def open_demo_case(stack: Stack) -> dict[str, Any]:
    """A public demo case whose handling goes on (nothing here changes it)."""
    for state in ("in_progress", "assigned", "accepted", "reopened"):
        status, page = stack.call("GET", f"/api/cases?state={state}")
        assert status == 200, page
        if page["items"]:
            return dict(page["items"][0])
    raise AssertionError("the demo city has no open public case")


def links_in(stack: Stack, marker: str) -> set[str]:
    _, outbox = stack.call("GET", "/api/dev/outbox")
    return {
        u for m in outbox["messages"] for u in re.findall(r"https?://\S+", m["body"]) if marker in u
    }


def test_a_visitor_follows_a_demo_case_on_a_phone_and_confirms_from_the_mail(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    case = open_demo_case(stack)
    before = links_in(stack, CONFIRM)

    page.goto(stack.url(f"/case.html?id={case['case_id']}"))
    form = page.locator("form.follow")
    expect(form.get_by_role("heading", name="关注此件")).to_be_visible()
    form.get_by_role("button", name="关注此件").click()  # no address yet: said beside the field
    expect(form.locator('[data-field="email"] .field-error')).to_have_text("请填写电子邮箱")
    form.get_by_label("电子邮箱").fill(VISITOR)
    form.get_by_role("button", name="关注此件").click()
    expect(form.get_by_text("请查收确认邮件")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    SHOTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=str(SHOTS / "case-follow-phone360.png"))

    href = outbox_link(page, stack, page_name=CONFIRM, must_contain=VISITOR, before=before)
    page.goto(href)
    expect(page.get_by_role("heading", name="确认关注")).to_be_visible()
    assert "#t=" not in page.url, "the token leaves the address bar at once"
    page.get_by_role("button", name="确认关注").click()
    expect(page.get_by_text("已关注：这条诉求有新进展时，我们会发邮件通知您。")).to_be_visible()
    expect(page.get_by_role("link", name=f"查看诉求 {case['case_id']}")).to_be_visible()
    page.screenshot(path=str(SHOTS / "follow-confirmed-phone360.png"))
    # The same link again (a fresh load, not a jump within the page): used, said so.
    page.goto("about:blank")
    page.goto(href)
    page.get_by_role("button", name="确认关注").click()
    expect(page.get_by_text("该确认链接已使用过：您已关注该诉求")).to_be_visible()
    assert_clean(problems)


def test_a_follower_leaves_with_the_link_of_the_reply_mail(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    bearer = {"Authorization": f"Bearer {stack.staff_session(COORDINATOR)}"}
    created = stack.submit("翠湖街路灯又坏了（关注测试）")
    case_id = created["case_id"]
    link = stack.accept_and_assign(case_id, bearer)
    before = links_in(stack, CONFIRM)
    status, _ = stack.call("POST", f"/api/cases/{case_id}/follow", {"email": NEIGHBOUR})
    assert status == 202
    confirm = outbox_link(page, stack, page_name=CONFIRM, must_contain=NEIGHBOUR, before=before)
    token = confirm.split("#t=", 1)[1]
    status, _ = stack.call("POST", "/api/follows/confirm", {"token": token})
    assert status == 200

    # The citizen adds another address on the tracking page: the same double opt-in.
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(created["tracking_code"])
    page.get_by_role("button", name="查询").click()
    own = page.locator("form.follow")
    expect(own.get_by_role("heading", name="用邮箱关注办理进展")).to_be_visible()
    own.get_by_label("电子邮箱").fill("li.other@example.com")
    own.get_by_role("button", name="关注此件").click()
    expect(own.get_by_text("请查收确认邮件")).to_be_visible()
    stack.wait_for_message(
        lambda m: m["to"] == "li.other@example.com" and m["template"] == "follow_confirm"
    )

    handler = {"X-Link-Token": link.split("#t=", 1)[1]}
    for action, body in (
        ("sign", {}),
        ("reply", {"outcome": "resolved", "text": "您好！路灯控制箱已更换，现已恢复照明。"}),
    ):
        status, answer = stack.call("POST", f"/api/handle/{action}", body, handler)
        assert status == 200, answer
    href = outbox_link(
        page, stack, page_name=UNSUBSCRIBE, must_contain=(NEIGHBOUR, "已答复"), before=set()
    )

    page.goto(href)
    expect(page.get_by_role("heading", name="取消关注")).to_be_visible()
    page.get_by_role("button", name="取消关注").click()
    expect(page.get_by_text("已取消关注：您不会再收到这条诉求的通知。")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_clean(problems, stack)
