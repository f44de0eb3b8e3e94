"""Browser tests: the local stack (what `make run` starts, with demo data) on a free port,
driven through Debian's chromium by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.localstack import STILL_AT, Stack, start, stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 780}  # the narrowest phone the site is built for
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """One stack with the demo city for every browser test."""
    running = start()
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


@dataclass
class PageProblems:
    """What a page did that it never should: script errors, alert() calls, CSP reports; and
    what it did that a test may hold against it: every console error and every request."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def off_origin(self, base: str) -> list[str]:
        """Requests that left ``base`` (the stack's origin); data: URLs never leave."""
        return [u for u in self.requests if not (u.startswith(base + "/") or u.startswith("data:"))]


def _watch(page: Any) -> PageProblems:
    problems = PageProblems()
    page.on("pageerror", lambda error: problems.errors.append(str(error)))
    page.on("request", lambda request: problems.requests.append(request.url))

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        problems.console_errors.append(message.text)
        if re.search(r"Content.Security.Policy|Refused to", message.text):
            problems.errors.append(message.text)

    page.on("console", on_console)

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return problems


def new_context(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    """A browser context in Shanghai whose pages read the time the stack's clock stands at
    (tests/localstack.py ``STILL_AT``): this month, last month, today's date and the
    countdowns a page works out are the platform's, whatever day the suite runs."""
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.clock.set_fixed_time(STILL_AT)
    context.set_default_timeout(15000)
    return context


def _page(browser: Any, viewport: dict[str, int]) -> Iterator[tuple[Any, PageProblems]]:
    context = new_context(browser, viewport)
    page = context.new_page()
    problems = _watch(page)
    try:
        yield page, problems
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    yield from _page(browser, PHONE)


@pytest.fixture
def desktop(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    yield from _page(browser, DESKTOP)
