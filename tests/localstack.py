"""The stack `make run` starts (moto server, tables, API + site on one origin, job timer),
started on a free loopback port for the tests that need it over real HTTP, and stopped the
way a person stops it: Ctrl-C (SIGINT). It keeps no data (``--ephemeral``) unless a test
gives it a data folder: never the developer's ``.data/local``.

Its platform clock stands still at ``STILL_AT`` (``WZ_CLOCK_FROZEN_AT``) unless a test moves
it, and its moto runs without the costs DynamoDB does not have (tests/lighter_stack.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Where every stack's clock stands: Wednesday 18 November 2026, 10:00 in Shanghai, a working
# day in the middle of a month (what the pages and the demo show never depends on the day the
# suite runs).
STILL_AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
# Seconds between the job timer's ticks. A tick runs every job: about 0.1 s of CPU on the demo
# city when none has anything to do, more through the stack's moto server (0.18 s on an empty
# stack), so at the 0.3 s the stacks once ticked at an idle stack kept a third of a core busy
# for as long as it ran (the browser stack: the whole browser group), and at `make run`'s 2 s
# still a tenth. Tests that wait for a message run the outbox themselves
# (``Stack.wait_for_message``); what only the timer does (the SLA sweep once a test moves the
# clock) is at most a tick away.
TICK = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base: str
    moto: str
    process: subprocess.Popen[str]
    output: list[str]

    def url(self, path: str) -> str:
        return self.base + path

    def now(self) -> datetime:
        """The stack's platform clock."""
        status, clock = self.call("GET", "/api/dev/clock")
        assert status == 200, clock
        return datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw, status, kind = answer.read(), answer.status, answer.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            raw, status, kind = error.read(), error.code, error.headers["Content-Type"]
        if not raw:
            return status, None
        return status, json.loads(raw) if "json" in kind else raw.decode("utf-8")

    def submit(self, title: str, content: str = "", **fields: Any) -> dict[str, Any]:
        """A public complaint through ``POST /api/cases``; returns the 201 answer (case id and
        tracking code). ``fields`` override the body's other keys."""
        body = {
            "kind": "complaint",
            "category": "urban",
            "district": "city",
            "location": {"address": "翠湖街与解放路交叉口"},  # 城乡建设 needs a place
            "title": title,
            "content": content or "滨河路与翠湖街交叉口的路灯已经一周不亮，夜里行人很不安全。",
            "contact": {"name": "李小梅", "phone": "13800001234", "email": "li@example.com"},
            "public": True,
            **fields,
        }
        status, created = self.call("POST", "/api/cases", body)
        assert status == 201, created
        return dict(created)

    def staff_session(self, email: str) -> str:
        """A staff session token, through the sign-in link the dev outbox shows."""
        _, before = self.call("GET", "/api/dev/outbox")
        used = {m["body"] for m in before["messages"]}
        status, _ = self.call("POST", "/api/staff/sign-in", {"email": email})
        assert status == 202
        signin = self.wait_for_message(
            lambda m: m["to"] == email and "staff.html#t=" in m["body"] and m["body"] not in used
        )
        token = re.search(r"staff\.html#t=([A-Za-z0-9_-]+)", signin["body"])
        assert token, signin["body"]
        status, session = self.call("POST", "/api/staff/session", {"token": token.group(1)})
        assert status == 200, session
        return str(session["session_token"])

    def accept_and_assign(
        self, case_id: str, bearer: dict[str, str], lead: str = "city-housing"
    ) -> str:
        """受理 (public) and 交办 to ``lead`` through the API as the coordinator ``bearer``;
        answers the department's link from the dev outbox as a path, ``/handle.html#t=…``."""
        for action, body in (
            ("accept", {"urgency": "general", "public": True}),
            ("assign", {"lead": lead, "co_handlers": []}),
        ):
            status, answer = self.call("POST", f"/api/staff/cases/{case_id}/{action}", body, bearer)
            assert status == 200, answer
        message = self.wait_for_message(
            lambda m: m["case_id"] == case_id and "handle.html#t=" in m["body"]
        )
        link = re.search(r"handle\.html#t=[A-Za-z0-9_-]+", message["body"])
        assert link, message["body"]
        return "/" + link.group(0)

    def wait_for_message(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 30, deliver: bool = True
    ) -> dict[str, Any]:
        """The newest message of the dev outbox that ``match``es, once sent. ``deliver``: each
        look runs the outbox job first (``POST /api/dev/jobs/outbox``, as the timer would on
        its next tick), so a test does not wait for the timer (``TICK``); ``False`` leaves
        every job to the timer (what tests/stack/test_local_stack.py proves it does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if deliver:
                status, ran = self.call("POST", "/api/dev/jobs/outbox")
                assert status == 200, ran
            _, outbox = self.call("GET", "/api/dev/outbox")
            found = [m for m in outbox["messages"] if match(m)]
            if found:
                return found[-1]
            time.sleep(0.3)
        raise AssertionError("no such message reached the dev outbox")


def _drain(stream: Any, output: list[str]) -> None:
    for line in stream:
        output.append(line)


def start(
    *extra: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    data: Path | None = None,
    lighter: bool = True,
) -> Stack:
    """``env`` adds to (or overrides) the stack's environment, e.g. ``WZ_RATE_LIMITS_ENABLED``;
    ``data`` is the folder it saves its data in and restores it from. ``lighter=False`` runs
    ``infra.local_stack`` itself, moto as it comes (the load figures of ``make bench``)."""
    port = port or free_port()
    keep = ["--data", str(data)] if data is not None else ["--ephemeral"]
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # What `make run` has: no test process's settings, so the local stage's own
    # (.chalice/config.json, e.g. the second factor off) are what a stack runs with.
    for name in (
        "AWS_ENDPOINT_URL",
        "WZ_TABLE_PREFIX",
        "WZ_PUBLIC_BASE_URL",
        "WZ_STAGE",
        "WZ_STAFF_TOTP_ROLES",
    ):
        environ.pop(name, None)
    environ["WZ_CLOCK_FROZEN_AT"] = STILL_AT.isoformat()
    environ.update(env or {})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.lighter_stack" if lighter else "infra.local_stack",
            "--port",
            str(port),
            "--tick",
            str(TICK),
            *keep,
            *extra,
        ],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 300  # the demo city: ~17 s on 2 idle cores, minutes on busy ones
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Ctrl-C stops everything" in line:
            moto = re.search(r"embedded AWS \(moto\)\s+(\S+)", "".join(output))
            assert moto, "".join(output)
            # Keep reading: the stack logs a line per API request, and a pipe nobody reads
            # fills up (64 KiB) and then blocks every request thread of the stack.
            threading.Thread(target=_drain, args=(process.stdout, output), daemon=True).start()
            return Stack(f"http://127.0.0.1:{port}", moto.group(1), process, output)
    process.kill()
    raise AssertionError("the stack did not start:\n" + "".join(output))


def stop(stack: Stack, how: signal.Signals = signal.SIGINT) -> int:
    """Ctrl-C (or ``how``): a stack with a data folder saves it on the way out."""
    stack.process.send_signal(how)
    try:
        return stack.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise
