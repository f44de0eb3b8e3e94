"""补充材料 through the pages against the local stack: the department asks the citizen on its
handling page (on a phone), the case waits and its reply clock stands still (the handling page,
the public case page and the console say so), the citizen answers on the tracking page, and the
handling page shows the answer with the reply clock running again."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

import schemas
from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ROOT / "build" / "screenshots"
PHONE_390 = {"width": 390, "height": 844}
COORDINATOR = "coordinator@wenzheng.example"
QUESTION = "请补充漏水的具体位置（几号楼、哪个单元）以及每天大约什么时候漏水最严重。"
ANSWER = "是3号楼2单元地下车库入口的顶棚，白天一直滴水，晚上下班时间最严重。"
ASKED = schemas.load("handle-request-info")["properties"]["question"]  # the limits the form reads


def shanghai(at: str) -> str:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def assigned(stack: Stack, bearer: dict[str, str]) -> tuple[str, str, str]:
    """A public case accepted and assigned to 市住房和城乡建设局 through the API: (case id,
    tracking code, the department's link from the dev outbox)."""
    created = stack.submit("地下车库入口顶棚漏水（补充材料）")
    link = stack.accept_and_assign(created["case_id"], bearer)
    return created["case_id"], created["tracking_code"], link


def test_the_department_asks_the_citizen_answers_and_the_clock_runs_again(
    stack: Stack, phone: tuple[Any, PageProblems], desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.set_viewport_size(PHONE_390)
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = stack.staff_session(COORDINATOR)
    case_id, code, link = assigned(stack, {"Authorization": f"Bearer {token}"})

    # The department signs, then asks; a question too short is refused beside the field.
    page.goto(stack.url(link))
    page.get_by_role("button", name="签收", exact=True).click()
    confirm(page, "确认签收")
    expect(page.get_by_text("已签收。请在答复时限内答复留言人。")).to_be_visible()
    page.get_by_role("button", name="请留言人补充材料").click()
    question = page.get_by_label("需补充的材料")
    expect(question).to_be_focused()
    question.fill("楼号")
    form = page.locator("form.action-form")
    form.get_by_role("button", name="请留言人补充").click()
    expect(form.locator('[data-field="question"] .field-error')).to_have_text(
        f"需补充的材料至少 {ASKED['minLength']} 个字"
    )
    question.fill(QUESTION)
    expect(form.locator(".counter")).to_have_text(
        f"已输入 {len(QUESTION)} / {ASKED['maxLength']} 字"
    )
    form.screenshot(path=str(SHOTS / "handle-request-info-form-phone390.png"))
    form.get_by_role("button", name="请留言人补充").click()
    confirm(page, "确认提交")
    expect(page.get_by_text("已请留言人补充材料，答复时限暂停计时。")).to_be_visible()

    status, view = stack.call("GET", "/api/handle", headers={"X-Link-Token": link.split("=")[1]})
    assert status == 200, view
    due = shanghai(view["case"]["info_request"]["due_at"])
    waiting = page.locator(".waiting")
    expect(waiting).to_contain_text(
        f"等待留言人补充材料，答复时限暂停计时，留言人最迟于 {due} 前补充"
    )
    expect(waiting).to_contain_text(QUESTION)
    expect(page.locator(".case-heading .state")).to_have_text("待补充材料")
    deadlines = page.locator(".facts-deadlines")
    expect(deadlines.locator(".paused")).to_have_text("暂停计时")
    expect(page.get_by_role("button", name="答复", exact=True)).to_have_count(0)
    page.screenshot(path=str(SHOTS / "handle-waiting-phone390.png"), full_page=True)

    # The public case page names the wait by the public's label.
    since = shanghai(view["case"]["clock_paused"]["since"])
    page.goto(stack.url(f"/case.html?id={case_id}"))
    expect(page.locator(".case-heading .state")).to_have_text("待补充")
    expect(page.locator(".paused-note")).to_have_text(
        f"答复时限暂停计时（等待留言人补充材料，自 {since} 起，最迟至 {due}）"
    )

    # The citizen reads the question on the tracking page and answers it.
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    panel = page.locator("section.supplement")
    expect(panel.get_by_role("heading", name="请您补充材料")).to_be_visible()
    expect(panel.locator(".question")).to_have_text(QUESTION)
    expect(panel).to_contain_text(f"{due} 前")
    panel.get_by_role("button", name="提交补充材料").click()
    expect(panel.locator('[data-field="text"] .field-error')).to_have_text("请填写补充内容")
    panel.get_by_label("补充内容").fill(ANSWER)
    panel.screenshot(path=str(SHOTS / "track-supplement-form-phone390.png"))
    panel.get_by_role("button", name="提交补充材料").click()
    confirm(page, "确认提交")
    expect(page.locator(".alert-success .alert-title")).to_have_text("补充材料已提交")
    answered = page.locator("section.supplement")
    expect(answered.get_by_role("heading", name="您补充的材料")).to_be_visible()
    expect(answered.locator(".answer")).to_have_text(ANSWER)
    expect(page.locator(".case-heading .state")).to_have_text("办理中")
    answered.screenshot(path=str(SHOTS / "track-supplement-answered-phone390.png"))
    page.screenshot(path=str(SHOTS / "track-supplement-answered-full-phone390.png"), full_page=True)

    # Back on the handling page: the answer, the pause it cost, the reply clock running again.
    page.goto(stack.url(link))
    request = page.locator(".info-request")
    expect(request).to_contain_text(QUESTION)
    expect(request.locator(".info-answer")).to_contain_text(ANSWER)
    expect(request).to_contain_text(re.compile(r"答复时限(顺延 [\d.]+ 个工作小时|不变)"))
    expect(page.locator(".case-heading .state")).to_have_text("办理中")
    expect(page.locator(".waiting")).to_have_count(0)
    reply_row = page.locator(".facts-deadlines .fact", has_text="答复时限")
    expect(reply_row.locator(".badge")).to_have_text(re.compile(r"^剩余 "))
    expect(page.get_by_role("button", name="答复", exact=True)).to_be_visible()
    page.screenshot(path=str(SHOTS / "handle-answered-phone390.png"), full_page=True)
    assert_clean(problems, stack)

    # The console lists the request with its answer in the case panel.
    staff, staff_problems = desktop
    session = json.dumps({"session_token": token})
    staff.add_init_script(f"sessionStorage.setItem('wenzheng.staff', {json.dumps(session)})")
    staff.goto(stack.url(f"/staff.html?case={case_id}"))
    section = staff.locator(
        ".case-panel section.panel", has=staff.get_by_role("heading", name="补充材料")
    )
    expect(section.locator(".info-request")).to_contain_text(QUESTION)
    expect(section.locator(".info-answer")).to_contain_text(ANSWER)
    assert_clean(staff_problems, stack)
