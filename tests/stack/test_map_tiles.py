"""The city's own tile server under the district map (issue 15 §2), in Debian's chromium: a
stack started with ``WZ_MAP_TILES`` naming a tile server on another local origin sends a CSP
whose ``img-src`` names that origin, and only it; the submit page's map draws the
Web-Mercator tiles under the demo city's districts, asks for finer tiles as it zooms, shows
the attribution, and the browser reports no CSP violation. Without the setting (every other
browser test) the map loads nothing from anywhere else.

Its own stack (the setting is read at start), here rather than under tests/browser/ so it
runs beside the browser tests' stack, not after it."""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, _watch, new_context
from tests.localstack import Stack, start, stop

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ATTRIBUTION = "底图 © 临江市自然资源和规划局 审图号：临S(2026)018号"
TILE = re.compile(r"^/tiles/(\d+)/(\d+)/(\d+)\.png$")


class TileServer(ThreadingHTTPServer):
    """A city's tile server: any tile it is asked for, a flat PNG, and a log of the asks."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TileHandler)
        self.asked: list[tuple[int, int, int]] = []
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (256, 256), (214, 226, 206)).save(out, format="PNG")
        self.png = out.getvalue()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _TileHandler(BaseHTTPRequestHandler):
    server: TileServer

    def do_GET(self) -> None:
        found = TILE.match(self.path)
        if not found:
            self.send_error(404)
            return
        self.server.asked.append(tile_of(self.path))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.server.png)))
        self.end_headers()
        self.wfile.write(self.server.png)

    def log_message(self, *_: Any) -> None:
        pass


def tile_of(path: str) -> tuple[int, int, int]:
    found = TILE.match(path)
    assert found, path
    z, x, y = (int(n) for n in found.groups())
    return z, x, y


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    server = TileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tiled_stack(tiles: TileServer) -> Iterator[Stack]:
    running = start(
        "--empty",  # the demo city's districts, staff and taxonomy, none of its cases
        env={
            "WZ_MAP_TILES": f"{tiles.origin}/tiles/{{z}}/{{x}}/{{y}}.png",
            "WZ_MAP_TILES_ATTRIBUTION": ATTRIBUTION,
        },
    )
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


@pytest.fixture
def page_and_problems(browser: Any) -> Iterator[tuple[Any, Any]]:
    context = new_context(browser, DESKTOP)
    page = context.new_page()
    try:
        yield page, _watch(page)
    finally:
        context.close()


def test_the_csp_names_the_tile_servers_origin_in_img_src_only(
    tiled_stack: Stack, tiles: TileServer
) -> None:
    import urllib.request

    with urllib.request.urlopen(tiled_stack.url("/submit.html"), timeout=30) as answer:
        policy = answer.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == f"'self' data: {tiles.origin}"
    assert [name for name, sources in directives.items() if tiles.origin in sources] == ["img-src"]


def test_the_submit_pages_map_draws_the_citys_tiles_under_the_districts(
    tiled_stack: Stack, tiles: TileServer, page_and_problems: tuple[Any, Any]
) -> None:
    page, problems = page_and_problems
    page.goto(tiled_stack.url("/submit.html"))
    svg = page.locator(".map-svg")
    expect(svg).to_have_class(re.compile(r"\bmap-has-tiles\b"))
    images = page.locator(".map-tiles image")
    expect(images.first).to_be_attached()
    expect(page.locator(".map-attribution")).to_have_text(ATTRIBUTION)
    # The tiles lie under the districts: the layer comes first in the drawing.
    order = page.evaluate(
        "[...document.querySelector('.map-svg').children].map((c) => c.getAttribute('class'))"
    )
    assert order.index("map-tiles") < order.index("map-districts")

    hrefs = images.evaluate_all("(all) => all.map((i) => i.getAttribute('href'))")
    assert all(h.startswith(f"{tiles.origin}/tiles/") for h in hrefs), hrefs
    shown = [tile_of(h.removeprefix(tiles.origin)) for h in hrefs]
    z = {t[0] for t in shown}
    assert len(z) == 1 and 0 < len(shown) <= 48, shown
    (level,) = z
    # The demo city's middle (114.0, 30.0, where its districts meet) is on a tile shown.
    n = 2**level
    middle_x = int((114.0 + 180) / 360 * n)
    middle_y = int((1 - math.asinh(math.tan(math.radians(30.0))) / math.pi) / 2 * n)
    assert (level, middle_x, middle_y) in shown, (level, middle_x, middle_y, sorted(shown))
    page.wait_for_function(
        "(n) => document.querySelectorAll('.map-tiles image').length === n", arg=len(shown)
    )
    for _ in range(100):  # the images load after they are drawn: wait for the server's log
        if set(shown) <= set(tiles.asked):
            break
        page.wait_for_timeout(100)
    assert set(shown) <= set(tiles.asked), "the browser fetched the tiles the map drew"

    page.get_by_role("button", name="放大地图").click()
    page.get_by_role("button", name="放大地图").click()
    # 2.25 times closer: the next level or the one after (the level is the nearest whole one).
    page.wait_for_function(
        """(level) => {
          const levels = [...document.querySelectorAll('.map-tiles image')]
            .map((i) => Number(i.getAttribute('href').split('/')[4]));
          return levels.length > 0 && levels.every((z) => z === level + 1 || z === level + 2);
        }""",
        arg=level,
    )

    assert not problems.errors, problems.errors  # no CSP report, no script error
    assert not problems.console_errors, problems.console_errors
    off_origin = {u.split("/tiles/")[0] for u in problems.off_origin(tiled_stack.base)}
    assert off_origin == {tiles.origin}  # nothing else left the site
