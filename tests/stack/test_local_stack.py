"""Start the stack `make run` starts (moto server, tables, API + site on one origin, job
timer) on a free port and walk a case through its whole life over real HTTP, taking the
staff sign-in link and the department's link from the dev outbox, as a newcomer would."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.localstack import ROOT, Stack, start, stop

SHANGHAI = ZoneInfo("Asia/Shanghai")

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


def _walk_to_closed(stack: Stack) -> str:
    """A complaint from the public form through accept, assign, sign, reply and a satisfied
    rating, over HTTP with the links from the dev outbox; returns its case id."""
    status, page = stack.call("GET", "/")
    assert status == 200 and '<meta charset="utf-8">' in page  # site and API share the origin
    status, departments = stack.call("GET", "/api/departments")
    assert status == 200 and departments["items"]
    lead = departments["items"][0]

    created = stack.submit("滨河路路灯连续一周不亮")
    case_id, code = created["case_id"], created["tracking_code"]

    _, before = stack.call("GET", "/api/dev/outbox")
    used = {m["body"] for m in before["messages"]}
    status, _ = stack.call("POST", "/api/staff/sign-in", {"email": "coordinator@wenzheng.example"})
    assert status == 202
    signin = stack.wait_for_message(
        lambda m: "staff.html#t=" in m["body"] and m["body"] not in used
    )
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

    return case_id


def test_make_run_stack_walks_a_case_from_submission_to_satisfied_rating(stack: Stack) -> None:
    case_id = _walk_to_closed(stack)
    status, public = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200 and public["state_label"] == "已办结"
    assert "13800001234" not in json.dumps(public) and "李小梅" not in json.dumps(public)

    # What the dev outbox shows went through SES and SNS: moto captured it.
    closed = stack.wait_for_message(lambda m: m["case_id"] == case_id and "办结" in m["body"])
    with urllib.request.urlopen(stack.moto + "/moto-api/data.json", timeout=30) as answer:
        captured = json.loads(answer.read())
    assert closed["body"] in _sent_texts(captured)


def test_the_job_timer_climbs_the_ladder_to_a_public_red_card(stack: Stack) -> None:
    """No job is invoked here: the stack's own timer runs sla-sweep and outbox, as EventBridge
    would, once the platform clock is a month on (the waits leave the outbox to the timer:
    ``deliver=False``)."""
    status, session = stack.call("POST", "/api/staff/sign-in", {"email": "admin@wenzheng.example"})
    signin = stack.wait_for_message(
        lambda m: m["to"] == "admin@wenzheng.example" and "staff.html#t=" in m["body"],
        timeout=60,  # a tick or two (tests/localstack.py TICK) on a busy machine
        deliver=False,
    )
    status, session = stack.call(
        "POST", "/api/staff/session", {"token": _link(signin, "staff.html")}
    )
    bearer = {"Authorization": f"Bearer {session['session_token']}"}
    status, created = stack.call(
        "POST",
        "/api/staff/cases",
        {
            "kind": "help",
            "category": "urban",
            "district": "city",
            "location": {"address": "翠湖小区"},
            "title": "老旧小区二次供水水箱长期不清洗",
            "content": "翠湖小区的二次供水水箱两年没有清洗，水里有铁锈和杂质。",
            "contact": {"name": "周大海", "phone": "13800005678"},
            "public": True,
            "channel": "hotline",
        },
        bearer,
    )
    assert status == 201, created
    case_id = created["case_id"]
    _, departments = stack.call("GET", "/api/departments")
    lead = departments["items"][1]
    stack.call(
        "POST", f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}, bearer
    )
    status, case = stack.call(
        "POST",
        f"/api/staff/cases/{case_id}/assign",
        {"lead": lead["id"], "co_handlers": []},
        bearer,
    )
    assert status == 200 and case["state"] == "assigned"
    _, now = stack.call("GET", "/api/dev/clock")
    later = datetime.fromisoformat(now["now"].replace("Z", "+00:00")) + timedelta(days=30)
    stack.call("POST", "/api/dev/clock", {"now": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
    try:
        red = stack.wait_for_message(
            lambda m: (
                m["case_id"] == case_id and m["template"] == "sla_red" and m["channel"] == "sms"
            ),
            timeout=60,
            deliver=False,
        )
        assert len(red["body"]) <= 70 and case_id in red["body"]
        status, overdue = stack.call("GET", f"/api/overdue?department={lead['id']}")
        assert status == 200 and [i["case_id"] for i in overdue["items"]] == [case_id]
        assert overdue["items"][0]["card_label"] == "红牌"
        _, public = stack.call("GET", f"/api/cases/{case_id}")
        notes = [e["note"] for e in public["timeline"] if e["type"] == "reminder"]
        assert any("黄牌" in n for n in notes) and any("红牌" in n for n in notes)
    finally:
        stack.call("DELETE", "/api/dev/clock")


def _sent_texts(data: Any) -> str:
    """Every text moto captured: SMS bodies as they are, emails (raw MIME) by their text part."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            if "MIME-Version" in value:
                mail = email.message_from_string(value, policy=email.policy.default)
                part = mail.get_body(("plain",))  # type: ignore[attr-defined]
                texts.append(part.get_content().replace("\r\n", "\n") if part else value)
            else:
                texts.append(value)

    walk(data)
    return "\n".join(texts)


def test_ctrl_c_stops_everything_the_stack_started() -> None:
    running = start("--empty")
    port = int(running.base.rsplit(":", 1)[1])
    moto_port = int(running.moto.rsplit(":", 1)[1])
    assert stop(running) == 0
    for used in (port, moto_port):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", used))  # free again


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    for name in ("AWS_ENDPOINT_URL", "WZ_TABLE_PREFIX", "WZ_PUBLIC_BASE_URL", "WZ_STAGE"):
        env.pop(name, None)
    command = [sys.executable, "-m", "functions.audit_cli", "--local", stack.moto]
    return subprocess.run(
        [*command, "--as", "auditor@wenzheng.example", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_audit_cli_queries_verifies_and_exports_against_the_local_stack(stack: Stack) -> None:
    case_id = _walk_to_closed(stack)
    month = stack.now().astimezone(SHANGHAI).strftime("%Y-%m")
    found = _cli(
        stack, "search", "--from", month, "--to", month, "--state", "closed", "--format", "jsonl"
    )
    assert found.returncode == 0, found.stderr
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert case_id in {r["case_id"] for r in rows}
    assert all(r["state"] == "closed" for r in rows)

    verified = _cli(stack, "verify", case_id)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["valid"] is True

    exported = _cli(stack, "export", "--from", month, "--to", month, "--state", "closed")
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads(exported.stdout)
    assert manifest["count"] == len(rows) and "导出" in exported.stderr  # the progress bar
    for f in manifest["files"]:
        with urllib.request.urlopen(f["url"], timeout=30) as r:  # the presigned download link
            assert hashlib.sha256(r.read()).hexdigest() == f["sha256"]
    checked = _cli(stack, "verify-export", manifest["export_id"])
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["valid"] is True

    refused = _cli(stack, "search", "--rating", "great")
    assert refused.returncode == 2 and "rating" in refused.stderr
    impostor = subprocess.run(
        [
            sys.executable,
            "-m",
            "functions.audit_cli",
            "--local",
            stack.moto,
            "--as",
            "coordinator@wenzheng.example",
            "search",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert impostor.returncode == 2


def _platform_now(stack: Stack) -> tuple[datetime, bool]:
    _, clock = stack.call("GET", "/api/dev/clock")
    return datetime.fromisoformat(clock["now"].replace("Z", "+00:00")), clock["shifted"]


def test_the_data_survives_a_restart_and_a_fresh_start_sets_it_aside(tmp_path: Path) -> None:
    """Stopped with SIGTERM (as a service manager stops it) and started again on the same data
    folder: the case, its tracking code, the department's link issued before the restart, a
    staff session and the moved platform clock are all there. The first run saves every half
    second, so its requests also meet moto held still for a snapshot."""
    data = tmp_path / "data"
    first = start("--empty", "--save-every", "0.5", data=data)
    try:
        created = first.submit("滨河路路灯连续一周不亮")
        case_id, code = created["case_id"], created["tracking_code"]
        session = first.staff_session("coordinator@wenzheng.example")
        bearer = {"Authorization": f"Bearer {session}"}
        _, departments = first.call("GET", "/api/departments")
        lead = departments["items"][0]
        accept = {"urgency": "general", "public": True}
        first.call("POST", f"/api/staff/cases/{case_id}/accept", accept, bearer)
        status, case = first.call(
            "POST",
            f"/api/staff/cases/{case_id}/assign",
            {"lead": lead["id"], "co_handlers": []},
            bearer,
        )
        assert status == 200 and case["state"] == "assigned"
        assignment = first.wait_for_message(
            lambda m: m["case_id"] == case_id and "handle.html#t=" in m["body"]
        )
        link = {"X-Link-Token": _link(assignment, "handle.html")}
        now, _ = _platform_now(first)
        later = now + timedelta(minutes=20)  # inside the staff session's idle hour
        first.call("POST", "/api/dev/clock", {"now": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
    finally:
        assert stop(first, signal.SIGTERM) == 0, "".join(first.output[-20:])
    saved = (data / "snapshot" / "tables" / "cases.json").read_text(encoding="utf-8")
    assert [json.loads(line)["Item"]["case_id"] for line in saved.splitlines()] == [{"S": case_id}]

    second = start("--empty", data=data)
    try:
        assert "restored" in "".join(second.output)
        status, mine = second.call("POST", f"/api/cases/{case_id}/track", {"tracking_code": code})
        assert status == 200 and mine["state"] == "assigned"
        status, view = second.call("GET", "/api/handle", headers=link)
        assert status == 200 and view["role"] == "lead" and view["case"]["case_id"] == case_id
        status, case = second.call("GET", f"/api/staff/cases/{case_id}", headers=bearer)
        assert status == 200 and case["state"] == "assigned"
        now, shifted = _platform_now(second)
        # Where the first stack left it, to the second the clock is shown in (a clock standing
        # still moves a microsecond a reading, and this one has been read fewer times).
        assert shifted and abs(now - later) <= timedelta(seconds=1)
        status, outbox = second.call("GET", "/api/dev/outbox")
        assert assignment in outbox["messages"]
    finally:
        assert stop(second) == 0

    third = start("--empty", "--fresh", data=data)
    try:
        status, _ = third.call("POST", f"/api/cases/{case_id}/track", {"tracking_code": code})
        assert status == 404
        assert not _platform_now(third)[1]
    finally:
        assert stop(third) == 0
    [backup] = (data / "backups").iterdir()
    assert case_id in (backup / "tables" / "cases.json").read_text(encoding="utf-8")
