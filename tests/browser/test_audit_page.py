"""审计查询 (audit.html) against the local stack: an auditor signs in from the page (the
emailed link opens staff.html, which sends an auditor on to audit.html), a refused filter is
named beside its field, a department's closed and archived cases list, a case's history shows
its event hashes and the green verified badge, and an export's manifest lists both files with
their SHA-256 (checked here against the downloaded bytes) and verifies. A coordinator is told
the page is for auditors only. No console error, no request off the origin, nothing pushes
the page sideways at phone or desktop width."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, outbox_hrefs, outbox_link
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

AUDITOR = "auditor@wenzheng.example"
SHOTS = ROOT / "build" / "screenshots"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
OVERFLOW = """() => [...document.querySelectorAll('body *')]
  .filter((el) => !el.closest('.table-scroll, .tabs'))
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map((el) => el.outerHTML.slice(0, 120))"""


def no_overflow(page: Any) -> None:
    """Nothing wider than the viewport (wide tables scroll inside their own box)."""
    assert page.evaluate(OVERFLOW) == []
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]


def sign_in_on_the_audit_page(page: Any, stack: Stack) -> None:
    before = outbox_hrefs(page, stack, "staff.html")
    page.goto(stack.url("/audit.html"))
    expect(page.get_by_role("heading", name="审计查询：请先登录")).to_be_visible()
    expect(page.get_by_text("审计查询只对审计员开放")).to_be_visible()
    page.get_by_label("工作邮箱").fill(AUDITOR)
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.get_by_role("heading", name="请查收登录邮件")).to_be_visible()
    page.goto(outbox_link(page, stack, page_name="staff.html", must_contain=AUDITOR, before=before))
    expect(page).to_have_url(stack.url("/audit.html"))  # staff.html sent the auditor on
    expect(page.locator(".staff-email")).to_have_text(AUDITOR)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_auditor_queries_reads_a_history_and_verifies_an_export(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    status, ran = stack.call("POST", "/api/dev/jobs/archive")  # cases closed long enough
    assert status == 200, ran
    page, problems = request.getfixturevalue(device)
    sign_in_on_the_audit_page(page, stack)
    expect(page.get_by_role("heading", name="审计查询", level=1)).to_be_visible()
    rows = page.locator(".audit-results tbody tr")
    expect(rows.first).to_be_visible()  # the last 12 months, on opening

    # A refused filter is named beside its field, in Chinese.
    page.get_by_label("起始月份").fill("2025-06")
    page.get_by_label("截止月份").fill("2025-01")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator('[data-field="from"] .field-error')).to_have_text(
        "起始月份不能晚于截止月份"
    )
    expect(page.get_by_role("alert").first).to_contain_text("起始月份：起始月份不能晚于截止月份")
    page.get_by_role("button", name="清除").click()

    # One department's cases.
    lead = rows.first.locator("td").nth(2).inner_text().strip()
    page.get_by_label("牵头单位").select_option(label=lead)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator(".audit-results .list-status")).to_contain_text(f"牵头单位：{lead}")
    more = page.locator(".audit-results .more button")
    while more.is_visible():
        more.click()
        expect(more).not_to_have_attribute("aria-busy", "true")
    expect(page.locator(".audit-results .list-status")).to_contain_text("共 ")
    assert {t.strip() for t in rows.locator("td:nth-child(3)").all_inner_texts()} == {lead}
    for state in rows.locator("td:nth-child(5)").all_inner_texts():
        assert state.strip() in ("已办结", "已归档")
    listed = rows.count()

    # A case's history: the chain verified, every event with its hash.
    case_id = rows.first.locator(".case-link").inner_text().strip()
    page.get_by_role("button", name=case_id).click()
    history = page.locator(".audit-case")
    expect(history.locator(".verdict")).to_contain_text("✓ 记录完整，哈希链校验通过")
    expect(history.locator(".verdict")).to_have_class(re.compile("alert-success"))
    events = history.locator(".timeline > li")
    heading = history.get_by_role("heading", name=re.compile(r"^事件记录（\d+ 条）$"))
    count = int(re.findall(r"\d+", heading.inner_text())[0])
    assert count >= 3 and events.count() == count
    for i in range(count):
        code = events.nth(i).locator("code.hash").first
        full = code.get_attribute("title") or ""
        assert HEX64.match(full) and code.inner_text() == full[:12], full
    history.get_by_role("button", name="重新校验").click()
    expect(history.locator(".verdict")).to_contain_text("重新校验于")
    expect(history.locator(".verdict")).to_contain_text("✓ 记录完整，哈希链校验通过")
    no_overflow(page)

    # The export: both files with their SHA-256, the bytes behind the link match, it verifies.
    page.get_by_role("button", name="导出当前查询结果").click()
    result = page.locator(".export-result")
    expect(result).to_contain_text(f"已导出 {listed} 件诉求")
    files = result.locator(".export-files > li")
    expect(files).to_have_count(2)
    export_id = result.locator(".fact", has_text="导出编号").locator("dd").inner_text().strip()
    assert export_id.startswith("EX")
    for name, item in zip(("cases.jsonl", "cases.csv"), files.all(), strict=True):
        link = item.get_by_role("link", name=f"下载 {name}")
        sha = item.locator("code.hash").inner_text().strip()
        assert HEX64.match(sha), sha
        href = link.get_attribute("href") or ""
        assert href.startswith(stack.moto), href  # presigned, straight from S3: not clicked here
        with urllib.request.urlopen(href, timeout=30) as answer:
            assert hashlib.sha256(answer.read()).hexdigest() == sha
    expect(result.get_by_role("link", name="下载 manifest.json")).to_have_count(1)
    result.get_by_role("button", name="核对导出").click()
    expect(result).to_contain_text("✓ 导出完整")

    # The access log shows this export.
    log = page.locator("section", has=page.get_by_role("heading", name="访问记录"))
    log.get_by_role("button", name="查看", exact=True).click()
    expect(log.locator("tbody tr", has_text=export_id).first).to_be_visible()
    expect(log.locator("tbody tr", has_text="核对导出").first).to_be_visible()
    no_overflow(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = "phone" if page.viewport_size["width"] == PHONE["width"] else "desktop"
    page.screenshot(path=str(SHOTS / f"audit-{width}.png"), full_page=True)

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()
    # The refused filter is the one failed request the browser reports.
    refused = [e for e in problems.console_errors if "status of 400" in e]
    assert len(refused) == 1, problems.console_errors
    problems.console_errors = [e for e in problems.console_errors if e not in refused]
    assert_clean(problems, stack)


def test_a_coordinator_is_told_the_page_is_for_auditors(
    stack: Stack, phone: tuple[Any, Any]
) -> None:
    page, problems = phone
    sign_in(page, stack, "coordinator@wenzheng.example")
    expect(page.get_by_role("link", name="打开审计查询")).to_have_count(0)
    page.goto(stack.url("/audit.html"))
    expect(page.get_by_text("当前账号无权查看此页面：审计查询只对审计员开放。")).to_be_visible()
    expect(page.locator(".staff-email")).to_have_text("coordinator@wenzheng.example")
    token = page.evaluate("JSON.parse(sessionStorage.getItem('wenzheng.staff')).session_token")
    status, refused = stack.call(
        "GET", "/api/audit/cases", None, {"Authorization": f"Bearer {token}"}
    )
    assert status == 403 and refused["error"]["message"], refused
    no_overflow(page)
    assert_clean(problems, stack)
