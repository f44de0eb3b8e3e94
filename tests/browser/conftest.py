"""Browser tests: the local stack (what `make run` starts, with demo data) on a free port,
driven through Debian's chromium by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The unit-test environment (tests/conftest.py) must not leak into the stack.
    for name in ("AWS_ENDPOINT_URL", "WZ_TABLE_PREFIX", "WZ_PUBLIC_BASE_URL", "WZ_STAGE"):
        env.pop(name, None)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack", "--port", str(port), "--tick", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Stack(f"http://127.0.0.1:{port}", process)
    assert process.stdout is not None
    deadline = time.monotonic() + 180
    started = False
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        running.output.append(line)
        if "Ctrl-C stops everything" in line:
            started = True
            break
    if not started:
        process.kill()
        raise AssertionError("the local stack did not start:\n" + "".join(running.output))
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class PageProblems:
    """What a page did that it never should: script errors, alert() calls, CSP reports."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _watch(page: Any) -> PageProblems:
    problems = PageProblems()
    page.on("pageerror", lambda error: problems.errors.append(str(error)))

    def on_console(message: Any) -> None:
        if message.type == "error" and re.search(
            r"Content.Security.Policy|Refused to", message.text
        ):
            problems.errors.append(message.text)

    page.on("console", on_console)

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return problems


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15000)
    page = context.new_page()
    problems = _watch(page)
    try:
        yield page, problems
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15000)
    page = context.new_page()
    problems = _watch(page)
    try:
        yield page, problems
    finally:
        context.close()
