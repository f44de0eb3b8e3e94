"""The static site against the real local stack: the board, the XSS guard, and the whole
walk a case takes through the pages (citizen → coordinator → department → citizen)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

XSS = "<img src=x onerror=alert(1)>"
# What the dev outbox page makes a link of (frontend/assets/js/outbox.js, URL_PATTERN).
URL = re.compile(r"https?://[^\s<>\"'（）()，。、]+")


def submit_case(page: Any, stack: Stack, title: str, *, public: bool = True) -> tuple[str, str]:
    """Fill 我要留言 as a citizen would; return (case id, tracking code) from the success view."""
    page.goto(stack.url("/submit.html"))
    page.get_by_label("投诉", exact=False).first.check()
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("所在区域").select_option("city")
    page.get_by_label("地址").fill("翠湖街与解放路交叉口")  # 城乡建设 投诉 need a place
    page.get_by_label("标题").fill(title)
    page.get_by_label("留言内容").fill(
        "滨河路与翠湖街交叉口的路灯已经一周不亮，夜里行人和骑车的人都很不安全，请尽快修复。"
    )
    page.get_by_label("姓名（选填）").fill("李小梅")
    page.get_by_label("手机号码").fill("13800001234")
    page.get_by_label("电子邮箱").fill("li@example.com")
    if public:
        page.get_by_label("我同意在公开留言板上展示这条留言").check()
    # A double click must still create one case (Idempotency-Key + busy button).
    page.get_by_role("button", name="提交留言").dblclick()
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    expect(page.get_by_text("请妥善保存，查询码只显示这一次")).to_be_visible()
    case_id = page.locator("#case-id").inner_text().strip()
    code = page.locator("#tracking-code").inner_text().strip()
    assert case_id and code
    return case_id, code


def outbox_link(
    page: Any,
    stack: Stack,
    *,
    page_name: str,
    must_contain: str | tuple[str, ...],
    before: set[str],
) -> str:
    """The newest link to `page_name`, not one of `before`, in a message containing
    `must_contain` (each of them), as the dev outbox page shows it. The stack's timer delivers
    a message a moment after it is written: that is waited for through the outbox's API."""
    texts = (must_contain,) if isinstance(must_contain, str) else must_contain

    def fresh(message: dict[str, Any]) -> list[str]:
        links = URL.findall(message["body"])
        return [u for u in links if f"{page_name}#t=" in u and u not in before]

    def wanted(message: dict[str, Any]) -> bool:
        shown = f"{message['to']} {message['subject'] or ''} {message['body']}"
        return all(text in shown for text in texts) and bool(fresh(message))

    href = fresh(stack.wait_for_message(wanted))[-1]
    page.goto(stack.url("/outbox.html"))
    article = page.locator("article.message")
    for text in texts:
        article = article.filter(has_text=text)
    link = article.locator(f'a[href="{href}"]')
    expect(link.first).to_be_visible()
    return href


def outbox_hrefs(page: Any, stack: Stack, page_name: str) -> set[str]:
    page.goto(stack.url("/outbox.html"))
    expect(page.locator(".messages .loading")).to_have_count(0)
    links = page.locator(f'a[href*="{page_name}#t="]')
    return {links.nth(i).get_attribute("href") or "" for i in range(links.count())}


def confirm(page: Any, button: str) -> None:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def assert_clean(problems: PageProblems, stack: Stack | None = None) -> None:
    """No alert(), no script error; with the stack: no console error at all and no request
    that left the stack's origin."""
    assert not problems.dialogs, problems.dialogs
    assert not problems.errors, problems.errors
    if stack is not None:
        assert not problems.console_errors, problems.console_errors
        assert not problems.off_origin(stack.base), problems.off_origin(stack.base)
        assert problems.requests  # the watch saw the page at all


def test_board_shows_demo_cases(stack: Stack, desktop: tuple[Any, PageProblems]) -> None:
    page, problems = desktop
    page.goto(stack.url("/index.html"))
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 5
    first_link = cards.first.locator("h2 a")
    assert (first_link.get_attribute("href") or "").startswith("case.html?id=")
    # Filters populated from /api/taxonomy and /api/departments, reflected in the URL.
    page.get_by_label("办理状态").select_option("closed")
    expect(page).to_have_url(re.compile(r"state=closed"))
    expect(cards.first).to_be_visible()
    for badge in page.locator("article.card .state").all_inner_texts():
        assert badge == "已办结"
    first_link = cards.first.locator("h2 a")
    title = first_link.inner_text()
    first_link.click()
    expect(page.locator("h1.case-title")).to_have_text(title)
    expect(page.get_by_role("heading", name="办理过程")).to_be_visible()
    assert_clean(problems)


def test_xss_title_is_shown_as_characters(stack: Stack, phone: tuple[Any, PageProblems]) -> None:
    page, problems = phone
    case_id, code = submit_case(page, stack, XSS)
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    title = page.locator(".case-title")
    expect(title).to_have_text(XSS)
    # No element made of the title anywhere, so nothing whose onerror could run.
    expect(page.locator("main img")).to_have_count(0)
    expect(page.locator("img[onerror]")).to_have_count(0)
    assert_clean(problems)


def track(page: Any, stack: Stack, case_id: str, code: str) -> None:
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".case-heading .state")).to_be_visible()


def reply(page: Any, outcome: str, text: str) -> None:
    page.get_by_role("button", name="答复", exact=True).click()
    page.get_by_label("答复类型").select_option(outcome)
    page.get_by_label("答复内容").fill(text)
    page.get_by_role("button", name="提交答复").click()
    confirm(page, "确认答复")
    expect(page.get_by_text("答复已提交，已通知留言人。")).to_be_visible()
    expect(page.locator(".case-heading .state")).to_have_text("已答复")


def test_the_whole_loop_through_the_pages_only(
    stack: Stack, desktop: tuple[Any, PageProblems], phone: tuple[Any, PageProblems]
) -> None:
    """Citizen submits → coordinator accepts and assigns → the department opens its link from
    the dev outbox, signs and replies → the citizen rates 不满意 and the case reopens → the
    department replies again from its fresh link → the citizen rates 满意 and the case closes.
    Only the pages are used; no console error, no request leaves the origin."""
    page, problems = desktop
    title = "滨河路路灯一周不亮（页面全流程）"  # no other test submits it
    case_id, code = submit_case(page, stack, title)

    # Coordinator signs in through the emailed link (dev outbox).
    before = outbox_hrefs(page, stack, "staff.html")
    page.goto(stack.url("/staff.html"))
    page.get_by_label("工作邮箱").fill("coordinator@wenzheng.example")
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.get_by_role("heading", name="请查收登录邮件")).to_be_visible()
    link = outbox_link(
        page,
        stack,
        page_name="staff.html",
        must_contain="coordinator@wenzheng.example",
        before=before,
    )
    page.goto(link)
    expect(page.locator(".staff-email")).to_have_text("coordinator@wenzheng.example")
    assert "#" not in page.url  # the single-use token left the address bar

    # Accept and assign from the queue.
    expect(page.get_by_role("heading", name="总平台工作台")).to_be_visible()
    page.locator(".tabs").get_by_role("button", name=re.compile("^待受理")).click()
    page.get_by_role("link", name=re.compile(re.escape(title))).click()
    panel = page.locator(".case-panel")
    expect(panel.locator(".case-title")).to_have_text(title)
    expect(panel.get_by_text("13800001234")).to_be_visible()
    panel.get_by_label("一般", exact=False).check()
    panel.get_by_role("button", name="受理", exact=True).click()
    confirm(page, "确认受理")
    expect(panel.get_by_text("已受理，请继续交办。")).to_be_visible()

    hpage, hproblems = phone
    before_handle = outbox_hrefs_for_case(hpage, stack, case_id)
    panel.get_by_label("筛选牵头单位").fill("住房和城乡建设")
    panel.get_by_label("选择牵头单位").select_option("city-housing")
    panel.get_by_role("button", name="交办", exact=True).click()
    confirm(page, "确认交办")
    expect(panel.get_by_text("已交办，办理链接已发送给承办单位。")).to_be_visible()
    expect(panel.locator(".case-heading .state")).to_have_text("已交办")

    # The department opens its link on a phone, signs and replies.
    link = outbox_link(
        hpage, stack, page_name="handle.html", must_contain=case_id, before=before_handle
    )
    hpage.goto(link)
    expect(hpage.locator(".who")).to_contain_text("市住房和城乡建设局")
    expect(hpage.locator(".who")).to_contain_text("牵头单位")
    expect(hpage.locator('a[href^="tel:"]')).to_be_visible()
    hpage.get_by_role("button", name="签收", exact=True).click()
    confirm(hpage, "确认签收")
    expect(hpage.get_by_text("已签收。请在答复时限内答复留言人。")).to_be_visible()
    reply(hpage, "explained", "您好！该路段路灯线路已列入检修计划，我局将安排施工单位尽快处理。")

    # The citizen is not satisfied: the case goes back to the department.
    before_handle = outbox_hrefs_for_case(hpage, stack, case_id)
    track(page, stack, case_id, code)
    expect(page.locator(".reply-text")).to_contain_text("列入检修计划")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("评价意见（选填）").fill("一周过去了路灯还是不亮，只说列入计划没有用。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("评价已提交")).to_be_visible()
    expect(page.get_by_text("诉求已退回承办单位重新办理")).to_be_visible()
    expect(page.locator(".case-heading .state")).to_have_text("重办中")
    expect(page.locator(".case-heading")).to_contain_text("重办 1 次")

    # The department's old link has ended; the fresh one from the reopen email opens the
    # reopened case (another email of the case may land meanwhile with a link of the old
    # assignment), and the second reply goes to the citizen.
    link = outbox_link(
        hpage,
        stack,
        page_name="handle.html",
        must_contain=(case_id, "留言人对答复不满意，请重新办理并答复"),
        before=before_handle,
    )
    hpage.goto(link)
    expect(hpage.locator(".case-heading .state")).to_have_text("重办中")
    expect(hpage.locator(".rating-comment")).to_contain_text("一周过去了路灯还是不亮")
    reply(
        hpage,
        "resolved",
        "您好！经现场核查，该路段路灯因线路老化故障，我局已于今日更换线路，路灯已恢复照明。感谢您的监督！",
    )

    # The citizen rates the second reply satisfied and the case closes.
    track(page, stack, case_id, code)
    expect(page.locator(".reply-text").last).to_contain_text("路灯已恢复照明")
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("评价已提交")).to_be_visible()
    expect(page.locator(".case-heading .state")).to_have_text("已办结")

    # The public case page tells the whole story.
    page.goto(stack.url(f"/case.html?id={case_id}"))
    expect(page.locator("h1.case-title")).to_have_text(title)
    timeline = page.locator(".timeline")
    for step in ("受理", "交办", "签收", "答复", "重办", "办结"):
        expect(timeline).to_contain_text(step)
    expect(page.locator(".reply-text")).to_have_count(2)
    assert_clean(problems, stack)
    assert_clean(hproblems, stack)


def test_keyboard_alone_submits_a_case(stack: Stack, desktop: tuple[Any, PageProblems]) -> None:
    """Tab, arrows, space and typing: no pointer. Each control is reached by Tab in order."""
    page, problems = desktop
    page.goto(stack.url("/submit.html"))
    expect(page.get_by_role("button", name="提交留言")).to_be_visible()
    keys = page.keyboard

    def tab_to(selector: str) -> None:
        for _ in range(60):
            keys.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    def choose(selector: str, value: str) -> None:
        tab_to(selector)
        for _ in range(40):
            if page.locator(selector).input_value() == value:
                return
            keys.press("ArrowDown")
        raise AssertionError(f"arrows never reached {value} in {selector}")

    tab_to('input[type="radio"]')
    keys.press("Space")  # the first kind
    choose('select[name="category"]', "urban")
    choose('select[name="district"]', "city")
    tab_to('input[name="title"]')
    keys.type("键盘提交：翠湖街人行道地砖松动")
    tab_to('textarea[name="content"]')
    keys.type("翠湖街人行道有十几块地砖松动，下雨天一踩就溅水，老人容易摔倒，请尽快修复。")
    tab_to('input[name="phone"]')
    keys.type("13800002468")
    tab_to('input[name="public"]')
    keys.press("Space")
    tab_to('button[type="submit"]')
    keys.press("Enter")
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    case_id = page.locator("#case-id").inner_text().strip()
    code = page.locator("#tracking-code").inner_text().strip()
    status, case = stack.call("POST", f"/api/cases/{case_id}/track", {"tracking_code": code})
    assert status == 200, case
    assert case["title"] == "键盘提交：翠湖街人行道地砖松动" and case["public"] is True, case
    assert case["contact"]["phone"].endswith("13800002468"), case
    assert_clean(problems, stack)


def outbox_hrefs_for_case(page: Any, stack: Stack, case_id: str) -> set[str]:
    page.goto(stack.url("/outbox.html"))
    expect(page.locator(".messages .loading")).to_have_count(0)
    links = page.locator("article.message", has_text=case_id).locator('a[href*="handle.html#t="]')
    return {links.nth(i).get_attribute("href") or "" for i in range(links.count())}


def test_a_visitor_supports_a_case_from_the_keyboard_once_a_day(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    """附议 on the public case page: a real button (Enter works), the count goes up by one,
    the button is then off; after a reload the same visitor's repeat is not counted."""
    page, problems = phone
    status, board = stack.call("GET", "/api/cases?state=in_progress")
    assert status == 200 and board["items"], board
    case_id = board["items"][0]["case_id"]
    _, before = stack.call("GET", f"/api/cases/{case_id}")
    count = int(before["supports"])

    page.goto(stack.url(f"/case.html?id={case_id}"))
    button = page.get_by_role("button", name="我也遇到（附议）")
    shown = page.locator(".support-count")  # 附议 N / 阈值 T: against the 群众关注 threshold
    expect(shown).to_have_text(f"附议 {count} 人 / 阈值 30 人（7 日内）")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="已附议")).to_be_disabled()
    expect(shown).to_have_text(f"附议 {count + 1} 人 / 阈值 30 人（7 日内）")

    page.reload()
    page.get_by_role("button", name="我也遇到（附议）").click()
    expect(shown).to_have_text(f"附议 {count + 1} 人 / 阈值 30 人（7 日内）（您今天已附议）")
    assert stack.call("GET", f"/api/cases/{case_id}")[1]["supports"] == count + 1
    assert_clean(problems)


def test_submit_errors_leave_as_their_fields_are_put_right(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    """提交留言 on an empty form: a summary and a message beside each field. Each message goes
    as soon as its field is valid (typed, chosen, ticked), one still wrong says what is wrong
    now, the summary lists exactly the messages left and goes with the last. The server's own
    check (a malformed phone number) goes when the number is corrected."""
    page, problems = phone
    page.goto(stack.url("/submit.html"))
    page.get_by_role("button", name="提交留言").click()
    summary = page.locator("form .alert-error")
    shown = page.locator(".field-error:not([hidden])")
    messages = [
        "请选择留言类型",
        "请选择问题分类",
        "请选择所在区域",
        "请填写标题",
        "请填写留言内容",
        "手机号码和电子邮箱至少填写一项",
    ]
    expect(shown).to_have_text(messages)
    expect(summary.locator("li")).to_have_text(messages)
    expect(page.locator("[aria-invalid=true]")).to_have_count(6)

    def left(*still: str) -> None:
        expect(shown).to_have_text(list(still))
        expect(summary.locator("li")).to_have_text(list(still))
        expect(page.locator("[aria-invalid=true]")).to_have_count(len(still))

    page.get_by_label("投诉", exact=False).first.check()
    left(*messages[1:])
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("所在区域").select_option("city")
    left(*messages[3:])
    page.get_by_label("标题").fill("路灯")  # still too short: the message says so now
    left("标题至少 4 个字", *messages[4:])
    page.get_by_label("标题").fill("路灯不亮了")
    left(*messages[4:])
    page.get_by_label("留言内容").fill("滨河路与翠湖街交叉口的路灯已经一周不亮，请尽快修复。")
    left(messages[5])
    page.get_by_label("手机号码").fill("123")
    expect(shown).to_have_count(0)
    expect(summary).to_have_count(0)
    expect(page.locator("[aria-invalid]")).to_have_count(0)

    # The server's check: shown beside the phone number, gone once the number is corrected.
    page.get_by_role("button", name="提交留言").click()
    phone_error = page.locator('[data-field="contact.phone"] .field-error')
    expect(phone_error).to_have_text("请填写正确的中国大陆手机号（11 位）")
    expect(summary.locator("li")).to_have_text(["请填写正确的中国大陆手机号（11 位）"])
    page.get_by_label("手机号码").fill("13800001234")
    expect(phone_error).to_be_hidden()
    expect(summary).to_have_count(0)
    expect(page.get_by_label("手机号码")).not_to_have_attribute("aria-invalid", "true")
    assert_clean(problems)


def test_case_page_names_each_rating_once(stack: Stack, desktop: tuple[Any, PageProblems]) -> None:
    """A demo case the citizen sent back once: its first reply reads 留言人评价：不满意 and the
    second 留言人评价：满意 (or 基本满意), each with the time, never 评价：评价：."""
    page, problems = desktop
    status, closed = stack.call("GET", "/api/cases?state=closed")
    assert status == 200, closed
    reopened = next(c for c in closed["items"] if c["reopen_count"])
    status, case = stack.call("GET", f"/api/cases/{reopened['case_id']}")
    assert status == 200, case
    rated = [r["rating"] for r in case["replies"] if r["rating"]]
    assert rated[0]["rating"] == "unsatisfied", rated

    page.goto(stack.url(f"/case.html?id={case['case_id']}"))

    def when(at: str) -> str:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")

    expect(page.locator(".rating-block > p:first-child")).to_have_text(
        [f"留言人评价：{r['rating_label']} {when(r['at'])}" for r in rated]
    )
    expect(page.locator(".rating-block").first).to_contain_text("留言人评价：不满意")
    expect(page.get_by_text("评价：评价")).to_have_count(0)
    assert_clean(problems, stack)
