"""相似诉求 on the submit page (§14, issue 16 §1), on a 360 px phone against the demo city: a
citizen typing a report of the streetlights on 人民路 in 江城区 is shown the demo's public case
about them (c24) under the title, supports it instead of filing again, and can still go on;
"不是同一件事" puts the suggestion away."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

DEMO_TITLE = "人民路中段十几盏路灯不亮近一个月"


def type_report(page: Any) -> None:
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("所在区域").select_option("jiangcheng")
    page.get_by_label("标题").press_sequentially("人民路路灯坏了快一个月", delay=20)
    page.get_by_label("留言内容").fill(
        "人民路新华书店到东门菜市场那一段的路灯坏了快一个月了，晚上整段路黑漆漆的，"
        "去菜市场的老人很容易摔倒，请尽快修一下。"
    )


def test_a_citizen_is_shown_the_same_report_and_supports_it_instead(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/submit.html"))
    type_report(page)
    panel = page.locator(".similar")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text("以下留言可能与您反映的是同一件事")
    item = panel.locator(".similar-item").filter(has_text=DEMO_TITLE)
    expect(item).to_have_count(1)
    href = item.get_by_role("link", name=DEMO_TITLE).get_attribute("href") or ""
    assert href.startswith("/case.html?id=WZ"), href
    expect(item).to_contain_text("人附议")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the submit page scrolls sideways on a 360 px phone: {width}"

    item.get_by_role("button", name="这是同一件事：我要附议").click()
    expect(item.locator(".similar-done")).to_contain_text("人附议")
    expect(item.get_by_role("button", name="已附议")).to_be_disabled()
    expect(item.get_by_role("link", name="查看办理进展")).to_be_visible()
    assert_clean(problems, stack)


def test_not_the_same_puts_the_suggestion_away(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    page.goto(stack.url("/submit.html"))
    type_report(page)
    panel = page.locator(".similar")
    item = panel.locator(".similar-item").filter(has_text=DEMO_TITLE)
    expect(item).to_have_count(1)
    item.get_by_role("button", name="不是同一件事，继续提交").click()
    expect(panel.locator(".similar-item").filter(has_text=DEMO_TITLE)).to_have_count(0)
    # Typing on does not bring back what the citizen put away.
    with page.expect_response(lambda r: "/api/cases/similar" in r.url):
        page.get_by_label("标题").press_sequentially("，晚上很危险", delay=20)
    expect(panel.locator(".similar-item").filter(has_text=DEMO_TITLE)).to_have_count(0)
    assert_clean(problems, stack)


def test_the_coordinator_sees_the_likely_duplicate_of_a_new_case(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    from tests.browser.test_admin_page import sign_in

    page, problems = desktop
    created = stack.submit(
        "人民路新华书店门口那段路灯一直不亮",
        "人民路从新华书店到东门菜市场这段路灯坏了，晚上整条路黑漆漆的，老人去菜市场很不安全。",
        district="jiangcheng",
        location={"address": "人民路新华书店门口"},
    )
    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={created['case_id']}"))
    section = page.locator("section.similar-staff")
    expect(section.get_by_role("heading", name="可能重复的诉求")).to_be_visible()
    expect(section.get_by_role("link", name=DEMO_TITLE)).to_be_visible()
    expect(section).to_contain_text("文字相似度")
    assert_clean(problems, stack)


def test_the_coordinator_merges_a_duplicate_from_the_list_and_the_pages_say_so(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """并件 in the console: 并入此件 on the likely duplicate fills the form; once merged, the
    duplicate's citizen reads where it went and the primary's page counts it."""
    from tests.browser.test_admin_page import sign_in
    from tests.browser.test_pages import confirm

    page, problems = desktop
    bearer = {"Authorization": f"Bearer {stack.staff_session('coordinator@wenzheng.example')}"}
    place = {"address": "滨河路菜市场门口"}
    primary = stack.submit(
        "滨河路菜市场门口积水严重",
        "滨河路菜市场门口一下雨就积水，深的地方没过脚踝，老人买菜很不方便。",
        district="binhe",
        location=place,
    )
    status, _ = stack.call(
        "POST",
        f"/api/staff/cases/{primary['case_id']}/accept",
        {"urgency": "general", "public": True},
        bearer,
    )
    assert status == 200
    duplicate = stack.submit(
        "滨河路菜市场门口下雨积水",
        "一下雨滨河路菜市场门口就积水，买菜要蹚水，老人孩子很不方便。",
        district="binhe",
        location=place,
    )
    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={duplicate['case_id']}"))
    item = page.locator("section.similar-staff .similar-item").filter(
        has=page.get_by_role("link", name="滨河路菜市场门口积水严重")
    )
    item.get_by_role("button", name="并入此件").click()
    form = page.locator("details.action", has_text="并件").first
    expect(form.get_by_label("主件编号")).to_have_value(primary["case_id"])
    form.get_by_label("并件说明").fill("与主件是同一处积水")
    form.get_by_role("button", name="并件").click()
    confirm(page, "确认并件")
    expect(page.get_by_role("status").filter(has_text="已并入")).to_be_visible()
    expect(page.locator(".merge-note")).to_contain_text(primary["case_id"])

    page.goto(stack.url(f"/case.html?id={primary['case_id']}"))
    expect(page.locator(".merge-note")).to_have_text("1 件同类诉求已合并办理。")
    page.goto(stack.url(f"/track.html?id={duplicate['case_id']}"))
    page.get_by_label("查询码").fill(duplicate["tracking_code"])
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".merge-note")).to_contain_text("合并办理")
    assert_clean(problems, stack)


def test_a_merged_citizen_reads_the_primarys_reply_and_rates_it_on_a_phone(
    stack: Stack, phone: tuple[Any, PageProblems], desktop: tuple[Any, PageProblems]
) -> None:
    """并件, after the reply: the merged citizen's tracking page shows the primary's reply
    (主件答复) and a form to rate it; 不满意 with a reason is taken, shown back, and the
    coordinator's console flags the primary (并件不满意) in the queue and on the case."""
    from tests.browser.test_admin_page import sign_in

    page, problems = phone
    bearer = {"Authorization": f"Bearer {stack.staff_session('coordinator@wenzheng.example')}"}
    place = {"address": "翠湖街 12 号门口"}
    primary = stack.submit(
        "翠湖街12号门口井盖松动",
        "翠湖街 12 号门口的井盖松动，车一压就响，晚上很吵。",
        location=place,
    )
    link = stack.accept_and_assign(primary["case_id"], bearer)
    duplicate = stack.submit(
        "翠湖街井盖一压就响",
        "翠湖街 12 号门口那个井盖松了，车压过去哐当响，吵得睡不着。",
        location=place,
    )
    merged = {"into": primary["case_id"], "note": "同一个井盖"}
    status, answer = stack.call(
        "POST", f"/api/staff/cases/{duplicate['case_id']}/merge", merged, bearer
    )
    assert status == 200, answer
    token = {"X-Link-Token": link.split("#t=", 1)[1]}
    reply = {"outcome": "resolved", "text": "您好！松动的井盖已于今日更换加固，感谢您的反映。"}
    for path, body in (("/api/handle/sign", {}), ("/api/handle/reply", reply)):
        status, answer = stack.call("POST", path, body, token)
        assert status == 200, answer

    page.goto(stack.url(f"/track.html?id={duplicate['case_id']}"))
    page.get_by_label("查询码").fill(duplicate["tracking_code"])
    page.get_by_role("button", name="查询").click()
    section = page.locator("section", has=page.get_by_role("heading", name="主件答复"))
    expect(section).to_contain_text("井盖已于今日更换加固")
    form = page.locator("form.rating-form")
    expect(form.get_by_role("heading", name="评价主件答复")).to_be_visible()
    form.get_by_label("不满意", exact=True).check()
    form.get_by_label("评价意见（选填）").fill("换了以后还是会响")
    form.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status").filter(has_text="评价已提交")).to_be_visible()
    expect(page.locator("form.rating-form")).to_have_count(0)
    expect(section.locator(".reply")).to_contain_text("不满意")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert_clean(problems, stack)

    console, console_problems = desktop
    sign_in(console, stack, "coordinator@wenzheng.example")
    console.goto(stack.url("/staff.html?merged_unsatisfied=1&state=replied"))
    item = console.locator(".queue-item", has_text=primary["case_id"])
    expect(item.locator(".badge", has_text="并件不满意 1")).to_be_visible()
    item.click()
    flag = console.locator(".merged-complaints")
    expect(flag).to_contain_text(duplicate["case_id"])
    expect(flag).to_contain_text("换了以后还是会响")
    assert_clean(console_problems, stack)
