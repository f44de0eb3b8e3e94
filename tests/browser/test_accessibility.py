"""Accessibility proof: every state of every page of the site (the happy ones, and no id, an
unknown id, a wrong tracking code, a missing, forged or ended link, signed out, the wrong role,
empty results, the error messages of a form), at phone width (360 px) and again widened to
desktop, run through axe-core (WCAG 2.x A/AA rules plus axe's best practices) with no
violations, exactly one h1, every visible form control has an accessible name, and nothing
pushes the page sideways. Each state is also saved as a full-page screenshot under
build/screenshots/<state>-<phone|desktop>.png for people to look at (not committed; not under
CI).

axe-core is pinned in tests/browser/package-lock.json; `make browser-deps` installs it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, new_context
from tests.browser.test_desk import fresh_desk_link
from tests.browser.test_map import locate_board, locate_case, serve_districts
from tests.browser.test_talk_record import freeze_flagged
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "build" / "screenshots"
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
COORDINATOR = "coordinator@wenzheng.example"
ADMIN = "admin@wenzheng.example"
AUDITOR = "auditor@wenzheng.example"
SUPERVISOR = "supervisor@wenzheng.example"
LEADER = "leader@wenzheng.example"


@dataclass(frozen=True)
class Demo:
    """What the pages are opened with: a public case, a case waiting for the coordinator, a
    department's magic link (from the dev outbox) for a case assigned to it, a link whose
    task has ended (the department replied, the citizen was satisfied, the case closed), and
    a case waiting for the citizen's 补充材料 (its id, tracking code and the lead's link), and a
    demo unit's desk link."""

    public_case: str
    pending_case: str
    handle_link: str
    ended_link: str
    sessions: dict[str, dict[str, Any]]  # staff email → its session (POST /api/staff/session)
    waiting: tuple[str, str, str]
    merged: tuple[str, str]  # 并件: a case merged into a replied primary (id, tracking code)
    desk_link: str  # 单位工作台: a demo unit's desk link (another unit than test_desk.py's)


def _token(body: str, page: str) -> str:
    found = re.search(rf"{re.escape(page)}#t=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _sign_in_token(stack: Stack, email: str) -> str:
    """A fresh single-use staff sign-in token, taken from the dev outbox."""

    def tokens(messages: list[dict[str, Any]]) -> set[str]:
        return {
            _token(m["body"], "staff.html")
            for m in messages
            if m["to"] == email and "staff.html#t=" in m["body"]
        }

    _, outbox = stack.call("GET", "/api/dev/outbox")
    before = tokens(outbox["messages"])
    status, _ = stack.call("POST", "/api/staff/sign-in", {"email": email})
    assert status == 202
    message = stack.wait_for_message(lambda m: bool(tokens([m]) - before))
    return _token(message["body"], "staff.html")


def _assigned(stack: Stack, bearer: dict[str, str], title: str) -> tuple[str, str, str]:
    """A public case accepted and assigned to 市住房和城乡建设局: (case id, tracking code, the
    department's link token from the dev outbox)."""
    created = stack.submit(title)
    link = stack.accept_and_assign(created["case_id"], bearer)
    return created["case_id"], created["tracking_code"], link.split("#t=", 1)[1]


@pytest.fixture(scope="module")
def demo(stack: Stack) -> Demo:
    status, listing = stack.call("GET", "/api/cases")
    assert status == 200 and listing["items"], listing
    public_case = listing["items"][0]["case_id"]

    elevator = "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快督促维修。"
    pending_case = stack.submit("小区电梯停运两个月无人维修（无障碍检查）", elevator)["case_id"]
    # Sign-ins are rate-limited per address and per IP: the states that only need someone
    # signed in share one session per role.
    sessions = {}
    for email in (COORDINATOR, AUDITOR, LEADER, ADMIN):
        status, sessions[email] = stack.call(
            "POST", "/api/staff/session", {"token": _sign_in_token(stack, email)}
        )
        assert status == 200, sessions[email]
    bearer = {"Authorization": f"Bearer {sessions[COORDINATOR]['session_token']}"}
    _, _, token = _assigned(stack, bearer, "翠湖街路灯夜里不亮（无障碍检查）")

    # A task that has ended: replied, rated 满意, closed; its link now answers 410.
    closed, code, ended = _assigned(stack, bearer, "滨河路井盖松动（无障碍检查）")
    link = {"X-Link-Token": ended}
    reply = {"outcome": "resolved", "text": "您好！井盖已于今日更换加固，感谢您的反映。"}
    for path, body in (("/api/handle/sign", {}), ("/api/handle/reply", reply)):
        status, answer = stack.call("POST", path, body, link)
        assert status == 200, answer
    rating = {"tracking_code": code, "rating": "satisfied"}
    status, answer = stack.call("POST", f"/api/cases/{closed}/rating", rating)
    assert status == 200 and answer["state"] == "closed", answer
    status, answer = stack.call("GET", "/api/handle", headers=link)
    assert status == 410, answer

    # 补充材料: signed, then the lead asks the citizen; the case waits for the answer.
    waiting, waiting_code, asking = _assigned(stack, bearer, "地下车库顶棚漏水（无障碍检查）")
    question = {"question": "请补充漏水的具体位置（几号楼、哪个单元）。"}
    for path, body in (("/api/handle/sign", {}), ("/api/handle/request-info", question)):
        status, answer = stack.call("POST", path, body, {"X-Link-Token": asking})
        assert status == 200, answer

    # 并件: a duplicate merged into a case, which is then replied.
    primary, _, answering = _assigned(stack, bearer, "北门路口信号灯故障（无障碍检查）")
    merged = stack.submit("北门路口红绿灯坏了（无障碍检查）", "北门路口的红绿灯一直闪黄灯。")
    status, answer = stack.call(
        "POST",
        f"/api/staff/cases/{merged['case_id']}/merge",
        {"into": primary, "note": "同一个路口的信号灯"},
        bearer,
    )
    assert status == 200, answer
    reply = {"outcome": "resolved", "text": "您好！北门路口信号灯控制器已更换，恢复正常运行。"}
    for path, body in (("/api/handle/sign", {}), ("/api/handle/reply", reply)):
        status, answer = stack.call("POST", path, body, {"X-Link-Token": answering})
        assert status == 200, answer
    return Demo(
        public_case,
        pending_case,
        f"/handle.html#t={token}",
        f"/handle.html#t={ended}",
        sessions,
        (waiting, waiting_code, f"/handle.html#t={asking}"),
        (merged["case_id"], merged["tracking_code"]),
        fresh_desk_link(stack, "qingshui-gov@linjiang.example"),
    )


def _open_staff(page: Any, stack: Stack, demo: Demo, email: str, query: str = "") -> None:
    """The console, signed in as ``email`` (the session the sign-in left in the tab: the
    e-mailed link's own path is the console tests' and the sign-in states' business)."""
    _signed_in(page, demo, email)
    page.goto(stack.url(f"/staff.html{query}"))
    expect(page.locator(".staff-email")).to_have_text(email)


def _staff_case(page: Any, stack: Stack, demo: Demo) -> None:
    _open_staff(page, stack, demo, COORDINATOR, f"?case={demo.pending_case}")
    expect(page.locator(".case-panel .case-title")).to_be_visible()


def _staff_hotspots(page: Any, stack: Stack, demo: Demo) -> None:
    """The console's 预警 tab with the demo's 停水 warning and its cases unfolded."""
    _open_staff(page, stack, demo, COORDINATOR, "?card=hotspots")
    warning = page.locator(".hotspot").filter(has_text="停水").first
    expect(warning).to_be_visible()
    warning.locator("summary").click()
    expect(warning.locator(".hotspot-cases a").first).to_be_visible()


def _staff_answer(page: Any, stack: Stack, demo: Demo) -> None:
    """直接答复 open on a 咨询, with the 知识库 hits found and one entry taken."""
    created = stack.submit(
        "电动自行车上牌要带什么材料（无障碍检查）",
        "请问新买的电动自行车去哪里上牌？",
        kind="consultation",
        category="transport",
    )
    _open_staff(page, stack, demo, COORDINATOR, f"?case={created['case_id']}")
    form = page.locator("details.action", has_text="直接答复").first
    form.evaluate("details => { details.open = true; }")
    form.get_by_label("检索知识库").fill("电动自行车上牌")
    form.get_by_role("button", name="检索").click()
    form.locator(".kb-hits li").first.get_by_role("button", name="采用此条").click()
    expect(form.locator(".kb-chosen")).to_be_visible()


def _rankings_talk_form(page: Any, stack: Stack, demo: Demo) -> None:
    """记录约谈 beside a flag, for a signed-in coordinator, after an empty submit."""
    freeze_flagged(stack, "2025-05")
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/rankings.html?month=2025-05"))
    form = page.locator("#talk-form")
    form.get_by_role("button", name="保存约谈记录").click()
    expect(form.locator(".field-error:not([hidden])").first).to_be_visible()


def _kb(page: Any, stack: Stack, demo: Demo) -> None:
    """知识库管理: the list and the edit form of an entry."""
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/kb.html"))
    page.locator(".kb-item").first.get_by_role("button", name="编辑").click()
    expect(page.locator(".kb-form")).to_be_visible()


def _kb_errors(page: Any, stack: Stack, demo: Demo) -> None:
    """新增条目 sent empty: the form's own error messages."""
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/kb.html"))
    page.get_by_role("button", name="新增条目").click()
    page.get_by_role("button", name="添加条目").click()
    expect(page.locator(".kb-form .field-error:not([hidden])").first).to_be_visible()


def _admin(page: Any, stack: Stack, demo: Demo) -> None:
    _signed_in(page, demo, ADMIN)
    page.goto(stack.url("/admin.html"))
    expect(page.get_by_role("heading", name="时限与工作日历设置", level=1)).to_be_visible()


def _admin_reset_totp(page: Any, stack: Stack, demo: Demo) -> None:
    """The directory's staff list with a second factor enrolled and one locked (the demo
    stack has the policy off: the list is the stack's, those two fields set on the way), each
    with its 重置二次验证 button. (Its confirmation is the shared confirmDialog; with a modal
    open the page behind it is inert, which the form-control check here would read as
    unnamed.)"""

    def staff(route: Any) -> None:
        answer = route.fetch()
        listed = answer.json()
        for account in listed["items"]:
            if account["email"] == COORDINATOR:
                account["second_factor"] = "enrolled"
            if account["email"] == AUDITOR:
                account["second_factor"] = "enrolled"
                account["second_factor_locked_until"] = "2099-01-01T00:00:00Z"
        route.fulfill(response=answer, json=listed)

    page.route("**/api/admin/staff", staff)
    _signed_in(page, demo, ADMIN)
    page.goto(stack.url("/admin.html"))
    expect(page.locator(f'tr[data-staff="{AUDITOR}"]')).to_contain_text("锁定至")
    expect(page.get_by_role("button", name=f"重置二次验证 {COORDINATOR}")).to_be_visible()


def _audit(page: Any, stack: Stack, demo: Demo) -> None:
    """审计查询 signed in: results, a case's history, an export and its check."""
    _open_staff(page, stack, demo, AUDITOR)  # staff.html sends an auditor on to audit.html
    expect(page).to_have_url(stack.url("/audit.html"))
    page.locator(".case-link").first.click()
    expect(page.locator(".audit-case .verdict")).to_be_visible()
    page.get_by_role("button", name="导出当前查询结果").click()
    page.get_by_role("button", name="核对导出").click()
    expect(page.locator(".export-result .alert")).to_have_count(2)
    expect(page.locator("section", has_text="访问记录").locator("tbody tr").first).to_be_visible()


def _track_replied(page: Any, stack: Stack, demo: Demo) -> None:
    """The citizen's private view of a replied demo case, with the rating form."""
    found = re.search(r"(WZ\d{8}-\w+)\s+(\w+)\s+replied", "".join(stack.output))
    assert found, "the stack banner lists no replied demo case"
    page.goto(stack.url(f"/track.html?id={found.group(1)}"))
    page.get_by_label("查询码").fill(found.group(2))
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="评价办理结果")).to_be_visible()


def _track_rating_unchosen(page: Any, stack: Stack, demo: Demo) -> None:
    """提交评价 without choosing: the rating form's own error message."""
    _track_replied(page, stack, demo)
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".rating-form .field-error:not([hidden])")).to_have_text(
        "请选择满意、基本满意或不满意"
    )


def _track_supplement(page: Any, stack: Stack, demo: Demo) -> None:
    """The citizen's view while the department waits for 补充材料: the question and the form."""
    case_id, code, _ = demo.waiting
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="请您补充材料")).to_be_visible()


def _track_merged(page: Any, stack: Stack, demo: Demo) -> None:
    """并件: the merged citizen's view of the primary's reply, with the form to rate it."""
    case_id, code = demo.merged
    page.goto(stack.url(f"/track.html?id={case_id}"))
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="评价主件答复")).to_be_visible()


def _track_wrong_code(page: Any, stack: Stack, demo: Demo) -> None:
    page.goto(stack.url(f"/track.html?id={demo.pending_case}"))
    page.get_by_label("查询码").fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".lookup .alert-error")).to_be_visible()


def _submit_errors(page: Any, stack: Stack, demo: Demo) -> None:
    """提交留言 on an empty form: the summary and a message beside each field."""
    page.goto(stack.url("/submit.html"))
    page.get_by_role("button", name="提交留言").click()
    expect(page.locator("form .alert-error li").first).to_be_visible()
    expect(page.locator(".field-error:not([hidden])")).to_have_count(6)


def _staff_sign_in_error(page: Any, stack: Stack, demo: Demo) -> None:
    page.goto(stack.url("/staff.html"))
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.locator(".field-error")).to_have_text("请输入有效的邮箱地址")


def _staff_sign_in_sent(page: Any, stack: Stack, demo: Demo) -> None:
    page.goto(stack.url("/staff.html"))
    page.get_by_label("工作邮箱").fill("nobody@wenzheng.example")
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.get_by_role("heading", name="请查收登录邮件", level=1)).to_be_visible()


def _signed_in(page: Any, demo: Demo, email: str) -> None:
    """The tab holds ``email``'s session, as the console keeps it after a sign-in."""
    session = json.dumps(demo.sessions[email])
    page.add_init_script(f"sessionStorage.setItem('wenzheng.staff', {json.dumps(session)})")


def _admin_wrong_role(page: Any, stack: Stack, demo: Demo) -> None:
    """An auditor may not see the settings."""
    _signed_in(page, demo, AUDITOR)
    page.goto(stack.url("/admin.html"))
    expect(page.get_by_text("当前账号无权查看此页面")).to_be_visible()


def _audit_wrong_role(page: Any, stack: Stack, demo: Demo) -> None:
    """A coordinator may not query the audit record."""
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/audit.html"))
    expect(page.get_by_text("当前账号无权查看此页面")).to_be_visible()


def _dashboard(page: Any, stack: Stack, demo: Demo) -> None:
    """领导驾驶舱 as a leader: the charts, their tables, and the cases behind a figure."""
    _signed_in(page, demo, LEADER)
    page.goto(stack.url("/dashboard.html"))
    expect(page.locator(".chart-table").first).to_be_visible()
    page.locator(".dash-figure .figure-link").first.click()
    expect(page.locator(".dash-cases li").first).to_be_visible()


def _dashboard_wrong_role(page: Any, stack: Stack, demo: Demo) -> None:
    """An auditor reads no figures."""
    _signed_in(page, demo, AUDITOR)
    page.goto(stack.url("/dashboard.html"))
    expect(page.get_by_text("当前账号无权查看领导驾驶舱")).to_be_visible()


def _dashboard_empty(page: Any, stack: Stack, demo: Demo) -> None:
    """A window with no cases: zeros, empty charts, the tables still there."""
    _signed_in(page, demo, LEADER)
    page.goto(stack.url("/dashboard.html?from=2020-01-01&to=2020-01-31"))
    expect(page.locator(".chart-table").first).to_be_visible()


def _audit_no_results(page: Any, stack: Stack, demo: Demo) -> None:
    _signed_in(page, demo, AUDITOR)
    page.goto(stack.url("/audit.html"))
    expect(page.locator(".audit-results")).to_be_visible()
    page.get_by_label("起始月份").fill("2020-01")
    page.get_by_label("截止月份").fill("2020-01")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator(".audit-results .alert-info")).to_contain_text("没有符合条件的诉求")


# 监督评议 (§16): the demo supervisor's session, opened once for the states that need it.
_SUPERVISOR: dict[str, Any] = {}


def _as_supervisor(page: Any, stack: Stack) -> dict[str, str]:
    """The tab holds the supervisor's session; returns its ``Authorization`` header."""
    if not _SUPERVISOR:
        token = _sign_in_token(stack, SUPERVISOR)
        status, session = stack.call("POST", "/api/staff/session", {"token": token})
        assert status == 200, session
        _SUPERVISOR.update(session)
    stored = json.dumps(json.dumps(_SUPERVISOR))
    page.add_init_script(f"sessionStorage.setItem('wenzheng.staff', {stored})")
    return {"Authorization": f"Bearer {_SUPERVISOR['session_token']}"}


def _review(page: Any, stack: Stack, demo: Demo) -> None:
    """The supervisor's page with the review form open and its empty-text error shown."""
    _as_supervisor(page, stack)
    page.goto(stack.url("/review.html"))
    card = page.locator("li.card", has=page.get_by_role("button", name="写评议")).first
    href = card.locator("h3 a").get_attribute("href")
    card.get_by_role("button", name="写评议").click()
    form = page.locator("li.card", has=page.locator(f'h3 a[href="{href}"]')).locator("form")
    form.get_by_role("button", name="提交评议").click()
    expect(form.locator(".field-error")).to_be_visible()


def _review_wrong_role(page: Any, stack: Stack, demo: Demo) -> None:
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/review.html"))
    expect(page.get_by_text("当前账号无权查看此页面")).to_be_visible()


def _staff_reviews(page: Any, stack: Stack, demo: Demo) -> None:
    """The console's 监督评议审核 list holding a pending review (written here)."""
    bearer = _as_supervisor(page, stack)
    _, mine = stack.call("GET", "/api/staff/reviews/mine", headers=bearer)
    status, closed = stack.call("GET", "/api/cases?state=closed")
    assert status == 200, closed
    done = {r["case_id"] for r in mine["items"]}
    case_id = next(c["case_id"] for c in closed["items"] if c["case_id"] not in done)
    body = {"text": "答复及时，说明清楚，建议把办理经验总结推广。"}
    status, answer = stack.call("POST", f"/api/staff/cases/{case_id}/reviews", body, bearer)
    assert status == 200, answer
    _signed_in(page, demo, COORDINATOR)
    page.goto(stack.url("/staff.html"))
    page.get_by_role("button", name="监督评议审核").click()
    expect(page.locator(".case-panel .review-item").first).to_be_visible()


def _case_reviewed(page: Any, stack: Stack, demo: Demo) -> None:
    """A closed demo case with the demo supervisor's approved 评议."""
    bearer = {"Authorization": f"Bearer {demo.sessions[COORDINATOR]['session_token']}"}
    status, approved = stack.call("GET", "/api/staff/reviews?state=approved", headers=bearer)
    assert status == 200 and approved["items"], approved
    page.goto(stack.url(f"/case.html?id={approved['items'][-1]['case_id']}"))
    expect(page.locator("section.reviews article.review").first).to_be_visible()


def _board_no_results(page: Any, stack: Stack, demo: Demo) -> None:
    query = "kind=praise&state=reopened"  # nobody reopens a thank-you
    status, listing = stack.call("GET", f"/api/cases?{query}")
    assert status == 200 and not listing["items"], listing
    page.goto(stack.url(f"/index.html?{query}"))
    expect(page.get_by_text("暂无符合条件的公开留言。")).to_be_visible()


def _overdue_none(page: Any, stack: Stack, demo: Demo) -> None:
    status, listing = stack.call("GET", "/api/overdue?department=city-power")
    assert status == 200 and not listing["items"], listing
    page.goto(stack.url("/overdue.html?department=city-power"))
    expect(page.get_by_text("该单位目前没有超期红牌件。")).to_be_visible()


def _submit_map(page: Any, stack: Stack, demo: Demo) -> None:
    """我要留言 with the district map and a pin put by a click (its status message shown)."""
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    page.get_by_role("button", name="在地图中心放置标记").click()
    expect(page.locator(".map-pin")).to_have_count(1)


def _submit_no_map(page: Any, stack: Stack, demo: Demo) -> None:
    """A city without district boundaries: the address field alone."""
    serve_districts(page, empty=True)
    page.goto(stack.url("/submit.html"))
    expect(page.get_by_label("地址")).to_be_visible()


def _board_map(page: Any, stack: Stack, demo: Demo) -> None:
    """The board's map view: pins and clusters, one cluster opened (its list of cases)."""
    serve_districts(page)
    locate_board(page)
    page.goto(stack.url("/index.html"))
    page.get_by_role("button", name="地图").click()
    page.locator(".map-cluster").first.click()
    expect(page.locator(".board-map-list a").first).to_be_visible()


def _case_map(page: Any, stack: Stack, demo: Demo) -> None:
    serve_districts(page)
    locate_case(page)
    page.goto(stack.url(f"/case.html?id={demo.public_case}"))
    expect(page.locator(".case-place .map-pin")).to_have_count(1)


def _desk(page: Any, stack: Stack, demo: Demo) -> None:
    """A unit's desk (单位工作台) with its open cases."""
    page.goto(demo.desk_link)
    expect(page.locator(".desk-list .desk-card").first).to_be_visible()


def _mine_cases(page: Any, stack: Stack, demo: Demo) -> None:
    """我的诉求 signed in with a code to a demo citizen's number: the number's cases."""
    number = "+8613800000142"  # a demo citizen with two cases
    status, _ = stack.call("POST", "/api/citizen/otp", {"phone": number})
    assert status == 202
    sms = stack.wait_for_message(lambda m: m["to"] == number and "验证码为" in m["body"])
    found = re.search(r"验证码为(\d{6})", sms["body"])
    assert found
    status, session = stack.call(
        "POST", "/api/citizen/session", {"phone": number, "code": found.group(1)}
    )
    assert status == 200, session
    stored = json.dumps(json.dumps(session))
    page.add_init_script(f"sessionStorage.setItem('wenzheng.mine', {stored})")
    page.goto(stack.url("/mine.html"))
    expect(page.locator(".mine-card").first).to_be_visible()


# A month's 通报 as GET /api/rankings/{month}/bulletin answers it (functions/domain/bulletin.py).
BULLETIN = {
    "month": "2026-10",
    "title": "江城市网络问政工作月度通报（2026年10月）",
    "produced_at": "2026-10-31T16:30:00Z",
    "ranking_frozen_at": "2026-10-31T16:30:00Z",
    "headline": {
        "received": 412,
        "assigned": 380,
        "replied": 351,
        "closed": 322,
        "replied_on_time_rate": 0.9345,
        "satisfied_rate": 0.8712,
    },
    "change": {
        "received": 23,
        "assigned": -4,
        "replied": 0,
        "closed": 12,
        "replied_on_time_rate": 0.012,
        "satisfied_rate": -0.03,
    },
    "levels": [
        {
            "level": "departments",
            "label": "市直部门",
            "ranked": 12,
            "top": [{"id": "d1", "name": "市住房和城乡建设局", "rank": 1, "score": 95.2}],
            "bottom": [{"id": "d9", "name": "市城市管理局", "rank": 12, "score": 61.0}],
        },
        {"level": "counties", "label": "区县", "ranked": 0, "top": [], "bottom": []},
    ],
    "talk_flags": [{"id": "d9", "name": "市城市管理局", "level": "市直部门", "talk": True}],
    "talks": [
        {
            "id": "2026-09-d9",
            "month": "2026-09",
            "unit": {"id": "d9", "name": "市城市管理局"},
            "ranking": "city",
            "held_on": "2026-10-08",
            "reasons": "连续两个月排名后三位，按时答复率偏低",
            "rectify_by": "2026-10-31",
            "status": "reported",
            "status_label": "已报整改",
            "rectification": {
                "text": "已建立答复时限台账，逐件督办。",
                "reported_at": "2026-10-20T02:00:00Z",
                "late": False,
            },
        }
    ],
    "hotspots": [],
    "showcase": [
        {
            "case_id": "WZ20261001-ABC123",
            "title": "小区电梯停运三天无人维修",
            "department": {"id": "d1", "name": "市住房和城乡建设局"},
            "excerpt": "电梯三天内修复，居民满意。",
        }
    ],
}


def _bulletin(page: Any, stack: Stack, demo: Demo) -> None:
    """The print page of a month's 通报 (its content served as the API answers it)."""

    def answer(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(BULLETIN))

    page.route("**/api/rankings/2026-10/bulletin", answer)
    page.goto(stack.url("/bulletin.html?month=2026-10"))
    expect(page.get_by_role("heading", name=BULLETIN["title"])).to_be_visible()


def _faq_search(page: Any, stack: Stack, demo: Demo) -> None:
    """常见问题 searched, one answer opened."""
    page.goto(stack.url("/faq.html?q=公积金贷款"))
    page.locator(".faq-item summary").first.click()
    page.locator(".faq-item details[open]").first.wait_for()


def _second_step(step: str) -> dict[str, Any]:
    """``POST /api/staff/session``'s answer for a role the second-factor policy names (the
    local stack has the policy off): the enrolment, or the code prompt."""
    answer: dict[str, Any] = {
        "step": step,
        "step_token": "s" * 43,
        "email": "coordinator@wenzheng.example",
        "name": "协调员 王敏",
        "expires_at": "2026-11-02T02:10:00Z",
    }
    if step == "enrol":
        import segno

        uri = "otpauth://totp/%E7%BD%91%E7%BB%9C%E9%97%AE%E6%94%BF:coordinator%40wenzheng.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=%E7%BD%91%E7%BB%9C%E9%97%AE%E6%94%BF"
        answer["enrolment"] = {
            "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "otpauth_uri": uri,
            "qr_svg": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
            "recovery_codes": [f"k7mqx-3pa9f-zt2b{c}" for c in "abcdefghjk"],
        }
    return answer


def _staff_totp(step: str) -> Callable[[Any, Stack, Demo], None]:
    def go(page: Any, stack: Stack, demo: Demo) -> None:
        def session(route: Any) -> None:
            body = json.dumps(_second_step(step), ensure_ascii=False)
            route.fulfill(status=200, content_type="application/json", body=body)

        def wrong(route: Any) -> None:
            error = {"error": {"code": "code_rejected", "message": "动态验证码不正确"}}
            body = json.dumps(error, ensure_ascii=False)
            route.fulfill(status=401, content_type="application/json", body=body)

        page.route("**/api/staff/session", session)
        page.route("**/api/staff/session/verify", wrong)
        page.goto(stack.url("/staff.html#t=" + "t" * 43))
        if step == "enrol":
            expect(page.get_by_role("heading", name="设置动态验证码", level=1)).to_be_visible()
            expect(page.locator(".totp-recovery li")).to_have_count(10)
        else:
            page.get_by_label("6 位动态验证码").fill("123456")
            page.get_by_role("button", name="登录").click()
            expect(page.locator(".field-error:not([hidden])")).to_be_visible()

    return go


def _visit(path: str | Callable[[Demo], str]) -> Callable[[Any, Stack, Demo], None]:
    def go(page: Any, stack: Stack, demo: Demo) -> None:
        page.goto(stack.url(path(demo) if callable(path) else path))

    return go


PAGES: dict[str, Callable[[Any, Stack, Demo], None]] = {
    "index": _visit("/index.html"),
    "index-no-results": _board_no_results,
    "case": _visit(lambda d: f"/case.html?id={d.public_case}"),
    "case-no-id": _visit("/case.html"),
    "case-unknown-id": _visit("/case.html?id=WZ20000101-AAAAAA"),
    "case-paused": _visit(lambda d: f"/case.html?id={d.waiting[0]}"),
    "case-map": _case_map,
    "index-map": _board_map,
    "submit-map": _submit_map,
    "submit-no-map": _submit_no_map,
    "submit": _visit("/submit.html"),
    "submit-errors": _submit_errors,
    "track": _visit("/track.html"),
    "track-wrong-code": _track_wrong_code,
    "track-replied": _track_replied,
    "track-rating-unchosen": _track_rating_unchosen,
    "track-supplement": _track_supplement,
    "track-merged": _track_merged,
    "mine": _visit("/mine.html"),
    "mine-cases": _mine_cases,
    "overdue": _visit("/overdue.html"),
    "overdue-none": _overdue_none,
    "showcase": _visit("/showcase.html"),
    "faq": _visit("/faq.html"),
    "faq-search": _faq_search,
    "faq-no-results": _visit("/faq.html?q=火星移民签证"),
    "unsatisfied": _visit("/unsatisfied.html"),
    "index-hot": _visit("/index.html?sort=supports"),
    "rankings": _visit("/rankings.html"),
    "rankings-empty-month": _visit("/rankings.html?month=2026-03"),
    "rankings-month-not-begun": _visit("/rankings.html?month=2099-01"),
    "rankings-talk-form": _rankings_talk_form,
    "bulletin": _bulletin,
    "bulletin-no-month": _visit("/bulletin.html"),
    "api": _visit("/api.html"),
    "outbox": _visit("/outbox.html"),
    "staff-signed-out": _visit("/staff.html"),
    "staff-forged-link": _visit("/staff.html#t=forged-sign-in-token"),
    "staff-sign-in-error": _staff_sign_in_error,
    "staff-sign-in-sent": _staff_sign_in_sent,
    "staff-totp-enrol": _staff_totp("enrol"),
    "staff-totp-wrong-code": _staff_totp("verify"),
    "staff-case": _staff_case,
    "staff-hotspots": _staff_hotspots,
    "staff-answer": _staff_answer,
    "admin-signed-out": _visit("/admin.html"),
    "admin-wrong-role": _admin_wrong_role,
    "admin": _admin,
    "admin-reset-totp": _admin_reset_totp,
    "kb-signed-out": _visit("/kb.html"),
    "kb": _kb,
    "kb-errors": _kb_errors,
    "audit-signed-out": _visit("/audit.html"),
    "audit-wrong-role": _audit_wrong_role,
    "audit-no-results": _audit_no_results,
    "audit": _audit,
    "review-signed-out": _visit("/review.html"),
    "review-wrong-role": _review_wrong_role,
    "review": _review,
    "staff-reviews": _staff_reviews,
    "case-reviewed": _case_reviewed,
    "dashboard-signed-out": _visit("/dashboard.html"),
    "dashboard-wrong-role": _dashboard_wrong_role,
    "dashboard-empty": _dashboard_empty,
    "dashboard": _dashboard,
    "handle": _visit(lambda d: d.handle_link),
    "handle-waiting": _visit(lambda d: d.waiting[2]),
    "handle-no-link": _visit("/handle.html"),
    "handle-forged-link": _visit("/handle.html#t=forged-link-token"),
    "handle-ended-link": _visit(lambda d: d.ended_link),
    "desk": _desk,
    "desk-no-link": _visit("/desk.html"),
    "desk-forged-link": _visit("/desk.html#t=forged-desk-token"),
    "follow-confirm": _visit("/follow.html?do=confirm#t=forged-follow-token"),
    "follow-unsubscribe": _visit("/follow.html?do=unsubscribe#t=forged-follow-token"),
    "follow-no-link": _visit("/follow.html"),
}

# Every visible form control must have an accessible name (label, aria-label(ledby), title).
UNLABELLED = """() => {
  // checkVisibility also hides what sits in a closed <details> (content-visibility: hidden),
  // which getBoundingClientRect still measures.
  const visible = (el) => el.getBoundingClientRect().width > 0
    && el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true });
  axe.setup(document);  // axe's accessible-name computation needs its flattened tree
  try {
    return [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && visible(el))
      .filter((el) => !axe.commons.text.accessibleText(el).trim())
      .map((el) => el.outerHTML.slice(0, 160));
  } finally {
    axe.teardown();
  }
}"""


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(node['target'])}")
            lines.append(f"      {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n        ")
            lines.append(f"        {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


class Settled:
    """Waits until the page has had no request in flight for ``QUIET_MS``: what Playwright's
    ``networkidle`` does with 500 ms, which was a third of each state's time here (a page's
    next request follows the answer before it within a few milliseconds)."""

    QUIET_MS = 150
    STEP_MS = 25

    def __init__(self, page: Any) -> None:
        self.page = page
        self.pending: set[Any] = set()
        page.on("request", self._sent)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)

    def _sent(self, request: Any) -> None:
        self.pending.add(request)

    def _done(self, request: Any) -> None:
        self.pending.discard(request)

    def wait(self, timeout_ms: int = 15000) -> None:
        quiet = waited = 0
        while quiet < self.QUIET_MS:
            self.page.wait_for_timeout(self.STEP_MS)
            waited += self.STEP_MS
            quiet = 0 if self.pending else quiet + self.STEP_MS
            assert waited < timeout_ms, [r.url for r in self.pending]


@pytest.fixture
def page_at(browser: Any) -> Iterator[tuple[Any, Settled]]:
    """A page at phone width; the test widens it to desktop once the phone is checked."""
    context = new_context(
        browser,
        PHONE,
        reduced_motion="reduce",
        bypass_csp=True,  # add_script_tag inlines axe; the site CSP forbids inline scripts
    )
    try:
        page = context.new_page()
        yield page, Settled(page)
    finally:
        context.close()


def _check(page: Any, name: str, width: str) -> None:
    """One width of one state: a single visible h1 in main, no axe violation, every form
    control named, nothing wider than the viewport."""
    expect(page.locator(".loading")).to_have_count(0)
    expect(page.locator("h1")).to_have_count(1)  # each state names itself once
    expect(page.locator("main h1")).to_be_visible()

    if not os.environ.get("CI"):  # for people to look at; nobody looks at CI's
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)

    results = page.evaluate(
        """(tags) => axe.run(document, {
             runOnly: { type: 'tag', values: tags },
             resultTypes: ['violations'],
           })""",
        AXE_TAGS,
    )
    violations = results["violations"]
    assert not violations, f"axe found on {name} ({width}):\n{_describe(violations)}"

    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"form controls without an accessible name on {name} ({width}):\n" + (
        "\n".join(unlabelled)
    )

    # Nothing pushes the page sideways (wide tables scroll inside their own box; what a map
    # draws beyond its edge is clipped by its <svg>, which is measured itself).
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((el) => !el.closest('.table-scroll, .tabs') && !el.ownerSVGElement)
             .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
             .slice(0, 5).map((el) => el.outerHTML.slice(0, 120))"""
    )
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= page.viewport_size["width"] and not overflow, (name, width, scroll, overflow)


# States that are one short message on their page (nothing found, no or a refused link, the
# wrong role, signed out): their page's layout at desktop width is checked by its main state.
MESSAGE_ONLY = (
    "-no-results",
    "-no-id",
    "-unknown-id",
    "-none",
    "-empty",
    "-signed-out",
    "-wrong-role",
    "-no-link",
    "-forged-link",
    "-ended-link",
)


def _widths(name: str) -> dict[str, Any]:
    return {"phone": WIDTHS["phone"]} if name.endswith(MESSAGE_ONLY) else WIDTHS


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(stack: Stack, demo: Demo, page_at: Any, name: str) -> None:
    """Each state is reached once, at phone width, and checked; then the window is widened to
    desktop (as a tablet turned or a browser window dragged wider: the pages lay themselves
    out again, the maps through their ResizeObserver) and checked again, except a state that
    is one short message, whose page's desktop layout its main state checks."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make browser-deps` (make test does)")
    page, settled = page_at
    PAGES[name](page, stack, demo)
    settled.wait()
    page.add_script_tag(path=str(AXE))
    for width, size in _widths(name).items():
        if page.viewport_size != size:
            page.set_viewport_size(size)
            settled.wait()
        _check(page, name, width)
