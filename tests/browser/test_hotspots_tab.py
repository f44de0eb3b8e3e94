"""The console's 预警 tab (舆情预警, issue 18 §1) against the demo city: the demo's last ten
cases are one morning's water outage in 滨河区, so the tab lists a warning with 停水, its
place and trend, and a case behind it opens in the case panel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def open_warnings(page: Any, stack: Stack) -> Any:
    """The console's 预警 tab, loaded; answers the 停水 warning's list item."""
    page.locator(".tabs").get_by_role("button", name="预警").click()
    expect(page).to_have_url(f"{stack.base}/staff.html?card=hotspots")
    expect(page.locator(".queue .loading")).to_have_count(0)
    warning = page.locator(".hotspot").filter(has_text="停水").first
    expect(warning).to_be_visible()
    return warning


def test_the_warning_tab_shows_the_outage_and_opens_a_case_behind_it(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    sign_in(page, stack, "coordinator@wenzheng.example")
    warning = open_warnings(page, stack)
    expect(warning.locator(".hotspot-place")).to_contain_text("滨河区")
    expect(warning.get_by_role("img")).to_have_attribute("aria-label", re.compile(r"当日 \d+ 件"))
    expect(page.get_by_label("承办单位")).to_be_disabled()

    warning.locator("summary").click()
    case = warning.locator(".hotspot-cases a").first
    expect(case).to_be_visible()
    case_id, title = case.inner_text().split(" ", 1)
    case.click()
    panel = page.locator(".case-panel")
    expect(panel.locator(".case-title")).to_be_visible()
    expect(panel).to_contain_text(case_id)
    expect(panel.locator(".case-title")).to_contain_text(title)
    assert_clean(problems, stack)
