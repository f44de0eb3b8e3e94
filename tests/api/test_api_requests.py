"""Submissions and bad input (§9): idempotent submission, 400s that name every bad field in
Chinese and English, malformed JSON, wrong content types, oversized bodies, unknown cases.
A client's mistake is never a 500 (the ``client`` fixture fails any test that sees one) and a
failed submission writes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import schemas
from tests.api.helpers import EMAIL, PHONE, Api, submission

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _bilingual(fields: dict[str, dict[str, str]]) -> None:
    for name, field in fields.items():
        assert CJK.search(field["message"]), (name, field)
        assert field["message_en"] and field["message_en"].isascii(), (name, field)


def _stored_rows() -> dict[str, int]:
    from functions.storage.models import CaseModel, EventModel, IdempotencyModel, OutboxModel

    return {
        m.__name__: sum(1 for _ in m.scan())
        for m in (CaseModel, EventModel, IdempotencyModel, OutboxModel)
    }


# --- idempotent submission -----------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_first_case(api: Api) -> None:
    key = {"Idempotency-Key": "5b1d0c1e-2f47-4f6a-9d43-7a0c1b2e3f40"}
    first = api.ok(api.post("/api/cases", submission(), key), 201)
    again = api.ok(api.post("/api/cases", submission(), key), 201)
    assert (again["case_id"], again["tracking_code"]) == (first["case_id"], first["tracking_code"])
    assert again["state"] == "submitted"
    assert api.counts()["submitted"] == 1
    assert [c["case_id"] for c in api.queue()["items"]] == [first["case_id"]]
    assert _stored_rows()["CaseModel"] == 1 and _stored_rows()["EventModel"] == 1
    # The replay answers with the case's current state.
    api.accept(first["case_id"])
    replay = api.ok(api.post("/api/cases", submission(), key), 201)
    assert replay["case_id"] == first["case_id"] and replay["state"] == "accepted"
    assert api.track(first["case_id"], replay["tracking_code"])["state"] == "accepted"


def test_same_idempotency_key_with_a_different_body_is_409(api: Api) -> None:
    key = {"Idempotency-Key": "retry-key-0001"}
    first = api.submit(headers=key)
    other = api.post("/api/cases", submission(title="另一件事：路灯不亮了"), key)
    assert other.status == 409 and other.code == "idempotency_mismatch"
    assert other.error["message"] and other.error["message_en"]
    assert api.counts()["submitted"] == 1
    assert [c["case_id"] for c in api.queue()["items"]] == [first["case_id"]]


def test_without_a_key_or_with_another_key_each_post_is_a_new_case(api: Api) -> None:
    ids = {
        api.submit()["case_id"],
        api.submit()["case_id"],
        api.submit(headers={"Idempotency-Key": "k-1"})["case_id"],
        api.submit(headers={"Idempotency-Key": "k-2"})["case_id"],
    }
    assert len(ids) == 4 and api.counts()["submitted"] == 4


def test_operator_entry_is_idempotent_too_and_keeps_its_channel(api: Api) -> None:
    key = {"Idempotency-Key": "hotline-call-778", **api.as_role("operator")}
    body = submission(channel="mailbox")
    first = api.ok(api.post("/api/staff/cases", body, key), 201)
    again = api.ok(api.post("/api/staff/cases", body, key), 201)
    assert again["case_id"] == first["case_id"]
    case = api.staff_case(first["case_id"])
    assert case["channel"] == "mailbox" and case["events"][0]["actor_label"] == "话务员"
    assert api.counts()["submitted"] == 1


def test_a_citizen_cannot_claim_a_staff_channel(api: Api) -> None:
    created = api.ok(api.post("/api/cases", submission(channel="hotline")), 201)
    assert api.staff_case(created["case_id"])["channel"] == "web"


# --- bad input -----------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    body = submission()
    body.pop(key)
    return body


BAD_SUBMISSIONS = [
    ("missing title", _without("title"), {"title": ("请填写标题", "title is required")}),
    ("title of 61", submission(title="标" * 61), {"title": ("标题不能超过 60 个字", "at most 60")}),
    (
        "content over 5000",
        submission(content="字" * 5001),
        {"content": ("内容不能超过 5000 个字", "5000")},
    ),
    (
        "bad mobile",
        submission(contact={"name": "王五", "phone": "12345678901"}),
        {"contact.phone": ("手机号", "mobile")},
    ),
    (
        "neither phone nor email",
        submission(contact={"name": "王五"}),
        {"contact": ("请至少填写手机号或电子邮箱之一", "phone or email is required")},
    ),
    ("unknown kind", submission(kind="rumour"), {"kind": ("诉求类型", "must be one of")}),
    ("extra field", {**submission(), "nickname": "小王"}, {"nickname": ("nickname", "nickname")}),
    (
        "extra contact field",
        submission(contact={"phone": PHONE, "address": "翠湖路 1 号"}),
        {"contact.address": ("address", "address")},
    ),
    ("public not boolean", submission(public="yes"), {"public": ("是否公开", "boolean")}),
    (
        "bad email",
        submission(contact={"email": "not-an-email"}),
        {"contact.email": ("邮箱", "email")},
    ),
    (
        "unknown district and category",
        submission(district="atlantis", category="magic"),
        {"district": ("区县", "district"), "category": ("分类", "category")},
    ),
    (
        "several at once",
        {**_without("title"), "kind": "rumour", "contact": {"phone": "123"}},
        {
            "title": ("标题", "title"),
            "kind": ("诉求类型", "one of"),
            "contact.phone": ("手机号", "mobile"),
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [b[1:] for b in BAD_SUBMISSIONS], ids=[b[0] for b in BAD_SUBMISSIONS]
)
def test_bad_submission_names_each_bad_field_and_writes_nothing(
    api: Api, body: dict[str, Any], expected: dict[str, tuple[str, str]]
) -> None:
    answer = api.post("/api/cases", body, {"Idempotency-Key": "same-key-for-a-retry"})
    assert answer.status == 400 and answer.code == "validation_failed"
    assert answer.error["message"] and answer.error["message_en"]
    assert set(answer.fields) == set(expected), answer.fields
    for name, (zh, en) in expected.items():
        assert zh in answer.fields[name]["message"], answer.fields[name]
        assert en in answer.fields[name]["message_en"], answer.fields[name]
    _bilingual(answer.fields)
    assert _stored_rows() == {
        "CaseModel": 0,
        "EventModel": 0,
        "IdempotencyModel": 0,
        "OutboxModel": 0,
    }
    assert sum(api.counts().values()) == 0 and api.queue()["items"] == []
    assert api.ok(api.get("/api/cases"))["items"] == []
    # The key was not used up by the failed attempt.
    api.ok(api.post("/api/cases", submission(), {"Idempotency-Key": "same-key-for-a-retry"}), 201)


def test_values_at_the_limits_are_accepted(api: Api) -> None:
    created = api.submit(
        title="标" * 60,
        content="字" * 5000,
        contact={"phone": "+86" + PHONE},
        kind="praise",
        district="east",
        category="transport",
    )
    case = api.staff_case(created["case_id"])
    assert len(case["title"]) == 60 and len(case["content"]) == 5000
    assert case["contact"] == {"name": None, "phone": "+86" + PHONE, "email": None}
    only_email = api.submit(contact={"email": EMAIL})
    assert api.staff_case(only_email["case_id"])["contact"]["phone"] is None


def _case_id(api: Api) -> str:
    return str(api.submit()["case_id"])


# Every route that reads a JSON body: (method, path, schema, who may call it).
BODY_ROUTES = [
    ("POST", "/api/cases", "case-submission", None),
    ("POST", "/api/cases/{id}/track", "tracking", None),
    ("POST", "/api/cases/{id}/rating", "rating", None),
    ("POST", "/api/handle/sign", "empty", None),
    ("POST", "/api/handle/reply", "handle-reply", None),
    ("POST", "/api/handle/extension", "handle-extension", None),
    ("POST", "/api/handle/return", "handle-return", None),
    ("POST", "/api/handle/input", "handle-input", None),
    ("POST", "/api/handle/refresh", "handle-refresh", None),
    ("POST", "/api/staff/sign-in", "staff-sign-in", None),
    ("POST", "/api/staff/session", "staff-session", None),
    ("POST", "/api/staff/cases", "case-submission", "operator"),
    ("POST", "/api/staff/cases/{id}/accept", "accept", "coordinator"),
    ("POST", "/api/staff/cases/{id}/reject", "reject", "coordinator"),
    ("POST", "/api/staff/cases/{id}/assign", "assign", "coordinator"),
    ("POST", "/api/staff/cases/{id}/return-decision", "return-decision", "coordinator"),
    ("POST", "/api/staff/cases/{id}/extension-decision", "extension-decision", "coordinator"),
    ("POST", "/api/staff/cases/{id}/close", "close", "coordinator"),
    ("POST", "/api/dev/clock", "dev-clock", None),
]


def test_every_body_route_rejects_bad_bodies_in_one_envelope(api: Api) -> None:
    """For each route with a JSON body: unknown and missing fields → 400 naming each of them
    (from the route's schema), malformed JSON → 400, not JSON → 415, over 64 KiB → 413."""
    case_id = _case_id(api)
    _, link = api.assigned_case("dept-1")
    failures: list[str] = []

    def expect(route: str, answer: Any, status: int, code: str) -> None:
        if answer.status != status or not isinstance(answer.body, dict):
            failures.append(f"{route}: {answer.status} {answer.body}")
            return
        error = answer.body.get("error") or {}
        if error.get("code") != code or not error.get("message") or not error.get("message_en"):
            failures.append(f"{route}: {answer.body}")

    for method, template, schema, role in BODY_ROUTES:
        path = template.replace("{id}", case_id)
        headers = {**link.headers, **(api.as_role(role) if role else {})}
        route = f"{method} {template}"
        required = set(schemas.load(schema).get("required", []))

        answer = api.call(method, path, {"unexpected": 1}, headers)
        expect(route, answer, 400, "validation_failed")
        if answer.status == 400:
            named = {f["field"] for f in answer.error.get("fields", [])}
            if named != required | {"unexpected"}:
                failures.append(f"{route}: fields {named} != {required | {'unexpected'}}")
            _bilingual(answer.fields)

        answer = api.call(
            method, path, headers={**headers, **{"Content-Type": "application/json"}}, raw='{"a": '
        )
        expect(route, answer, 400, "malformed_json")
        for kind in ("text/plain", "application/x-www-form-urlencoded"):
            answer = api.call(method, path, headers={**headers, "Content-Type": kind}, raw="a=1")
            expect(f"{route} as {kind}", answer, 415, "unsupported_media_type")
        big = json.dumps({"text": "x" * (64 * 1024)})
        answer = api.call(
            method, path, headers={**headers, "Content-Type": "application/json"}, raw=big
        )
        expect(route, answer, 413, "too_large")
    assert not failures, "\n".join(failures)


def test_malformed_json_names_the_body(api: Api) -> None:
    for raw in ('{"kind": "complaint",', "not json", b"\xff\xfe\x00"):
        answer = api.call(
            "POST", "/api/cases", headers={"Content-Type": "application/json"}, raw=raw
        )
        assert answer.status == 400 and answer.code == "malformed_json"
        assert answer.fields[""]["message_en"] == "malformed JSON"
    for value in ("[]", "null", '"text"', "42"):
        answer = api.call(
            "POST", "/api/cases", headers={"Content-Type": "application/json"}, raw=value
        )
        assert answer.status == 400 and answer.code == "validation_failed", value
    assert _stored_rows()["CaseModel"] == 0


def test_json_with_a_charset_is_json(api: Api) -> None:
    answer = api.call(
        "POST",
        "/api/cases",
        headers={"Content-Type": "application/json; charset=utf-8"},
        raw=json.dumps(submission()),
    )
    assert answer.status == 201


def test_an_unlisted_content_type_is_415_too(api: Api) -> None:
    answer = api.call("POST", "/api/cases", headers={"Content-Type": "application/xml"}, raw="<a/>")
    assert answer.status == 415
    assert _stored_rows()["CaseModel"] == 0


def test_a_body_just_over_64_kib_is_413_and_writes_nothing(api: Api) -> None:
    body = submission(content="字" * 4000)
    raw = json.dumps(body, ensure_ascii=False)
    raw = raw[:-1] + ', "padding": "' + "x" * (64 * 1024 - len(raw.encode()) + 1) + '"}'
    assert len(raw.encode()) > 64 * 1024
    answer = api.call("POST", "/api/cases", headers={"Content-Type": "application/json"}, raw=raw)
    assert answer.status == 413 and answer.code == "too_large"
    assert _stored_rows()["CaseModel"] == 0


# --- unknown things ------------------------------------------------------------------------

UNKNOWN = "WZ20261102-ZZZZZZ"


def test_unknown_cases_are_404_on_every_route(api: Api) -> None:
    created = api.submit()
    code = created["tracking_code"]
    coordinator = api.as_role("coordinator")
    for case_id in (UNKNOWN, "x" * 41, "%00"):
        answers = {
            "public": api.get(f"/api/cases/{case_id}"),
            "track": api.post(f"/api/cases/{case_id}/track", {"tracking_code": code}),
            "rating": api.post(
                f"/api/cases/{case_id}/rating", {"tracking_code": code, "rating": "satisfied"}
            ),
            "staff": api.get(f"/api/staff/cases/{case_id}", coordinator),
            "accept": api.post(
                f"/api/staff/cases/{case_id}/accept",
                {"urgency": "general", "public": True},
                coordinator,
            ),
            "reject": api.post(
                f"/api/staff/cases/{case_id}/reject",
                {"reason_code": "spam", "reason": "广告"},
                coordinator,
            ),
            "assign": api.post(
                f"/api/staff/cases/{case_id}/assign", {"lead": "dept-1"}, coordinator
            ),
            "close": api.post(
                f"/api/staff/cases/{case_id}/close", {"note": "办结说明"}, coordinator
            ),
        }
        wrong = {k: (a.status, a.body) for k, a in answers.items() if a.status != 404}
        assert not wrong, (case_id, wrong)
        assert all(a.code == "case_not_found" for a in answers.values())


def test_a_wrong_tracking_code_reads_like_an_unknown_case(api: Api) -> None:
    created = api.submit()
    wrong = api.post(f"/api/cases/{created['case_id']}/track", {"tracking_code": "AAAA2222"})
    unknown = api.post(f"/api/cases/{UNKNOWN}/track", {"tracking_code": created["tracking_code"]})
    assert wrong.status == unknown.status == 404
    assert wrong.body == unknown.body
    lower = created["tracking_code"].lower()
    spaced = f"{lower[:4]} {lower[4:]}"
    assert api.track(created["case_id"], spaced)["case_id"] == created["case_id"]


def test_unknown_departments_schemas_actions_and_jobs(api: Api) -> None:
    case_id = api.submit()["case_id"]
    bad = api.act(case_id, "accept", {"urgency": "general", "public": True, "category": "magic"})
    assert bad.status == 400 and "category" in bad.fields
    assert api.staff_case(case_id)["state"] == "submitted"
    api.accept(case_id)
    bad = api.act(case_id, "assign", {"lead": "dept-99", "co_handlers": ["dept-2"]})
    assert bad.status == 400 and "lead" in bad.fields
    bad = api.act(case_id, "assign", {"lead": "dept-1", "co_handlers": ["dept-1"]})
    assert bad.status == 400 and "co_handlers" in bad.fields
    bad = api.act(case_id, "assign", {"lead": "Dept 1!"})
    assert bad.status == 400 and "lead" in bad.fields
    assert api.staff_case(case_id)["state"] == "accepted"
    assert api.get("/api/schemas/nope").status == 404
    assert api.get("/api/schemas/..%2Fpyproject").status == 404
    assert api.ok(api.get("/api/schemas/case-submission"))["properties"]["title"]["maxLength"] == 60
    assert api.act(case_id, "explode", {}).status == 404
    assert api.post("/api/dev/jobs/nope").status == 404


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "cursor=e30=",  # {}
        "cursor=eyJhIjoxfQ==",  # {"a":1}
        "cursor=WzFd",  # [1]
        # the right keys with values of the wrong shape
        "cursor=eyJjYXNlX2lkIjoxLCJjcmVhdGVkX2tleSI6MiwicHViX2FsbCI6M30=",
        "cursor=eyJjYXNlX2lkIjp7IlMiOiJ4In0sImNyZWF0ZWRfa2V5Ijp7Ik4iOiIxIn0sInB1Yl9hbGwiOnsiUyI6IjEifX0=",
        # the right shape, forged values; another partition
        "cursor=eyJjYXNlX2lkIjp7IlMiOiJ4In0sImNyZWF0ZWRfa2V5Ijp7IlMiOiIyMDI2In0sInB1Yl9hbGwiOnsiUyI6IjEifX0=",
        "cursor=eyJjYXNlX2lkIjp7IlMiOiJ4In0sImNyZWF0ZWRfa2V5Ijp7IlMiOiJ5In0sInB1Yl9hbGwiOnsiUyI6IjIifX0=",
        "state=nonsense&kind=%00&district=" + "x" * 500,
    ],
)
def test_odd_query_strings_are_400_or_empty_never_500(api: Api, query: str) -> None:
    board = api.get(f"/api/cases?{query}")
    assert board.status in (200, 400), board.body
    if board.status == 400:
        assert "cursor" in board.fields
    queue = api.get(f"/api/staff/queue?{query}", api.as_role("coordinator"))
    assert queue.status in (200, 400), queue.body


def test_the_dev_clock_takes_iso_instants_only(api: Api) -> None:
    bad = api.post("/api/dev/clock", {"now": "next tuesday"})
    assert bad.status == 400 and "now" in bad.fields
    assert api.post("/api/dev/clock", {}).fields["now"]["message"] == "请填写时间"
    shifted = api.ok(api.post("/api/dev/clock", {"now": "2026-11-02T10:00:00+08:00"}))
    assert shifted["now"] == "2026-11-02T02:00:00Z" and shifted["shifted"]
    assert not api.ok(api.call("DELETE", "/api/dev/clock"))["shifted"]


# --- fail closed (issue 13 §5) -----------------------------------------------------------------


def _import_app(stage: str | None) -> subprocess.CompletedProcess[str]:
    """``import app`` in a fresh interpreter with ``WZ_STAGE`` as given (None: unset); prints
    the dev routes it registered."""
    env = {k: v for k, v in os.environ.items() if k != "WZ_STAGE"}
    if stage is not None:
        env["WZ_STAGE"] = stage
    code = "import app; print(sorted(p for p in app.app.routes if p.startswith('/api/dev')))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_app_refuses_to_start_without_an_explicit_stage() -> None:
    missing = _import_app(None)
    assert missing.returncode != 0
    assert "WZ_STAGE is not set" in missing.stderr
    assert _import_app("").returncode != 0


def test_only_the_local_stage_registers_the_dev_routes() -> None:
    for stage in ("dev", "prod"):
        started = _import_app(stage)
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == "[]", (stage, started.stdout)
    local = _import_app("local")
    assert "/api/dev/outbox" in local.stdout and "/api/dev/clock" in local.stdout


def test_dev_routes_answer_only_a_caller_on_this_machine(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import settings

    secret = "origin-secret-for-tests"
    monkeypatch.setenv("WZ_ORIGIN_SECRET", secret)
    settings.cache_clear()
    try:
        # Behind the (trusted) CDN the caller is the viewer, not this machine.
        remote = {"X-Origin-Verify": secret, "CloudFront-Viewer-Address": "203.0.113.9:443"}
        before = api.ok(api.get("/api/dev/clock"))
        for method, path in (
            ("GET", "/api/dev/outbox"),
            ("GET", "/api/dev/clock"),
            ("POST", "/api/dev/clock"),
            ("DELETE", "/api/dev/clock"),
            ("POST", "/api/dev/jobs/sweep"),
        ):
            body = {"now": "2026-11-02T10:00:00+08:00"} if method == "POST" else None
            answer = api.call(method, path, body, remote)
            assert answer.status == 404, (method, path, answer.status, answer.body)
        assert api.ok(api.get("/api/dev/clock")) == before  # nothing was changed
        local = {"X-Origin-Verify": secret, "CloudFront-Viewer-Address": "127.0.0.1:50000"}
        assert api.call("GET", "/api/dev/outbox", None, local).status == 200
    finally:
        monkeypatch.undo()
        settings.cache_clear()
