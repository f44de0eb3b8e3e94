"""The offline map (DESIGN §13, frontend/assets/js/map.js) on a 360 px phone and on a desktop,
against the local stack: the pin put by a tap, by the keyboard and by the browser's location
(and what the page says when it is refused or outside the city), the point in the body the
page posts, pan and zoom by keys, the board's clustered map view and the case page's pin.

The district boundaries come from tests/browser/fixtures/districts.geojson, served in place of
``GET /api/geo/districts`` (8 districts around lng 113.6–114.4, lat 29.7–30.3, one of them a
MultiPolygon and one with a lake that belongs to no district); the board's and the case's
``location`` fields are added to the stack's real answers in the contracted shape."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, PageProblems, _watch, new_context
from tests.browser.test_pages import assert_clean
from tests.browser.test_public_pages import shot
from tests.localstack import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

DISTRICTS = Path(__file__).resolve().parent / "fixtures" / "districts.geojson"
# Where the fixture's districts are (lng, lat ranges inside their outlines).
JIANGCHENG = ((113.95, 114.05), (29.95, 30.05))
BINHE = ((114.05, 114.15), (29.96, 30.05))
# The stack's submission schema: until it takes `location` (the location backend), the
# server refuses the body this page posts; the body itself is checked either way.

# The board's located cases: five a kilometre apart in 江城区 (one cluster at the city's
# scale, five pins close up) and three far apart.
DENSE = [(30.0, 113.97 + 0.01 * i) for i in range(5)]
SPREAD = [(30.2, 114.0), (29.9, 114.3), (29.99, 113.9)]


def serve_districts(page: Any, *, empty: bool = False) -> None:
    """``GET /api/geo/districts`` answers the fixture (or, ``empty``, what a city without
    boundaries answers: a FeatureCollection without features)."""
    body = (
        json.dumps({"type": "FeatureCollection", "features": []})
        if empty
        else DISTRICTS.read_text(encoding="utf-8")
    )
    page.route(
        "**/api/geo/districts",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )


def locate_board(page: Any) -> None:
    """The board's items carry ``location: {lat, lng}`` (DENSE, then SPREAD, then none)."""

    spots = [{"lat": lat, "lng": lng} for lat, lng in DENSE + SPREAD]

    def add(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        for i, item in enumerate(data["items"]):
            item["location"] = spots[i] if i < len(spots) else None
        route.fulfill(response=response, json=data)

    page.route(re.compile(r"/api/cases(\?.*)?$"), add)


def locate_case(page: Any, address: str = "江城区翠湖街12号") -> None:
    """The public case view carries ``location: {address, lat, lng}`` (rounded, cut)."""

    def add(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        data["location"] = {"address": address, "lat": 30.0012, "lng": 114.0013}
        route.fulfill(response=response, json=data)

    page.route(re.compile(r"/api/cases/WZ[^/?]+$"), add)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(device, **context options) → (page, problems); phones have touch."""
    contexts: list[Any] = []

    def make(device: str, **options: Any) -> tuple[Any, PageProblems]:
        viewport = PHONE if device == "phone" else DESKTOP
        context = new_context(browser, viewport, has_touch=device == "phone", **options)
        contexts.append(context)
        page = context.new_page()
        return page, _watch(page)

    yield make
    for context in contexts:
        context.close()


def fill_case(page: Any, title: str, address: str = "翠湖街与滨河路交叉口") -> None:
    page.get_by_label("投诉", exact=False).first.check()
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("地址").fill(address)
    page.get_by_label("标题").fill(title)
    page.get_by_label("留言内容").fill(
        "交叉口的路灯已经一周不亮，夜里行人和骑车的人都很不安全，请尽快修复。"
    )
    page.get_by_label("手机号码").fill("13800001234")


def capture_posts(page: Any) -> list[dict[str, Any]]:
    """Every body the page POSTs to /api/cases, each then sent on to the stack."""
    posted: list[dict[str, Any]] = []

    def record(route: Any) -> None:
        if route.request.method == "POST":
            posted.append(route.request.post_data_json)
        route.continue_()

    page.route("**/api/cases", record)
    return posted


def view_box(page: Any) -> list[float]:
    return [float(n) for n in (page.locator(".map-svg").get_attribute("viewBox") or "").split()]


def inside(point: dict[str, Any], area: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    (west, east), (south, north) = area
    return west < point["lng"] < east and south < point["lat"] < north


def six_decimals(n: float) -> bool:
    return round(n, 6) == n and len(str(n).split(".")[-1]) <= 6


def submitted(page: Any, posted: list[dict[str, Any]]) -> dict[str, Any]:
    with page.expect_response(
        lambda r: r.url.endswith("/api/cases") and r.request.method == "POST"
    ):
        page.get_by_role("button", name="提交留言").click()
    assert len(posted) == 1, posted
    return posted[0]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_tap_on_the_map_puts_the_pin_fills_the_district_and_is_posted(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(device)
    serve_districts(page)
    posted = capture_posts(page)
    page.goto(stack.url("/submit.html"))
    fill_case(page, "交叉口路灯一周不亮（地图）")
    svg = page.locator(".map-svg")
    expect(svg).to_be_visible()
    expect(page.locator(".map-district")).to_have_count(8)
    expect(page.locator('[data-field="district"] .hint')).to_contain_text("标出位置后自动填写")
    box = svg.bounding_box()
    middle = {"x": box["width"] / 2, "y": box["height"] / 2}  # the city's centre, in 江城区
    if device == "phone":
        svg.tap(position=middle)
    else:
        svg.click(position=middle)
    expect(page.locator(".map-pin")).to_have_count(1)
    expect(page.locator(".place-status")).to_contain_text("位于江城区（已自动填写所在区域）")
    expect(page.get_by_label("所在区域")).to_have_value("jiangcheng")
    expect(page.locator(".map-district-selected")).to_have_attribute("data-code", "jiangcheng")
    shot(page, "submit-map")

    body = submitted(page, posted)
    place = body["location"]
    assert place["address"] == "翠湖街与滨河路交叉口", body
    assert inside(place, JIANGCHENG), place
    assert abs(place["lat"] - 30.0) < 0.01 and abs(place["lng"] - 114.01) < 0.01, place
    assert six_decimals(place["lat"]) and six_decimals(place["lng"]), place
    assert body["district"] == "jiangcheng", body
    assert not problems.off_origin(stack.base), problems.off_origin(stack.base)
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_keyboard_pans_zooms_and_puts_the_pin_at_the_centre(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(device)
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    page.get_by_label("地址").focus()
    expect(page.locator(".map-svg")).to_be_visible()
    for _ in range(6):  # 使用我的位置, 在地图中心放置标记, then the map itself
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.map-svg')"):
            break
    assert page.evaluate("document.activeElement.matches('.map-svg')")
    expect(page.locator(".map-crosshair")).to_be_visible()  # where the pin would go

    home = view_box(page)
    page.keyboard.press("+")
    page.keyboard.press("+")
    zoomed = view_box(page)
    assert zoomed[2] == pytest.approx(home[2] / 2.25) and zoomed[3] == pytest.approx(home[3] / 2.25)
    page.keyboard.press("ArrowRight")
    right = view_box(page)
    assert right[0] > zoomed[0] and right[1] == pytest.approx(zoomed[1])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert view_box(page) == pytest.approx(right)
    page.keyboard.press("-")
    assert view_box(page)[2] > right[2]
    page.keyboard.press("+")
    assert view_box(page) == pytest.approx(right)

    # The centre is now a step east of the city's middle: in 滨河区.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "在地图中心放置标记"
    page.keyboard.press("Enter")
    expect(page.locator(".map-pin")).to_have_count(1)
    expect(page.locator(".place-status")).to_contain_text("位于滨河区")
    expect(page.get_by_label("所在区域")).to_have_value("binhe")

    page.get_by_role("button", name="复位地图").click()
    assert view_box(page) == pytest.approx(home)
    page.get_by_role("button", name="清除标记").click()
    expect(page.locator(".map-pin")).to_have_count(0)
    expect(page.locator(".place-status")).to_have_text("已清除标记。")
    page.locator(".map-svg").focus()
    page.keyboard.press("Enter")  # on the map itself: the pin at its centre, the city's middle
    expect(page.locator(".map-pin")).to_have_count(1)
    expect(page.get_by_label("所在区域")).to_have_value("jiangcheng")
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_my_location_with_permission_puts_the_pin_there(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(
        device, geolocation={"latitude": 30.01, "longitude": 114.1}, permissions=["geolocation"]
    )
    serve_districts(page)
    posted = capture_posts(page)
    page.goto(stack.url("/submit.html"))
    fill_case(page, "滨河区路灯一周不亮（定位）")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".map-pin")).to_have_count(1)
    expect(page.locator(".place-status")).to_have_text(
        "已标记位置：北纬 30.010000，东经 114.100000，位于滨河区（已自动填写所在区域）。"
    )
    body = submitted(page, posted)
    assert body["location"] == {"address": "翠湖街与滨河路交叉口", "lat": 30.01, "lng": 114.1}
    assert body["district"] == "binhe"
    assert not problems.off_origin(stack.base), problems.off_origin(stack.base)
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_refused_location_says_so_and_leaves_the_form_as_it_was(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(device)  # no permission granted: the browser refuses
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".place-status")).to_have_text(
        "您没有允许本网站获取位置。可以在地图上点选位置，或直接填写地址。"
    )
    expect(page.locator(".map-pin")).to_have_count(0)
    expect(page.get_by_label("所在区域")).to_have_value("")
    shot(page, "submit-map-refused")
    assert_clean(problems, stack)


def test_a_location_outside_every_district_puts_no_pin(stack: Stack, open_page: Any) -> None:
    page, problems = open_page(
        "phone", geolocation={"latitude": 39.9, "longitude": 116.4}, permissions=["geolocation"]
    )
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".place-status")).to_have_text(
        "您当前的位置不在本市各区县范围内，未放置标记。请在地图上的区县内选择，或直接填写地址。"
    )
    expect(page.locator(".map-pin")).to_have_count(0)
    assert_clean(problems, stack)


def on_screen(page: Any, lng: float, lat: float) -> dict[str, float]:
    """Where (lng, lat) is inside the map's box: the fixture's projection (map.js
    ``projection``: equirectangular, cos(latitude) at the centre, 1000 units across)."""
    fc = json.loads(DISTRICTS.read_text(encoding="utf-8"))
    outlines = [
        polygon[0]
        for f in fc["features"]
        for polygon in (
            [f["geometry"]["coordinates"]]
            if f["geometry"]["type"] == "Polygon"
            else f["geometry"]["coordinates"]
        )
    ]
    lngs = [p[0] for ring in outlines for p in ring]
    lats = [p[1] for ring in outlines for p in ring]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    scale = 1000 / ((max(lngs) - min(lngs)) * k)
    x, y = (lng - min(lngs)) * k * scale, (max(lats) - lat) * scale
    vx, vy, vw, vh = view_box(page)
    box = page.locator(".map-svg").bounding_box()
    return {"x": (x - vx) / vw * box["width"], "y": (y - vy) / vh * box["height"]}


def test_a_click_on_the_lake_that_belongs_to_no_district_puts_no_pin(
    stack: Stack, open_page: Any
) -> None:
    """南湖县's outline has a hole (a lake, 113.98–114.02 × 29.84–29.88): no district's."""
    page, problems = open_page("desktop")
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    svg = page.locator(".map-svg")
    expect(svg).to_be_visible()
    svg.click(position=on_screen(page, 114.0, 29.86))
    expect(page.locator(".place-status")).to_have_text(
        "所选位置不在本市各区县范围内，未放置标记。请在地图上的区县内选择，或直接填写地址。"
    )
    expect(page.locator(".map-pin")).to_have_count(0)
    svg.click(position=on_screen(page, 114.0, 29.82))  # south of the lake: 南湖县
    expect(page.locator(".place-status")).to_contain_text("位于南湖县")
    expect(page.get_by_label("所在区域")).to_have_value("nanhu")
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_without_boundaries_the_map_hides_and_the_address_is_posted(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(device)
    serve_districts(page, empty=True)
    posted = capture_posts(page)
    page.goto(stack.url("/submit.html"))
    fill_case(page, "交叉口路灯一周不亮（无地图）")
    expect(page.get_by_role("group", name="问题发生位置")).to_be_visible()
    expect(page.locator(".place-picker")).to_be_hidden()
    expect(page.locator(".map-svg")).to_have_count(0)
    expect(page.locator('[data-field="district"] .hint')).to_have_text("问题发生地所在的区县")
    body = submitted(page, posted)
    assert body["location"] == {"address": "翠湖街与滨河路交叉口"}, body
    assert "district" not in body  # the server works it out from the address
    assert not problems.off_origin(stack.base), problems.off_origin(stack.base)
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    assert_clean(problems, stack)


def marks(page: Any) -> tuple[int, list[int]]:
    """(single pins, the count on each cluster) on the board's map."""
    pins = page.locator(".map-pin").count()
    counts = page.locator(".map-cluster").evaluate_all("(els) => els.map((e) => +e.dataset.count)")
    return pins, counts


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_board_map_clusters_near_cases_and_zooming_splits_them(
    stack: Stack, open_page: Any, device: str
) -> None:
    page, problems = open_page(device)
    serve_districts(page)
    locate_board(page)
    page.goto(stack.url("/index.html"))
    expect(page.locator("article.card").first).to_be_visible()
    toggle = page.get_by_role("group", name="显示方式")
    toggle.get_by_role("button", name="地图").click()
    expect(toggle.get_by_role("button", name="地图")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("article.card").first).to_be_hidden()
    expect(page.locator(".board-map")).to_contain_text("标有位置的 8 条")

    located = len(DENSE) + len(SPREAD)
    pins, counts = marks(page)
    assert pins + sum(counts) == located
    assert max(counts) >= 3, counts  # the five in 江城区 share a badge at the city's scale
    for pin in page.locator(".map-pin").all():
        assert (pin.get_attribute("href") or "").startswith("case.html?id=")
    shot(page, "index-map")

    # The biggest cluster, by keyboard: Enter zooms in on it and lists its cases.
    biggest = page.locator(".map-cluster").nth(counts.index(max(counts)))
    biggest.focus()
    page.keyboard.press("Enter")
    listed = page.locator(".board-map-list a")
    expect(listed).to_have_count(max(counts))
    expect(page.locator(".board-map-list h2")).to_be_focused()  # the cluster itself is gone
    page.keyboard.press("Tab")
    expect(listed.first).to_be_focused()
    assert all((a.get_attribute("href") or "").startswith("case.html?id=") for a in listed.all())

    page.locator(".map-svg").focus()
    for _ in range(8):
        page.keyboard.press("+")
    pins_close, counts_close = marks(page)
    assert pins_close + sum(counts_close) == located
    assert pins_close >= pins + len(DENSE), (pins, counts, pins_close, counts_close)
    shot(page, "index-map-zoomed")

    # The view is in the URL: a reload (or a shared link) opens the map again.
    expect(page).to_have_url(re.compile(r"[?&]view=map"))
    page.reload()
    expect(page.locator(".board-map .map-svg")).to_be_visible()
    expect(page.locator(".board-map")).to_contain_text("标有位置的 8 条")
    toggle.get_by_role("button", name="列表").click()
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator(".board-map")).to_be_hidden()
    expect(page).not_to_have_url(re.compile(r"view=map"))
    with page.expect_response(re.compile(r"/api/cases(\?.*)?$")):
        page.go_back()  # the same document: popstate shows the map and reloads the list
    expect(page.locator(".board-map .map-svg")).to_be_visible()
    expect(page.locator(".list-status")).to_have_text(re.compile(r"(已显示|共) \d+ 条"))
    assert_clean(problems, stack)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_case_page_shows_the_address_and_the_pin(
    stack: Stack, open_page: Any, device: str
) -> None:
    status, listing = stack.call("GET", "/api/cases")
    assert status == 200 and listing["items"], listing
    page, problems = open_page(device)
    serve_districts(page)
    locate_case(page)
    page.goto(stack.url(f"/case.html?id={listing['items'][0]['case_id']}"))
    place = page.locator("section", has=page.get_by_role("heading", name="问题位置"))
    expect(place).to_contain_text("江城区翠湖街12号")
    expect(place.locator(".map-pin")).to_have_count(1)
    expect(place.locator(".map-pin")).to_have_attribute("aria-label", "问题位置：江城区翠湖街12号")
    before = view_box(page)
    place.get_by_role("button", name="放大地图").click()
    assert view_box(page)[2] == pytest.approx(before[2] / 1.5)
    place.locator(".map-svg").click()  # read-only: a click puts no pin
    expect(place.locator(".map-pin")).to_have_count(1)
    shot(page, "case-map")
    assert_clean(problems, stack)


def test_a_drag_pans_the_wheel_zooms_and_neither_puts_a_pin(stack: Stack, open_page: Any) -> None:
    page, problems = open_page("desktop")
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    svg = page.locator(".map-svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    home = view_box(page)
    page.mouse.move(x, y)
    scrolled = page.evaluate("scrollY")
    page.mouse.wheel(0, 100)  # over a map without focus: the page scrolls on
    page.wait_for_function("(y) => scrollY > y", arg=scrolled)
    expect(svg).to_have_attribute("data-zoom", "1")
    box = svg.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()  # focuses the map
    page.mouse.move(x - 60, y - 30, steps=5)
    page.mouse.up()
    dragged = view_box(page)
    # The city follows the pointer: the view moved 60 px east and 30 px south.
    per_px = home[2] / box["width"]
    assert dragged[0] == pytest.approx(home[0] + 60 * per_px, rel=1e-3)
    assert dragged[1] == pytest.approx(home[1] + 30 * per_px, rel=1e-3)
    page.mouse.wheel(0, -100)
    expect(svg).to_have_attribute("data-zoom", "1.25")
    expect(page.locator(".map-pin")).to_have_count(0)
    expect(page.locator(".place-status")).to_have_text("")
    assert_clean(problems, stack)


def test_a_pinch_zooms_in_around_the_fingers(stack: Stack, open_page: Any) -> None:
    page, problems = open_page("phone")
    serve_districts(page)
    page.goto(stack.url("/submit.html"))
    svg = page.locator(".map-svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, spread: float, shift: float = 0) -> None:
        points = (
            []
            if kind == "touchEnd"
            else [
                {"x": x - spread + shift, "y": y, "id": 1},
                {"x": x + spread + shift, "y": y, "id": 2},
            ]
        )
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 40)
    for spread in (50, 60, 70, 80):
        touch("touchMove", spread)
    touch("touchEnd", 0)
    assert float(svg.get_attribute("data-zoom") or 0) == pytest.approx(2, rel=0.05)
    # Two fingers moving together carry the map with them.
    before = view_box(page)
    touch("touchStart", 40)
    for shift in (10, 20, 30, 40):
        touch("touchMove", 40, shift)
    touch("touchEnd", 0)
    after = view_box(page)
    assert after[2] == pytest.approx(before[2])
    assert after[0] == pytest.approx(before[0] - 40 * before[2] / box["width"], rel=1e-3)
    expect(page.locator(".map-pin")).to_have_count(0)  # a pinch is no tap
    assert_clean(problems, stack)


def serve_source_modules(page: Any) -> None:
    """The source modules of frontend/assets/js/ at their paths: the built site the stack
    serves has the page's bundle instead (infra/site_build.py), and a test that imports one
    module to call its functions imports the source."""
    sources = ROOT / "frontend" / "assets" / "js"

    def fulfil(route: Any) -> None:
        found = sources / route.request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        if found.is_file():
            route.fulfill(path=str(found), content_type="text/javascript; charset=utf-8")
        else:
            route.continue_()

    page.route("**/assets/js/*.js", fulfil)


def test_district_at_knows_multipolygons_holes_and_the_outside(
    stack: Stack, open_page: Any
) -> None:
    """map.js ``districtAt`` (which fills the district select) over the fixture: 桃源县's
    island is a second polygon, 南湖县's lake a hole, the corners of the box nobody's."""
    page, problems = open_page("desktop")
    serve_districts(page)
    serve_source_modules(page)
    page.goto(stack.url("/submit.html"))
    expect(page.locator(".map-svg")).to_be_visible()
    found = page.evaluate(
        """async () => {
             const { districtAt, loadDistricts } = await import('./assets/js/map.js');
             const fc = await loadDistricts();
             const at = (lng, lat) => {
               const feature = districtAt(fc, lng, lat);
               return feature ? feature.properties.code : null;
             };
             return [at(114.33, 29.74), at(114.3, 30.0), at(114.0, 29.86), at(114.0, 29.82),
                     at(113.63, 30.28), at(114.0, 30.0), at(116.4, 39.9)];
           }"""
    )
    assert found == ["taoyuan", "taoyuan", None, "nanhu", None, "jiangcheng", None]
    assert_clean(problems, stack)
