"""亮晒比 at every level (issue 17 §3) in the browser: the rankings page's 排名范围 selector opens
the demo's 江城区 (jiangcheng-platform) own ranking, its units in a table with the figures the
API gives, the drill-down behind a figure and the county's CSV; the city page links to it."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_public_pages import last_month
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COUNTY = "jiangcheng-platform"
UNITS = {"jiangcheng-gov", "jiangcheng-urban-mgmt", "jiangcheng-cuihu", "jiangcheng-renmin"}


def _month_with_figures(stack: Stack) -> tuple[str, dict[str, Any]]:
    """Last month (published) or, early in a month, this one: whichever has 江城区 cases."""
    this = stack.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    for month in (last_month(stack), this):
        status, ranking = stack.call("GET", f"/api/rankings?month={month}&county={COUNTY}")
        assert status == 200, ranking
        if any(row["assigned"] for row in ranking["units"]):
            return month, ranking
    raise AssertionError("the demo has no 江城区 unit with a case in either month")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_countys_page_ranks_its_own_units(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    page, problems = request.getfixturevalue(device)
    month, ranking = _month_with_figures(stack)
    assert {row["id"] for row in ranking["units"]} == UNITS
    page.goto(stack.url(f"/rankings.html?month={month}"))
    # The city's county row links to the county's own page.
    counties = page.locator("section.panel", has=page.get_by_role("heading", name="区县排名"))
    expect(counties.get_by_role("link", name="查看江城区各单位排名")).to_be_visible()

    page.get_by_label("排名范围").select_option(label="江城区网络问政平台")
    expect(page).to_have_url(re.compile(rf"county={COUNTY}"))
    units = page.locator(
        "section.panel", has=page.get_by_role("heading", name="江城区网络问政平台 · 承办单位排名")
    )
    expect(units.locator("tbody tr")).to_have_count(len(ranking["units"]))
    first = ranking["units"][0]
    expect(units.locator("tbody tr").first).to_contain_text(first["name"])
    for row in ranking["units"]:
        expect(units.locator("tbody th", has_text=row["name"])).to_have_count(1)
    expect(page.get_by_role("link", name="CSV")).to_have_attribute(
        "href", f"/api/rankings.csv?month={month}&county={COUNTY}"
    )
    expect(page.get_by_role("link", name="← 返回全市排名")).to_be_visible()
    # A figure opens the cases behind it.
    busy = next(row for row in ranking["units"] if row["assigned"])
    row = units.locator("tbody tr", has=page.locator("th", has_text=busy["name"]))
    row.locator(".drill-link").first.click()
    drilled = page.locator("section.drill")
    expect(drilled.locator(".drill-head h2")).to_contain_text(busy["name"])
    expect(drilled).to_contain_text(f"共 {busy['assigned']} 件")
    assert not problems.errors, problems.errors
