"""A department handler on a phone on a bad connection: the server took the action but its
answer never arrived. The page says 网络异常; the handler taps again; the page sends the same
Idempotency-Key with the same body, the server replays its first answer, and the case holds
one 签收 and one 答复, not a refusal as a stale case and not two."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import confirm
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"
REPLY = "您好！经现场核查，路灯控制箱故障已于今日修复，夜间照明已恢复。感谢您的反映。"


class LoseFirstAnswer:
    """Route handler: the first request reaches the stack, its answer is dropped (the page's
    fetch fails as on a lost connection); later ones pass. Keeps every request's key."""

    def __init__(self) -> None:
        self.keys: list[str | None] = []
        self.first_status: int | None = None

    def __call__(self, route: Any) -> None:
        self.keys.append(route.request.headers.get("idempotency-key"))
        if self.first_status is None:
            self.first_status = route.fetch().status
            route.abort("connectionreset")
        else:
            route.continue_()


def _assigned(stack: Stack) -> tuple[str, str, dict[str, str]]:
    """A case accepted and assigned to 市住房和城乡建设局: (case id, handling link, bearer)."""
    bearer = {"Authorization": f"Bearer {stack.staff_session(COORDINATOR)}"}
    case_id = stack.submit("翠湖路路灯连续一周不亮（网络中断）")["case_id"]
    return case_id, stack.accept_and_assign(case_id, bearer), bearer


def test_a_retry_after_a_lost_answer_replays_it_instead_of_failing_or_acting_twice(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    case_id, link, bearer = _assigned(stack)
    page.goto(stack.url(link))

    # 签收: the first tap's answer is lost; the second tap replays it.
    signing = LoseFirstAnswer()
    page.route("**/api/handle/sign", signing)
    page.get_by_role("button", name="签收", exact=True).click()
    confirm(page, "确认签收")
    expect(page.get_by_text("网络异常，请稍后重试")).to_be_visible()
    page.get_by_role("button", name="签收", exact=True).click()
    confirm(page, "确认签收")
    expect(page.get_by_text("已签收。请在答复时限内答复留言人。")).to_be_visible()
    assert signing.first_status == 200
    assert len(signing.keys) == 2 and signing.keys[0] and signing.keys[0] == signing.keys[1]

    # 答复 through its form: the same body again is the same action.
    replying = LoseFirstAnswer()
    page.route("**/api/handle/reply", replying)
    page.get_by_role("button", name="答复", exact=True).click()
    page.get_by_label("答复类型").select_option("resolved")
    page.get_by_label("答复内容").fill(REPLY)
    page.get_by_role("button", name="提交答复").click()
    confirm(page, "确认答复")
    expect(page.get_by_text("网络异常，请稍后重试")).to_be_visible()
    page.get_by_role("button", name="提交答复").click()
    confirm(page, "确认答复")
    expect(page.get_by_text("答复已提交，已通知留言人。")).to_be_visible()
    expect(page.locator(".case-heading .state")).to_have_text("已答复")
    assert replying.first_status == 200
    assert len(replying.keys) == 2 and replying.keys[0] and replying.keys[0] == replying.keys[1]
    assert replying.keys[0] != signing.keys[0]  # another action, another key

    status, case = stack.call("GET", f"/api/staff/cases/{case_id}", headers=bearer)
    assert status == 200, case
    types = [e["type"] for e in case["events"]]
    assert types.count("signed") == 1 and types.count("replied") == 1, types
    assert case["state"] == "replied"
    assert not problems.errors and not problems.dialogs
