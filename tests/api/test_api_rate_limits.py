"""Rate limits (429 + Retry-After in the usual envelope), body limits (413 before parsing on
every route that takes a body) and the security log of refused tokens and codes.

Each test sets small limits through ``WZ_RATE_LIMITS`` and drives the platform clock across
fixed windows (1 h windows start on the hour; T0 is on the hour)."""

from __future__ import annotations

import io
import json
import logging
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.helpers import EMAIL, JSON, PHONE, STAFF, T0, Answer, Api, submission

SECRET = "origin-secret-for-tests"


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set ``WZ_RATE_LIMITS`` (and any other variable) for one test."""
    from functions.settings import settings

    def configure(spec: str, **env: str) -> None:
        monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")  # the suite runs with them off
        monkeypatch.setenv("WZ_RATE_LIMITS", spec)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield configure
    monkeypatch.undo()  # the suite's own settings again
    settings.cache_clear()


def viewer(ip: str, secret: str = SECRET) -> dict[str, str]:
    """The headers CloudFront adds in front of the API."""
    return {"X-Origin-Verify": secret, "CloudFront-Viewer-Address": f"{ip}:443"}


def someone(n: int) -> dict[str, Any]:
    """A submission from a different citizen each time."""
    return submission(contact={"name": "市民", "phone": f"1380000{n:04d}"})


def retry_after(answer: Answer) -> str | None:
    return {k.lower(): v for k, v in answer.headers.items()}.get("retry-after")


def assert_limited(answer: Answer, window: int) -> None:
    assert answer.status == 429, (answer.status, answer.body)
    assert answer.code == "rate_limited"
    assert "后再试" in answer.error["message"] and "try again" in answer.error["message_en"]
    assert 0 < int(retry_after(answer)) <= window


# --- submissions -----------------------------------------------------------------------------


def test_submissions_per_ip_trip_at_max_plus_one_and_reset_in_the_next_window(
    api: Api, limits: Any
) -> None:
    limits("submit_ip=3/1h,submit_contact=100/1d")
    for n in range(3):
        api.ok(api.post("/api/cases", someone(n)), 201)
    refused = api.post("/api/cases", someone(3))
    assert_limited(refused, 3600)
    assert (
        refused.error["message"].startswith("提交过于频繁，请 ")
        and "分钟" in refused.error["message"]
    )

    api.set_clock(T0 + timedelta(hours=1))
    api.ok(api.post("/api/cases", someone(4)), 201)


def test_submissions_per_contact_count_phone_and_email_across_addresses(
    api: Api, limits: Any
) -> None:
    limits("submit_ip=100/1h,submit_contact=2/1d", WZ_ORIGIN_SECRET=SECRET)
    same_phone = [PHONE, f"+86{PHONE}"]
    for n, phone in enumerate(same_phone):
        api.ok(
            api.post("/api/cases", submission(contact={"phone": phone}), viewer(f"198.51.100.{n}")),
            201,
        )
    assert_limited(
        api.post("/api/cases", submission(contact={"phone": PHONE}), viewer("198.51.100.9")), 86400
    )
    # The same address, another citizen: not limited; an email is counted on its own.
    api.ok(api.post("/api/cases", someone(1), viewer("198.51.100.9")), 201)
    for _ in range(2):
        api.ok(api.post("/api/cases", submission(contact={"email": EMAIL.upper()})), 201)
    assert_limited(api.post("/api/cases", submission(contact={"email": EMAIL})), 86400)


def test_a_retry_with_the_same_idempotency_key_replays_before_any_limit_is_counted(
    api: Api, limits: Any
) -> None:
    limits("submit_ip=100/1h,submit_contact=1/1d")
    key = {"Idempotency-Key": "retry-after-a-lost-answer"}
    first = api.ok(api.post("/api/cases", submission(), key), 201)
    assert_limited(api.post("/api/cases", submission(title="另一件诉求的标题")), 86400)
    for _ in range(3):  # the contact's limit is used up, but a retry is not a new submission
        again = api.ok(api.post("/api/cases", submission(), key), 201)
        assert again["replayed"] is True
        assert (again["case_id"], again["tracking_code"]) == (
            first["case_id"],
            first["tracking_code"],
        )
    reused = api.post("/api/cases", submission(title="同一标识不同内容"), key)
    assert reused.status == 409 and reused.code == "idempotency_mismatch"


def test_a_refused_submission_lets_go_of_its_idempotency_key(api: Api, limits: Any) -> None:
    limits("submit_ip=100/1h,submit_contact=1/1d")
    api.ok(api.post("/api/cases", submission(title="今天的第一件诉求")), 201)
    key = {"Idempotency-Key": "refused-then-retried"}
    assert_limited(api.post("/api/cases", submission(), key), 86400)
    api.set_clock(T0 + timedelta(days=1))
    created = api.ok(api.post("/api/cases", submission(), key), 201)
    assert created["replayed"] is False


def test_a_key_held_by_a_request_that_died_is_taken_over_once_its_hold_lapses(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from functions.services import citizen
    from functions.storage import idempotency

    monkeypatch.setattr(citizen, "REPLAY_WAIT_SECONDS", 0.0)
    key = "held-by-a-dead-request"
    body_hash = hashlib.sha256(json.dumps(submission(), sort_keys=True).encode()).hexdigest()
    assert idempotency.claim(hashlib.sha256(key.encode()).hexdigest(), body_hash, T0) is None
    held = api.post("/api/cases", submission(), {"Idempotency-Key": key})
    assert held.status == 409 and held.code == "idempotency_in_progress", held.body
    api.set_clock(T0 + idempotency.HOLD + timedelta(seconds=1))
    created = api.ok(api.post("/api/cases", submission(), {"Idempotency-Key": key}), 201)
    assert created["replayed"] is False


def test_the_viewer_address_counts_only_behind_the_trusted_origin(api: Api, limits: Any) -> None:
    limits("submit_ip=2/1h,submit_contact=100/1d", WZ_ORIGIN_SECRET=SECRET)
    # Trusted: each viewer has its own count.
    for n in range(2):
        api.ok(api.post("/api/cases", someone(n), viewer("203.0.113.5")), 201)
    assert_limited(api.post("/api/cases", someone(2), viewer("203.0.113.5")), 3600)
    api.ok(api.post("/api/cases", someone(3), viewer("2001:db8::7")), 201)
    # A forged header without the secret is ignored: all count against the source address.
    for n in range(2):
        api.ok(api.post("/api/cases", someone(10 + n), viewer(f"192.0.2.{n}", "guess")), 201)
    assert_limited(api.post("/api/cases", someone(12), viewer("192.0.2.99", "guess")), 3600)


def test_open311_requests_share_the_submission_limits(api: Api, limits: Any) -> None:
    limits("submit_ip=1/1h,submit_contact=100/1d")
    form = urlencode(
        {
            "service_code": "complaint.urban",
            "description": "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快处理。",
            "last_name": "欧阳",
            "phone": "13800001111",
            "district": "city",
            "public": "true",
        }
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    first = api.call("POST", "/open311/v2/requests.json", headers=headers, raw=form)
    assert first.status == 201, first.body
    refused = api.call("POST", "/open311/v2/requests.json", headers=headers, raw=form)
    assert refused.status == 429, refused.body
    assert refused.body[0]["code"] == 429 and "提交过于频繁" in refused.body[0]["description"]
    assert 0 < int(retry_after(refused)) <= 3600
    # The web form is the same channel: this address has used its one submission.
    assert_limited(api.post("/api/cases", someone(1)), 3600)


# --- tracking codes --------------------------------------------------------------------------


def test_wrong_codes_lock_that_cases_code_checks_for_the_window_only(api: Api, limits: Any) -> None:
    limits("track_case=3/1h,track_ip=100/1h")
    mine = api.submit()
    other = api.submit(contact={"phone": "13800002222"})
    track = f"/api/cases/{mine['case_id']}/track"
    for _ in range(3):
        assert api.post(track, {"tracking_code": "WRONG234"}).status == 404
    # Locked: even the right code waits, on both routes that take it.
    assert_limited(api.post(track, {"tracking_code": mine["tracking_code"]}), 3600)
    assert_limited(api.rate(mine["case_id"], mine["tracking_code"], "satisfied"), 3600)
    # Another case is not locked.
    api.track(other["case_id"], other["tracking_code"])

    api.set_clock(T0 + timedelta(hours=1))
    assert api.track(mine["case_id"], mine["tracking_code"])["case_id"] == mine["case_id"]


def test_right_codes_do_not_use_up_the_cases_failures(api: Api, limits: Any) -> None:
    limits("track_case=2/1h,track_ip=100/1h")
    mine = api.submit()
    for _ in range(5):
        api.track(mine["case_id"], mine["tracking_code"])
    assert (
        api.post(f"/api/cases/{mine['case_id']}/track", {"tracking_code": "WRONG234"}).status == 404
    )


def test_every_code_attempt_counts_per_address(api: Api, limits: Any) -> None:
    limits("track_ip=4/1h,track_case=100/1h,submit_ip=100/1h", WZ_ORIGIN_SECRET=SECRET)
    created = [api.submit(contact={"phone": f"1380000{n:04d}"}) for n in range(3)]
    here = viewer("203.0.113.20")
    for case in created:
        api.ok(
            api.post(
                f"/api/cases/{case['case_id']}/track",
                {"tracking_code": case["tracking_code"]},
                here,
            )
        )
    assert (
        api.post(
            f"/api/cases/{created[0]['case_id']}/track", {"tracking_code": "WRONG234"}, here
        ).status
        == 404
    )
    refused = api.post(
        f"/api/cases/{created[1]['case_id']}/track",
        {"tracking_code": created[1]["tracking_code"]},
        here,
    )
    assert_limited(refused, 3600)
    assert refused.error["message"].startswith("查询过于频繁")
    # Another address is not affected.
    api.ok(
        api.post(
            f"/api/cases/{created[1]['case_id']}/track",
            {"tracking_code": created[1]["tracking_code"]},
            viewer("203.0.113.21"),
        )
    )


# --- staff sign-in and link refresh ----------------------------------------------------------


def _same(a: Answer, b: Answer) -> None:
    assert (a.status, a.body) == (b.status, b.body)
    assert retry_after(a) == retry_after(b)


def test_sign_in_limits_answer_alike_for_known_and_unknown_addresses(api: Api, limits: Any) -> None:
    limits("signin_address=2/15m,signin_ip=100/1h")
    known, unknown = STAFF["coordinator"], "nobody@wenzheng.example"
    for _ in range(3):
        _same(
            api.post("/api/staff/sign-in", {"email": known}),
            api.post("/api/staff/sign-in", {"email": unknown}),
        )
    refused = api.post("/api/staff/sign-in", {"email": known.upper()})
    assert_limited(refused, 900)
    assert len(api.messages(to=known)) == 2  # the refused requests sent nothing
    api.ok(api.post("/api/staff/sign-in", {"email": STAFF["auditor"]}), 202)

    api.set_clock(T0 + timedelta(minutes=15))
    api.ok(api.post("/api/staff/sign-in", {"email": known}), 202)


def test_sign_in_per_address_of_the_requester(api: Api, limits: Any) -> None:
    limits("signin_address=100/15m,signin_ip=3/1h", WZ_ORIGIN_SECRET=SECRET)
    emails = [STAFF["coordinator"], STAFF["auditor"], "nobody@wenzheng.example"]
    for email in emails:
        api.ok(api.post("/api/staff/sign-in", {"email": email}, viewer("203.0.113.30")), 202)
    assert_limited(
        api.post("/api/staff/sign-in", {"email": STAFF["admin"]}, viewer("203.0.113.30")), 3600
    )
    api.ok(api.post("/api/staff/sign-in", {"email": STAFF["admin"]}, viewer("203.0.113.31")), 202)


def test_link_refresh_limits_answer_alike_for_known_and_unknown_departments(
    api: Api, limits: Any
) -> None:
    limits("refresh_address=2/1h,refresh_ip=100/1h")
    created, _link = api.assigned_case("dept-1")
    for _ in range(3):
        _same(
            api.post(
                "/api/handle/refresh", {"department_id": "dept-1", "case_id": created["case_id"]}
            ),
            api.post(
                "/api/handle/refresh", {"department_id": "dept-99", "case_id": created["case_id"]}
            ),
        )
    assert_limited(
        api.post("/api/handle/refresh", {"department_id": "dept-1", "case_id": created["case_id"]}),
        3600,
    )


# --- when the limiter cannot count ----------------------------------------------------------


def test_an_unreachable_limiter_lets_submissions_through_and_refuses_code_checks(
    api: Api, limits: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from functions.storage import rate_limits as counters

    limits("submit_ip=1/1h")
    created = api.submit()

    def down(*_: Any) -> bool:
        raise counters.CounterUnavailable("table unreachable")

    monkeypatch.setattr(counters, "take", down)
    with caplog.at_level(logging.WARNING, logger="wenzheng.security"):
        api.ok(api.post("/api/cases", someone(1)), 201)  # fail open
    assert "rate_limit_not_checked" in [r.getMessage() for r in caplog.records]
    # Fail closed where a secret is guarded (503, not a silent pass). The suite's client
    # fails a test on any 5xx, so these go through a client of their own.
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as own:
        for path, body in (
            (f"/api/cases/{created['case_id']}/track", {"tracking_code": created["tracking_code"]}),
            ("/api/staff/sign-in", {"email": STAFF["coordinator"]}),
            ("/api/handle/refresh", {"department_id": "dept-1", "case_id": created["case_id"]}),
        ):
            answer = own.http.post(path, headers=JSON, body=json.dumps(body).encode())
            assert answer.status_code == 503, path
            assert json.loads(answer.body)["error"]["code"] == "unavailable"


def test_limits_can_be_switched_off_for_fuzzing_runs(api: Api, limits: Any) -> None:
    limits("submit_ip=1/1h,submit_contact=1/1d", WZ_RATE_LIMITS_ENABLED="0")
    for _ in range(3):
        api.submit()


# --- body limits -----------------------------------------------------------------------------


def _body_routes() -> list[tuple[str, str]]:
    """Every route that takes a body, a route dispatching on ``{action}`` once per action."""
    from app import app
    from functions.domain import actions

    audiences = {
        "/api/staff/cases/{case_id}/{action}": "staff",
        "/api/handle/{action}": "department",
        "/api/cases/{case_id}/{action}": "citizen",
    }
    found = []
    for path, methods in app.routes.items():
        for method in methods:
            if method not in ("POST", "PUT", "PATCH"):
                continue
            paths = [path]
            if path in audiences:
                routed = actions.routed(audiences[path])  # type: ignore[arg-type]
                paths = [path.replace("{action}", a.route.suffix) for a in routed if a.route]
            for each in paths:
                found.append((method, each.replace("{", "").replace("}", "")))  # case_id
    return sorted(found)


def test_every_route_that_takes_a_body_answers_413_before_parsing(api: Api) -> None:
    from functions.api.http import BODY_LIMITS
    from functions.settings import settings

    routes = _body_routes()
    assert len(routes) >= 25
    for method, path in routes:
        limit = BODY_LIMITS.get((method, path), settings().max_body_bytes)
        too_big = b"{" + b" " * limit + b"}"
        for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            headers = {"Content-Type": content_type, "Content-Length": "12"}  # it lies
            answer = api.call(method, path, headers=headers, raw=too_big)
            assert answer.status == 413, (method, path, content_type, answer.status)
            if path.endswith(".xml"):
                assert "<code>413</code>" in answer.body
            elif path.startswith("/open311/"):
                assert answer.body[0]["code"] == 413
            else:
                assert answer.code == "too_large"
    # At the limit itself, parsing goes on (and finds the JSON incomplete, not too large).
    at_limit = b"{" + b" " * (limit - 2) + b"}"
    api.ok(api.call("POST", "/api/cases", headers=JSON, raw=at_limit), 400)


def test_a_10_mb_body_is_refused_without_being_parsed_or_copied(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functions.api.http as http

    def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("an oversized body reached the parser")

    from chalice.test import Client

    from app import app

    huge = b'{"title": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    api.call("POST", "/api/cases", headers=JSON, raw=b"{}")  # warm up imports and caches
    monkeypatch.setattr(http, "parse_json", never)
    monkeypatch.setattr(http, "check", never)
    # A client of its own: the suite's recording wrapper parses every submission it sends.
    with Client(app, stage_name="local") as own:
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            answer = own.http.post("/api/cases", headers=JSON, body=huge)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert answer.status_code == 413
    assert json.loads(answer.body)["error"]["code"] == "too_large"
    # Refusing it allocates a small fraction of the body: not one copy of it (measured: 0.0).
    assert (peak - before) / len(huge) < 0.5


# --- the security log ------------------------------------------------------------------------


def test_refused_codes_and_tokens_are_logged_without_the_secrets(
    api: Api, limits: Any, written: io.StringIO
) -> None:
    limits("")  # the production defaults
    created, link = api.assigned_case("dept-1")
    sign_in = api.sign_in_token(STAFF["coordinator"])
    session = api.ok(api.post("/api/staff/session", {"token": sign_in}))["session_token"]
    wrong_code = "WRONG234"
    fake_link, fake_session = "L" * 43, "S" * 43
    written.seek(0)
    written.truncate()
    assert (
        api.post(f"/api/cases/{created['case_id']}/track", {"tracking_code": wrong_code}).status
        == 404
    )
    assert api.get("/api/handle", {"X-Link-Token": fake_link}).status == 401
    assert api.get("/api/staff/me", {"Authorization": f"Bearer {fake_session}"}).status == 401
    assert api.post("/api/staff/session", {"token": sign_in}).status == 401  # used already
    assert api.get("/api/staff/me").status == 401  # no credential: not an attempt
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    security = [line for line in lines if line["logger"] == "wenzheng.security"]
    assert [(line["message"], line["method"], line["route"]) for line in security] == [
        ("tracking_code_rejected", "POST", "/api/cases/{case_id}/track"),
        ("link_token_rejected", "GET", "/api/handle"),
        ("staff_session_rejected", "GET", "/api/staff/me"),
        ("signin_token_rejected", "POST", "/api/staff/session"),
    ], lines
    assert security[0]["case_id"] == created["case_id"] and security[0]["ip"] == "127.0.0.1"
    assert [line["code"] for line in security[1:]] == [
        "invalid_link",
        "unauthorized",
        "invalid_link",
    ]
    assert len({line["request_id"] for line in security}) == 4  # one per request
    secrets = [
        wrong_code,
        created["tracking_code"],
        fake_link,
        fake_session,
        sign_in,
        session,
        link.token,
        PHONE,
        EMAIL,
    ]
    leaked = [s for s in secrets if s in written.getvalue()]
    assert not leaked
