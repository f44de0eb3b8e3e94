"""Start the stack `make run` starts (moto server, tables, API + site on one origin, job
timer) on a free port and walk a case through its whole life over real HTTP, taking the
staff sign-in link and the department's link from the dev outbox, as a newcomer would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.stack


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

    def wait_for_message(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, outbox = self.call("GET", "/api/dev/outbox")
            found = [m for m in outbox["messages"] if match(m)]
            if found:
                return found[-1]
            time.sleep(0.3)
        raise AssertionError("no such message reached the dev outbox")


def _start(port: int, *extra: str) -> Stack:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("AWS_ENDPOINT_URL", "WZ_TABLE_PREFIX", "WZ_PUBLIC_BASE_URL", "WZ_STAGE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack", "--port", str(port), "--tick", "0.3", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Ctrl-C stops everything" in line:
            moto = re.search(r"embedded AWS \(moto\)\s+(\S+)", "".join(output))
            assert moto, "".join(output)
            return Stack(f"http://127.0.0.1:{port}", moto.group(1), process, output)
    process.kill()
    raise AssertionError("the stack did not start:\n" + "".join(output))


def _stop(stack: Stack) -> int:
    stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = _start(free_port(), "--empty")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            _stop(running)


def _link(message: dict[str, Any], page: str) -> str:
    found = re.search(rf"{page}#t=([A-Za-z0-9_-]+)", message["body"])
    assert found, message["body"]
    return found.group(1)


def test_make_run_stack_walks_a_case_from_submission_to_satisfied_rating(stack: Stack) -> None:
    status, page = stack.call("GET", "/")
    assert status == 200 and '<meta charset="utf-8">' in page  # site and API share the origin
    status, departments = stack.call("GET", "/api/departments")
    assert status == 200 and departments["items"]
    lead = departments["items"][0]

    status, created = stack.call(
        "POST",
        "/api/cases",
        {
            "kind": "complaint",
            "category": "urban",
            "district": "city",
            "title": "滨河路路灯连续一周不亮",
            "content": "滨河路与翠湖街交叉口的路灯已经一周不亮，夜里行人很不安全。",
            "contact": {"name": "李小梅", "phone": "13800001234", "email": "li@example.com"},
            "public": True,
        },
    )
    assert status == 201, created
    case_id, code = created["case_id"], created["tracking_code"]

    status, _ = stack.call("POST", "/api/staff/sign-in", {"email": "coordinator@wenzheng.example"})
    assert status == 202
    signin = stack.wait_for_message(lambda m: "staff.html#t=" in m["body"])
    status, session = stack.call(
        "POST", "/api/staff/session", {"token": _link(signin, "staff.html")}
    )
    assert status == 200 and session["role"] == "coordinator"
    bearer = {"Authorization": f"Bearer {session['session_token']}"}

    status, case = stack.call(
        "POST", f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}, bearer
    )
    assert status == 200 and case["state"] == "accepted"
    status, case = stack.call(
        "POST",
        f"/api/staff/cases/{case_id}/assign",
        {"lead": lead["id"], "co_handlers": []},
        bearer,
    )
    assert status == 200 and case["state"] == "assigned" and case["reply_due_at"]

    assignment = stack.wait_for_message(
        lambda m: m["case_id"] == case_id and "handle.html#t=" in m["body"]
    )
    link = {"X-Link-Token": _link(assignment, "handle.html")}
    status, view = stack.call("GET", "/api/handle", headers=link)
    assert status == 200 and view["role"] == "lead" and "sign" in view["actions"]
    assert view["case"]["contact"]["phone"] == "+8613800001234"
    status, view = stack.call("POST", "/api/handle/sign", {}, link)
    assert status == 200 and view["case"]["state"] == "in_progress"
    status, view = stack.call(
        "POST",
        "/api/handle/reply",
        {"outcome": "resolved", "text": "您好！经现场核查，路灯线路老化，已于今日更换并恢复照明。"},
        link,
    )
    assert status == 200 and view["case"]["state"] == "replied"

    stack.wait_for_message(
        lambda m: m["case_id"] == case_id and m["channel"] == "sms" and "答复" in m["body"]
    )
    status, mine = stack.call("POST", f"/api/cases/{case_id}/track", {"tracking_code": code})
    assert status == 200 and mine["can_rate"]
    status, mine = stack.call(
        "POST",
        f"/api/cases/{case_id}/rating",
        {"tracking_code": code, "rating": "satisfied", "comment": "很及时"},
    )
    assert status == 200 and mine["state"] == "closed"

    status, public = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200 and public["state_label"] == "已办结"
    assert "13800001234" not in json.dumps(public) and "李小梅" not in json.dumps(public)

    # What the dev outbox shows went through SES and SNS: moto captured it.
    closed = stack.wait_for_message(lambda m: m["case_id"] == case_id and "办结" in m["body"])
    with urllib.request.urlopen(stack.moto + "/moto-api/data.json", timeout=30) as answer:
        captured = json.dumps(json.loads(answer.read()), ensure_ascii=False)
    assert closed["body"] in captured or closed["body"].replace("\n", "\\n") in captured


def test_ctrl_c_stops_everything_the_stack_started() -> None:
    port = free_port()
    running = _start(port, "--empty")
    moto_port = int(running.moto.rsplit(":", 1)[1])
    assert _stop(running) == 0
    for used in (port, moto_port):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", used))  # free again
