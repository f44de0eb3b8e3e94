"""回音壁 and 亮晒比 against the real local stack. The 回音壁 is real: empty on a fresh stack,
then a coordinator features a demo case through the console and the page shows it (and takes
it down again). The rankings route is not there yet, so that page says so honestly; with a
stubbed API answer (the documented shape) both pages render it as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from infra import site_build
from tests.browser.conftest import PHONE, PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean, confirm
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SHOTS = ROOT / "build" / "screenshots"
# What one page makes a browser download before it can work, as deployed (the built site,
# infra/site_build.py): its one script (every module it imports, the ones it imports lazily
# too, minified) and its one stylesheet, each gzipped, together. 40 KiB for every page since
# the build (2026-12-05): the staff console, which carries every coordinator form and had a
# budget of its own, 54 KiB, for its unbundled modules (52.6 KiB), is 36 KiB built
# (docs/PERFORMANCE.md, "The site in Lighthouse").
PAGE_BUDGET = 40 * 1024
XSS = "<img src=x onerror=alert(1)>"


def last_month(stack: Stack) -> str:
    """The month before the stack's platform clock's, in Shanghai."""
    today = stack.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year}-{month:02d}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = "phone" if page.viewport_size["width"] == PHONE["width"] else "desktop"
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def no_problems(problems: PageProblems) -> None:
    assert not problems.errors, problems.errors
    assert not problems.dialogs, problems.dialogs


def test_every_page_links_both_in_its_main_nav() -> None:
    pages = sorted(FRONTEND.glob("*.html"))
    assert {"showcase.html", "rankings.html"} <= {p.name for p in pages}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        nav = re.search(r'<nav class="site-nav".*?</nav>', text, re.S)
        assert nav, page.name
        links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0))
        hrefs = [href for href, _ in links]
        assert hrefs[:3] == ["index.html", "showcase.html", "rankings.html"], page.name
        current = re.findall(r'<a href="([^"]+)" aria-current="page"', nav.group(0))
        if page.name in ("showcase.html", "rankings.html"):
            assert current == [page.name]


def test_each_page_loads_js_and_css_within_the_budget() -> None:
    pages = site_build.manifest()["pages"]
    assert set(pages) == {p.name for p in FRONTEND.glob("*.html")}
    for name, page in pages.items():
        print(f"{name}: {' + '.join(page['files'])}, {page['gzip_bytes']} bytes gzipped")
        assert len(page["files"]) == 2, name  # one script, one stylesheet
    over = {name: p["gzip_bytes"] for name, p in pages.items() if p["gzip_bytes"] > PAGE_BUDGET}
    assert not over, over


def test_both_routes_answer_on_the_demo_stack(stack: Stack) -> None:
    """The 回音壁 answers a page of featured cases; 亮晒比 by default answers last month,
    which the local timer's ``rankings`` job froze when the stack started."""
    status, wall = stack.call("GET", "/api/showcase")
    assert status == 200 and isinstance(wall["items"], list) and "next_cursor" in wall, wall
    status, ranking = stack.call("GET", "/api/rankings")
    assert status == 200 and ranking["month"] == last_month(stack) and ranking["frozen"], ranking
    assert any(row["rank"] for row in ranking["departments"])


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_showcase_shows_the_wall_or_says_it_is_empty(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    """On a fresh stack nothing is featured yet: the page says so and points to the board's
    closed cases; once something is featured, it shows the API's first page."""
    page, problems = request.getfixturevalue(device)
    status, wall = stack.call("GET", "/api/showcase")
    assert status == 200, wall
    page.goto(stack.url("/index.html"))
    page.locator(".site-nav").get_by_role("link", name="回音壁").click()
    expect(page).to_have_url(re.compile(r"/showcase\.html$"))
    expect(page.get_by_role("heading", level=1, name="回音壁")).to_be_visible()
    expect(page.locator('.site-nav a[aria-current="page"]')).to_have_text("回音壁")
    if wall["items"]:
        expect(page.locator("article.card")).to_have_count(len(wall["items"]))
        shot(page, "showcase")
        no_problems(problems)
        return
    notice = page.locator(".alert-info")
    expect(notice).to_contain_text("回音壁暂时还没有案例")
    expect(page.locator("article.card")).to_have_count(0)
    shot(page, "showcase")
    notice.get_by_role("link", name="查看已办结的留言").click()
    expect(page).to_have_url(re.compile(r"/index\.html\?state=closed$"))
    expect(page.get_by_label("办理状态")).to_have_value("closed")
    no_problems(problems)


def test_a_coordinator_features_a_demo_case_and_the_wall_shows_it(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    """Real data end to end: a closed public demo case, featured through the console's form
    (live counter, confirmation), is on /showcase.html with the summary, the before/after
    note, the department's reply and the citizen's rating as text; 撤下 takes it off again."""
    page, problems = desktop
    status, closed = stack.call("GET", "/api/cases?state=closed")
    assert status == 200 and closed["items"], "the demo city should hold closed public cases"
    case = closed["items"][0]
    status, before = stack.call("GET", "/api/showcase")
    assert case["case_id"] not in {i["case_id"] for i in before["items"]}
    summary = f"答复及时、具体，办理全过程公开可查 {XSS}"
    note = "办理前：留言人求助无门；办理后：承办单位当天答复并办结。"

    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={case['case_id']}"))
    panel = page.locator(".case-panel")
    expect(panel.get_by_role("heading", level=2, name=case["title"])).to_be_visible()
    wall = panel.locator("section.showcase-panel")
    form = wall.locator("form.action-form")
    expect(form).to_be_visible()
    form.get_by_label("精选摘要").fill(summary)
    expect(form.locator(".counter").first).to_have_text(f"已输入 {len(summary)} / 300 字")
    form.get_by_label("办理前后对比（选填）").fill(note)
    shot(page, "console-feature")
    form.get_by_role("button", name="精选到回音壁").click()
    confirm(page, "确认精选")
    expect(panel.locator(".alert-success")).to_contain_text("已精选到回音壁")
    expect(wall.locator(".featured-now")).to_contain_text(summary)
    expect(panel.locator(".fact", has_text="回音壁")).to_contain_text("已精选")

    status, after = stack.call("GET", "/api/showcase")
    assert status == 200 and after["items"][0]["case_id"] == case["case_id"], after
    shown = after["items"][0]
    page.goto(stack.url("/showcase.html"))
    card = page.locator("article.card", has_text=case["title"])
    expect(card).to_have_count(1)
    expect(page.locator("article.card").first).to_contain_text(case["title"])
    expect(card.get_by_role("link", name=case["title"])).to_have_attribute(
        "href", f"case.html?id={case['case_id']}"
    )
    expect(card.locator(".showcase-summary")).to_have_text(summary)
    expect(card.locator(".showcase-before-after")).to_contain_text(note)
    if shown["department"]:
        expect(card).to_contain_text(shown["department"]["name"])
    if shown["reply"]:
        expect(card).to_contain_text(shown["reply"]["outcome_label"])
    if shown["rating"]:
        expect(card).to_contain_text(f"评价：{shown['rating']['rating_label']}")
    expect(page.locator("article img")).to_have_count(0)
    shot(page, "showcase-featured")

    # 撤下: back in the console, the case leaves the wall.
    page.goto(stack.url(f"/staff.html?case={case['case_id']}"))
    wall = page.locator(".case-panel section.showcase-panel")
    wall.locator("summary", has_text="撤下").click()
    wall.locator("form.action-form.danger").get_by_role("button", name="撤下").click()
    confirm(page, "确认撤下")
    expect(page.locator(".case-panel .alert-success")).to_contain_text("已从回音壁撤下")
    status, gone = stack.call("GET", "/api/showcase")
    assert case["case_id"] not in {i["case_id"] for i in gone["items"]}
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_rankings_show_last_months_published_ranking(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    page, problems = request.getfixturevalue(device)
    status, ranking = stack.call("GET", "/api/rankings")
    assert status == 200
    ranked = [row for row in ranking["departments"] if row["rank"]]
    page.goto(stack.url("/showcase.html"))
    page.locator(".site-nav").get_by_role("link", name="亮晒比").click()
    expect(page).to_have_url(re.compile(r"/rankings\.html$"))
    expect(page.locator('.site-nav a[aria-current="page"]')).to_have_text("亮晒比")
    month = last_month(stack)
    expect(page.get_by_label("月份", exact=True)).to_have_value(month)
    year, mm = month.split("-")
    expect(page.get_by_role("heading", name=f"{year}年{int(mm)}月排名")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^已于 .* 发布$"))).to_be_visible()
    dept = page.locator("section.panel", has=page.get_by_role("heading", name="部门排名"))
    expect(dept.locator("svg .rank-bar")).to_have_count(len(ranked))
    top = ranked[0]
    expect(dept.locator("tbody tr").first).to_contain_text(top["name"])
    expect(dept.locator("tbody tr").first).to_contain_text(f"{top['score']:.1f}")
    # Every figure opens the cases behind it.
    dept.locator("tbody tr").first.locator(".drill-link").first.click()
    drilled = page.locator("section.drill")
    expect(drilled.locator(".drill-head h2")).to_contain_text(top["name"])
    expect(drilled).to_contain_text(f"共 {top['assigned']} 件")
    expect(drilled.locator("article.card").first).to_be_visible()
    expect(page.get_by_role("link", name="CSV")).to_have_attribute(
        "href", f"/api/rankings.csv?month={month}"
    )
    for term in ("办理量", "按时签收率", "按时答复率", "办结率", "满意率", "重办率"):
        expect(page.locator(".facts dt", has_text=term)).to_have_count(1)
    # A table on a desktop, a card per unit on a phone (test_rankings_read_as_cards_on_a_phone).
    layout = "block" if device == "phone" else "table-row-group"
    expect(dept.locator("tbody")).to_have_css("display", layout)
    header = dept.locator("thead").bounding_box()
    assert header and (header["height"] <= 1) == (device == "phone"), header
    shot(page, "rankings")
    # A month before the platform had cases: said plainly, no table of zeros.
    page.get_by_label("月份", exact=True).fill("2026-03")
    expect(page).to_have_url(re.compile(r"\?month=2026-03$"))
    expect(page.get_by_text("2026年3月排名尚未发布，以下为按当前数据的计算结果")).to_be_visible()
    expect(page.get_by_text("本月没有交办数据。")).to_have_count(2)
    page.locator(".site-nav").get_by_role("link", name="留言板").click()
    expect(page).to_have_url(re.compile(r"/index\.html$"))
    no_problems(problems)


# Per unit name: its box, font size and line height as drawn.
NAME_BOXES = """() => [...document.querySelectorAll('.rank-table tbody th')].map((th) => {
  const box = th.getBoundingClientRect();
  const style = getComputedStyle(th);
  const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  return { name: th.textContent, width: box.width, font: parseFloat(style.fontSize),
           lines: Math.round((box.height - padding) / parseFloat(style.lineHeight)) };
})"""

# Figures that cannot be tapped: outside the screen, or under something else at their centre.
UNTAPPABLE = """() => [...document.querySelectorAll('.rank-table .drill-link')].filter((b) => {
  b.scrollIntoView({ block: 'center' });
  const r = b.getBoundingClientRect();
  return r.left < 0 || r.right > innerWidth
    || document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) !== b;
}).map((b) => b.getAttribute('aria-label'))"""


def test_rankings_read_as_cards_on_a_phone(stack: Stack, phone: tuple[Any, PageProblems]) -> None:
    """At 360 px each unit is a card: the unit's name has the card's width (at least eight
    characters a line, at most two lines; the table gave it one character a line), each figure
    sits under its column's name, and every figure still opens the cases behind it."""
    page, problems = phone
    status, ranking = stack.call("GET", "/api/rankings")
    assert status == 200, ranking
    page.goto(stack.url("/rankings.html"))
    dept = page.locator("section.panel", has=page.get_by_role("heading", name="市直部门排名"))
    expect(dept.locator("tbody tr")).to_have_count(len(ranking["departments"]))
    header = dept.locator("thead").bounding_box()  # there for screen readers, drawn nowhere
    assert header and header["height"] <= 1, header
    names = page.evaluate(NAME_BOXES)
    assert len(names) == len(ranking["departments"]) + len(ranking["counties"])
    for name in names:
        assert name["width"] >= 8 * name["font"] and 1 <= name["lines"] <= 2, name
    label = dept.locator("td[data-label=按时签收率]").first
    assert label.evaluate("(td) => getComputedStyle(td, '::before').content").startswith(
        '"按时签收率"'
    )
    assert dept.locator(".drill-link").count() > 0
    assert page.evaluate(UNTAPPABLE) == []

    # Every figure of the first card opens its own list of cases.
    first = next(r for r in ranking["departments"] if r["rank"] == 1)
    card = dept.locator("tbody tr").first
    expect(card.locator("th")).to_have_text(first["name"])
    year, month = last_month(stack).split("-")
    drilled = page.locator("section.drill")
    figures = card.locator(".drill-link")
    for i in range(figures.count()):
        figure = figures.nth(i)
        what = (figure.get_attribute("aria-label") or "").split(f"查看{first['name']}")[1]
        figure.click()
        expect(drilled.locator(".drill-head h2")).to_have_text(
            f"{first['name']} · {year}年{int(month)}月 · {what}"
        )
        expect(drilled.get_by_text(re.compile(r"^共 \d+ 件"))).to_be_visible()
    shot(page, "rankings-cards")
    no_problems(problems)


def _fulfil(body: dict[str, Any]) -> Any:
    def handler(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    return handler


def test_showcase_renders_the_api_answer_as_text(stack: Stack, phone: Any) -> None:
    page, problems = phone
    item = {
        "case_id": "WZ20261001-ABC123",
        "title": f"路灯修好了 {XSS}",
        "kind": "complaint",
        "kind_label": "投诉",
        "category_label": "城市管理",
        "district_label": "江北区",
        "excerpt": "滨河路路灯一周不亮。",
        "department": {"id": "d1", "name": "市城市管理局"},
        "reply": {
            "text": "已于 10 月 3 日更换灯具，恢复照明。",
            "outcome": "resolved",
            "outcome_label": "已解决",
            "at": "2026-10-03T02:00:00Z",
            "planned_date": None,
        },
        "rating": {"rating": "satisfied", "rating_label": "满意"},
        "featured_at": "2026-10-05T02:00:00Z",
    }
    page.route("**/api/showcase*", _fulfil({"items": [item], "next_cursor": None}))
    page.goto(stack.url("/showcase.html"))
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=item["title"])).to_have_attribute(
        "href", "case.html?id=WZ20261001-ABC123"
    )
    expect(card).to_contain_text("市城市管理局")
    expect(card).to_contain_text("已解决")
    expect(card).to_contain_text("评价：满意")
    expect(card).to_contain_text("恢复照明")
    expect(page.locator("article img")).to_have_count(0)
    shot(page, "showcase-data")
    no_problems(problems)


def _unit(
    i: int, score: float | None, *, small: bool = False, position: str | None = None
) -> dict[str, Any]:
    return {
        "id": f"u{i}",
        "name": f"单位{i}" if i else f"单位 {XSS}",
        "assigned": 2 if small else 40 + i,
        "signed_on_time_rate": 0.95,
        "replied_on_time_rate": 0.9,
        "closed_rate": 0.85,
        "satisfied_rate": 0.92,
        "reopened_rate": 0.05,
        "score": score,
        "rank": None if small else i + 1,
        "sample_too_small": small,
        "position": position,
    }


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_rankings_render_tables_and_a_chart(
    stack: Stack, device: str, request: pytest.FixtureRequest
) -> None:
    page, problems = request.getfixturevalue(device)
    # As the API names them: 5 top and 5 bottom of 12 departments; of 4 counties, the top 3
    # and the one left at the bottom.
    ends = {i: "top" for i in range(5)} | {i: "bottom" for i in range(7, 12)}
    departments = [_unit(i, 95 - i * 3, position=ends.get(i)) for i in range(12)] + [
        _unit(12, None, small=True)
    ]
    counties = [_unit(i, 90 - i * 5, position="top" if i < 3 else "bottom") for i in range(4)]
    body = {
        "month": "2026-10",
        "frozen": True,
        "frozen_at": "2026-11-01T16:30:00Z",
        "month_to_date": False,
        "method": {
            "weights": {"response": 30, "resolution": 35, "satisfaction": 35},
            "min_sample": 10,
            "named": {"departments": 5, "counties": 3},
            "talk_bottom": 3,
        },
        "departments": departments,
        "counties": counties,
    }
    page.route("**/api/rankings*", _fulfil(body))
    page.goto(stack.url("/rankings.html?month=2026-10"))
    expect(page.get_by_role("heading", name="2026年10月排名")).to_be_visible()
    dept = page.locator("section.panel", has=page.get_by_role("heading", name="部门排名"))
    expect(dept.locator("svg .rank-bar")).to_have_count(12)
    expect(dept.locator("svg .rank-bar-top")).to_have_count(5)
    expect(dept.locator("svg .rank-bar-bottom")).to_have_count(5)
    expect(dept.locator("svg text", has_text=XSS)).to_have_count(1)
    expect(dept.locator("tbody tr")).to_have_count(13)
    expect(dept.locator("tbody tr").last).to_contain_text("样本不足")
    expect(dept.locator("tbody tr.rank-row-top")).to_have_count(5)
    expect(dept.locator("tbody tr.rank-row-bottom")).to_have_count(5)
    expect(dept.locator("tbody tr").first).to_contain_text("95.0%")
    county = page.locator("section.panel", has=page.get_by_role("heading", name="区县排名"))
    expect(county.locator("svg .rank-bar-top")).to_have_count(3)  # counties: top 3 named
    expect(county.locator("svg .rank-bar-bottom")).to_have_count(1)
    expect(page.locator("main img")).to_have_count(0)
    shot(page, "rankings-data")
    no_problems(problems)
