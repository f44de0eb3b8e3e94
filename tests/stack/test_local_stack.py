"""Start the stack `make run` starts (moto server, tables, API + site on one origin, job
timer) on a free port and walk a case through its whole life over real HTTP, taking the
staff sign-in link and the department's link from the dev outbox, as a newcomer would."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.localstack import Stack, start, stop

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = start("--empty")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


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
    running = start("--empty")
    port = int(running.base.rsplit(":", 1)[1])
    moto_port = int(running.moto.rsplit(":", 1)[1])
    assert stop(running) == 0
    for used in (port, moto_port):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", used))  # free again
