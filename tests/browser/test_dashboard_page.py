"""领导驾驶舱 (dashboard.html) against the local stack with the demo city: a leader signs in
(the e-mailed link opens staff.html, which sends a leader on to the dashboard), the charts are
drawn as SVG, each has its table, the tables hold the API's figures, the districts' map is
shaded, and a figure opens the cases behind it. No console error, no request off the origin,
nothing pushes the page sideways at phone or desktop width."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin_page import sign_in
from tests.browser.test_audit_page import no_overflow
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

LEADER = "leader@wenzheng.example"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_leader_reads_the_dashboard_and_opens_the_cases_behind_a_figure(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    page, problems = request.getfixturevalue(device)
    sign_in(page, stack, LEADER)
    expect(page).to_have_url(stack.url("/dashboard.html"))  # staff.html sent the leader on
    expect(page.get_by_role("heading", name="领导驾驶舱", level=1)).to_be_visible()
    expect(page.locator(".chart-table").first).to_be_visible()

    session = json.loads(page.evaluate("sessionStorage.getItem('wenzheng.staff')"))
    bearer = {"Authorization": f"Bearer {session['session_token']}"}
    status, data = stack.call("GET", "/api/staff/dashboard", headers=bearer)
    assert status == 200, data
    assert data["totals"]["counts"]["intake"] > 0, "the demo city shows something"

    # Every chart is an SVG image with a name; each breakdown's bars match its table rows.
    charts = page.locator("svg.chart-svg[role=img]")
    expect(charts).to_have_count(6)  # intake, rates, the districts' map, channel, kind, category
    channel = page.locator("section[aria-labelledby=dash-channel]")
    rows = channel.locator("tbody tr")
    expect(rows).to_have_count(len(data["intake"]["channel"]))
    expect(channel.locator("svg rect.bar")).to_have_count(len(data["intake"]["channel"]))
    for i, figure in enumerate(data["intake"]["channel"]):
        expect(rows.nth(i).locator("th")).to_have_text(figure["label"])
        expect(rows.nth(i).locator("td").first).to_have_text(str(figure["n"]))
    days = page.locator("section[aria-labelledby=dash-intake] tbody tr")
    expect(days).to_have_count(len(data["days"]))
    assert (
        sum(int(n) for n in days.locator("td:nth-child(2)").all_inner_texts())
        == (data["totals"]["counts"]["intake"])
    )
    shaded = page.locator(".choropleth path.district:not(.shade-0)")
    assert shaded.count() >= 1, "the districts with cases are shaded"

    # A figure opens the cases behind it.
    busiest = max(data["intake"]["kind"], key=lambda f: f["n"])
    kind = page.locator("section[aria-labelledby=dash-kind] tbody tr", has_text=busiest["label"])
    kind.get_by_role("button", name="查看").click()
    heading = page.get_by_role("heading", name=f"诉求：诉求类型：{busiest['label']}")
    expect(heading).to_be_focused()
    expect(page.locator(".dash-cases li")).to_have_count(min(busiest["n"], 20))
    no_overflow(page)
    assert_clean(problems)


def test_the_dashboard_prints_its_charts_and_tables_on_a4(
    stack: Stack, desktop: tuple[Any, Any]
) -> None:
    page, problems = desktop
    sign_in(page, stack, LEADER)
    expect(page.locator(".chart-table").first).to_be_visible()
    # A4 less the 12 mm margins is 186 mm, about 703 CSS px: laid out for print at that
    # width, every chart and table fits without scrolling.
    page.set_viewport_size({"width": 703, "height": 1000})
    page.emulate_media(media="print")
    expect(page.locator(".dash-filters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    widest = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('.chart-svg, .chart-table')]
             .map((el) => el.getBoundingClientRect().right))"""
    )
    assert widest <= 703 + 1, widest
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    assert_clean(problems)
