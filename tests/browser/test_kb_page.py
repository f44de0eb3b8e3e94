"""知识库管理 (kb.html, §16, issue 18): a coordinator lists the 知识库, adds an entry, edits it,
is told when someone else changed it meanwhile (409 stale_entry), and retires it; the public
search then finds it no more."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"
QUESTION = "城市公园冬季开放时间是几点到几点？"


def test_a_coordinator_adds_edits_and_retires_an_entry(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    sign_in(page, stack, COORDINATOR)
    page.get_by_role("link", name="知识库管理").click()
    expect(page.get_by_role("heading", name="知识库管理", level=1)).to_be_visible()
    expect(page.locator(".kb-item").first).to_be_visible()

    page.get_by_role("button", name="新增条目").click()
    page.get_by_label("问题", exact=True).fill(QUESTION)
    page.get_by_label("答案", exact=True).fill(
        "冬季（11月至次年2月）市区各公园开放时间为6:00至21:00。"
    )
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("答案来源单位").fill("临江市园林绿化局")
    page.get_by_role("button", name="添加条目").click()
    expect(page.get_by_text("已添加条目。")).to_be_visible()
    item = page.locator(".kb-item", has_text=QUESTION)
    expect(item).to_contain_text("第 1 版")

    # Someone else changes it after this page read it: the edit is refused, then redone.
    item.get_by_role("button", name=f"编辑：{QUESTION}").click()
    bearer = {"Authorization": f"Bearer {stack.staff_session('admin@wenzheng.example')}"}
    status, found = stack.call("GET", f"/api/staff/kb?q={quote('城市公园冬季开放')}", None, bearer)
    entry = next(e for e in found["items"] if e["question"] == QUESTION)
    change = {k: entry[k] for k in ("question", "answer", "category", "source_unit", "public")}
    status, _ = stack.call("PUT", f"/api/staff/kb/{entry['id']}", {**change, "version": 1}, bearer)
    assert status == 200
    page.get_by_label("答案", exact=True).fill(
        "冬季各公园开放时间为6:00至20:30，节假日延长至21:00。"
    )
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("该条目已被他人修改")).to_be_visible()
    page.get_by_role("button", name="载入最新版本").click()
    expect(page.get_by_role("heading", name="编辑条目（第 2 版）")).to_be_visible()
    page.get_by_label("答案", exact=True).fill(
        "冬季各公园开放时间为6:00至20:30，节假日延长至21:00。"
    )
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("已保存修改。")).to_be_visible()
    expect(item).to_contain_text("第 3 版")

    item.get_by_role("button", name=f"停用：{QUESTION}").click()
    confirm(page, "确认停用")
    expect(page.get_by_text(f"已停用：{QUESTION}")).to_be_visible()
    expect(page.locator(".kb-item", has_text=QUESTION)).to_have_count(0)
    stale = [e for e in problems.console_errors if "status of 409" in e]  # the refused edit
    assert len(stale) == 1, problems.console_errors
    problems.console_errors = [e for e in problems.console_errors if e not in stale]
    assert_clean(problems, stack)
    status, public = stack.call("GET", f"/api/kb?q={quote('城市公园冬季开放时间')}")
    assert status == 200 and QUESTION not in {e["question"] for e in public["items"]}
