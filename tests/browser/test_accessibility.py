"""Accessibility proof: every page of the site, at phone (360 px) and desktop width, run through
axe-core (WCAG 2.x A/AA rules plus axe's best practices) with no violations, every visible form
control has an accessible name, and nothing pushes the page sideways. Each page is also saved
as a full-page screenshot under build/screenshots/<page>-<phone|desktop>.png for people to
look at (not committed).

axe-core is pinned in tests/browser/package-lock.json; `make browser-deps` installs it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "build" / "screenshots"
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
COORDINATOR = "coordinator@wenzheng.example"
ADMIN = "admin@wenzheng.example"
AUDITOR = "auditor@wenzheng.example"


@dataclass(frozen=True)
class Demo:
    """What the pages are opened with: a public case, a case waiting for the coordinator, and
    a department's magic link (from the dev outbox) for a case assigned to it."""

    public_case: str
    pending_case: str
    handle_link: str


def _token(body: str, page: str) -> str:
    found = re.search(rf"{re.escape(page)}#t=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _sign_in_token(stack: Stack, email: str) -> str:
    """A fresh single-use staff sign-in token, taken from the dev outbox."""

    def tokens() -> set[str]:
        _, outbox = stack.call("GET", "/api/dev/outbox")
        return {
            _token(m["body"], "staff.html")
            for m in outbox["messages"]
            if m["to"] == email and "staff.html#t=" in m["body"]
        }

    before = tokens()
    status, _ = stack.call("POST", "/api/staff/sign-in", {"email": email})
    assert status == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fresh = tokens() - before
        if fresh:
            return fresh.pop()
        time.sleep(0.3)
    raise AssertionError(f"no sign-in email for {email} reached the dev outbox")


@pytest.fixture(scope="module")
def demo(stack: Stack) -> Demo:
    status, listing = stack.call("GET", "/api/cases")
    assert status == 200 and listing["items"], listing
    public_case = listing["items"][0]["case_id"]

    elevator = "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快督促维修。"
    pending_case = stack.submit("小区电梯停运两个月无人维修（无障碍检查）", elevator)["case_id"]
    assigned_case = stack.submit("翠湖街路灯夜里不亮（无障碍检查）")["case_id"]
    status, session = stack.call(
        "POST", "/api/staff/session", {"token": _sign_in_token(stack, COORDINATOR)}
    )
    assert status == 200, session
    bearer = {"Authorization": f"Bearer {session['session_token']}"}
    status, case = stack.call(
        "POST",
        f"/api/staff/cases/{assigned_case}/accept",
        {"urgency": "general", "public": True},
        bearer,
    )
    assert status == 200, case
    status, case = stack.call(
        "POST",
        f"/api/staff/cases/{assigned_case}/assign",
        {"lead": "city-housing", "co_handlers": []},
        bearer,
    )
    assert status == 200, case
    message = stack.wait_for_message(
        lambda m: m["case_id"] == assigned_case and "handle.html#t=" in m["body"]
    )
    return Demo(
        public_case, pending_case, f"/handle.html#t={_token(message['body'], 'handle.html')}"
    )


def _open_staff(page: Any, stack: Stack, email: str, query: str = "") -> None:
    page.goto(stack.url(f"/staff.html{query}#t={_sign_in_token(stack, email)}"))
    expect(page.locator(".staff-email")).to_have_text(email)


def _staff_case(page: Any, stack: Stack, demo: Demo) -> None:
    _open_staff(page, stack, COORDINATOR, f"?case={demo.pending_case}")
    expect(page.locator(".case-panel .case-title")).to_be_visible()


def _admin(page: Any, stack: Stack, demo: Demo) -> None:
    _open_staff(page, stack, ADMIN)
    page.goto(stack.url("/admin.html"))
    expect(page.get_by_role("heading", name="时限与工作日历设置", level=1)).to_be_visible()


def _audit(page: Any, stack: Stack, demo: Demo) -> None:
    """审计查询 signed in: results, a case's history, an export and its check."""
    _open_staff(page, stack, AUDITOR)  # staff.html sends an auditor on to audit.html
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


def _visit(path: str | Callable[[Demo], str]) -> Callable[[Any, Stack, Demo], None]:
    def go(page: Any, stack: Stack, demo: Demo) -> None:
        page.goto(stack.url(path(demo) if callable(path) else path))

    return go


PAGES: dict[str, Callable[[Any, Stack, Demo], None]] = {
    "index": _visit("/index.html"),
    "case": _visit(lambda d: f"/case.html?id={d.public_case}"),
    "submit": _visit("/submit.html"),
    "track": _visit("/track.html"),
    "track-replied": _track_replied,
    "overdue": _visit("/overdue.html"),
    "showcase": _visit("/showcase.html"),
    "rankings": _visit("/rankings.html"),
    "api": _visit("/api.html"),
    "outbox": _visit("/outbox.html"),
    "staff-signed-out": _visit("/staff.html"),
    "staff-case": _staff_case,
    "admin": _admin,
    "audit-signed-out": _visit("/audit.html"),
    "audit": _audit,
    "handle": _visit(lambda d: d.handle_link),
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


@pytest.fixture
def page_at(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    viewport = WIDTHS[request.param]
    context = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",
        bypass_csp=True,  # add_script_tag inlines axe; the site CSP forbids inline scripts
    )
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("page_at", list(WIDTHS), indirect=True)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(stack: Stack, demo: Demo, page_at: Any, name: str) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make browser-deps` (make test does)")
    page = page_at
    width = "phone" if page.viewport_size["width"] == PHONE["width"] else "desktop"
    PAGES[name](page, stack, demo)
    page.wait_for_load_state("networkidle")
    expect(page.locator(".loading")).to_have_count(0)
    expect(page.locator("main h1").first).to_be_visible()

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)

    page.add_script_tag(path=str(AXE))
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

    # Nothing pushes the page sideways (wide tables scroll inside their own box).
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((el) => !el.closest('.table-scroll, .tabs'))
             .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
             .slice(0, 5).map((el) => el.outerHTML.slice(0, 120))"""
    )
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= page.viewport_size["width"] and not overflow, (name, width, scroll, overflow)
