"""知识库 and reply templates in the browser (§16, issue 18 §4), against the demo city: the
常见问题 page searches the public answers (never the internal one) on a 360 px phone; the
submit page suggests an answer while a citizen types a 咨询; a unit's template, saved through
its desk link, fills the handling page's reply form with the case's id and title."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_the_faq_page_finds_the_public_answer_and_never_the_internal_one(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/faq.html"))
    expect(page.locator(".faq-item").first).to_be_visible()
    page.get_by_label("搜索问题").fill("公积金贷款")
    first = page.locator(".faq-item").first
    expect(first).to_contain_text("住房公积金贷款最高能贷多少？")
    first.locator("summary").click()
    expect(first).to_contain_text("临江市住房公积金管理中心")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("搜索问题").fill("拆迁补偿标准")
    expect(page.get_by_role("status")).to_have_text("没有找到相关问题。")
    expect(page.locator(".faq-item")).to_have_count(0)  # the internal entry stays internal
    assert_clean(problems, stack)


def test_the_submit_page_suggests_an_answer_to_a_consultation(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/submit.html"))
    page.get_by_label("标题").press_sequentially("电动自行车上牌要什么材料", delay=20)
    panel = page.locator(".kb-suggest")
    expect(panel).to_be_hidden()  # not a 咨询 yet
    page.get_by_role("radio", name=re.compile("咨询")).check()
    expect(panel).to_be_visible()
    item = panel.locator(".kb-item").filter(has_text="电动自行车怎么上牌？需要什么材料？")
    expect(item).to_have_count(1)
    item.locator("summary").click()
    expect(item).to_contain_text("30日内登记上牌")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_clean(problems, stack)


def _desk_token(stack: Stack, email: str) -> str:
    _, before = stack.call("GET", "/api/dev/outbox")
    used = {m["body"] for m in before["messages"]}
    status, _ = stack.call("POST", "/api/desk/request", {"email": email})
    assert status == 202
    message = stack.wait_for_message(
        lambda m: m["to"] == email and "desk.html#t=" in m["body"] and m["body"] not in used
    )
    token = re.search(r"desk\.html#t=([A-Za-z0-9_-]+)", message["body"])
    assert token, message["body"]
    return token.group(1)


def test_a_units_template_fills_the_reply_form_on_the_handling_page(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    desk = {"X-Link-Token": _desk_token(stack, "housing@linjiang.example")}
    template = "您好！关于您反映的“{标题}”（编号 {编号}），我局已于{今天}派员核查并处理完毕。"
    status, saved = stack.call(
        "PUT",
        "/api/desk/templates",
        {"templates": [{"name": "已核查处理", "text": template}]},
        desk,
    )
    assert status == 200, saved
    bearer = {"Authorization": f"Bearer {stack.staff_session('coordinator@wenzheng.example')}"}
    created = stack.submit("翠湖花园小区楼道灯长期不亮")
    link = stack.accept_and_assign(created["case_id"], bearer)
    token = {"X-Link-Token": link.split("#t=", 1)[1]}
    status, signed = stack.call("POST", "/api/handle/sign", {}, token)
    assert status == 200, signed
    page.goto(stack.url(link))
    page.get_by_role("button", name="答复", exact=True).click()
    page.get_by_label("答复模板（选填）").select_option(label="已核查处理")
    text = page.get_by_label("答复内容")
    expect(text).to_have_value(re.compile(re.escape(created["case_id"])))
    expect(text).to_have_value(re.compile("翠湖花园小区楼道灯长期不亮"))
    assert "{" not in text.input_value()
    assert_clean(problems, stack)
