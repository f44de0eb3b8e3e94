"""Schemathesis against the OpenAPI document the running stack serves (``GET /api/openapi.json``
of `make run`, on a free port): every operation, public, staff, audit, admin, department link
and Open311, gets generated requests, valid and invalid, and every answer must be no 5xx, a
documented status, a documented content type, a body that matches the documented schema and
the documented headers. Staff, audit and admin routes are called with real sessions, the
department routes with a real magic link and the desk routes with a real desk link, all taken
from the dev outbox the way a person takes them, so the generated requests reach the handlers
behind the 401.

Bounded and derandomized for `make test` (``FUZZ_EXAMPLES`` examples per operation and
generation mode, valid and invalid, default below); `make bench` runs a bigger one with
schemathesis's coverage phase too: ``FUZZ_EXAMPLES=100 FUZZ_COVERAGE=1 .venv/bin/python -m
pytest -q tests/stack/test_openapi_fuzz.py`` (docs/API.md, "How the document is fuzzed").
Rate limits are off in this stack (``WZ_RATE_LIMITS_ENABLED=0``) so the examples reach the
handlers."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.localstack import Stack, start, stop

pytestmark = pytest.mark.stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
TRACE = os.environ.get("FUZZ_TRACE") == "1"  # print each request as curl (with -s)
# Schemathesis's coverage phase (boundary values, each required part missing, methods no route
# has: ~2,700 requests, ~4 min on 2 busy cores) is for bigger runs: FUZZ_COVERAGE=1.
COVERAGE = os.environ.get("FUZZ_COVERAGE") == "1"
METHODS = ("get", "put", "post", "delete", "patch")
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class Credentials:
    coordinator: str
    auditor: str
    admin: str
    link: str
    desk: str

    def headers_for(self, method: str, path: str) -> dict[str, str]:
        """The credential a real caller of this route holds: the auditor's session for the
        archive, the admin's for settings, the coordinator's for the console, the department's
        link for handling, the unit's desk link for its 单位工作台. Sign-out goes
        unauthenticated so it does not end the session the rest of the run uses."""
        if path.startswith("/api/audit/"):
            return {"Authorization": f"Bearer {self.auditor}"}
        if path.startswith("/api/admin/"):
            return {"Authorization": f"Bearer {self.admin}"}
        if path.startswith("/api/staff/") and path != "/api/staff/sign-out":
            return {"Authorization": f"Bearer {self.coordinator}"}
        if path.startswith("/api/handle") and path != "/api/handle/refresh":
            return {"X-Link-Token": self.link}
        if path.startswith("/api/desk") and path != "/api/desk/request":
            return {"X-Link-Token": self.desk}
        return {}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = start("--empty", env={"WZ_RATE_LIMITS_ENABLED": "0"})
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


def _link(message: dict[str, Any], page: str) -> str:
    found = re.search(rf"{page}#t=([A-Za-z0-9_-]+)", message["body"])
    assert found, message["body"]
    return found.group(1)


@pytest.fixture(scope="module")
def credentials(stack: Stack) -> Credentials:
    coordinator = stack.staff_session("coordinator@wenzheng.example")
    bearer = {"Authorization": f"Bearer {coordinator}"}
    case_id = stack.submit("滨河路路灯连续一周不亮")["case_id"]
    _, departments = stack.call("GET", "/api/departments")
    lead = departments["items"][0]["id"]
    status, case = stack.call(
        "POST", f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}, bearer
    )
    assert status == 200, case
    status, case = stack.call(
        "POST", f"/api/staff/cases/{case_id}/assign", {"lead": lead, "co_handlers": []}, bearer
    )
    assert status == 200 and case["state"] == "assigned", case
    assignment = stack.wait_for_message(
        lambda m: m["case_id"] == case_id and "handle.html#t=" in m["body"]
    )
    # The lead's desk link, asked for at the address its assignment went to.
    status, _ = stack.call("POST", "/api/desk/request", {"email": assignment["to"]})
    assert status == 202
    desk = stack.wait_for_message(
        lambda m: m["to"] == assignment["to"] and "desk.html#t=" in m["body"]
    )
    return Credentials(
        coordinator=coordinator,
        auditor=stack.staff_session("auditor@wenzheng.example"),
        admin=stack.staff_session("admin@wenzheng.example"),
        link=_link(assignment, "handle.html"),
        desk=_link(desk, "desk.html"),
    )


@pytest.fixture(scope="module")
def api_schema(stack: Stack, credentials: Credentials, tmp_path_factory: Any) -> Any:
    """The document as the stack serves it, alone in a folder: the request-body schemas are
    bundled into it (``schemas.bundle``), so nothing beside it is needed."""
    folder = tmp_path_factory.mktemp("openapi")
    status, served = stack.call("GET", "/api/openapi.json")
    assert status == 200
    assert all(ref.startswith("#/") for ref in _refs(served)), "the document resolves alone"
    (folder / "openapi.json").write_text(json.dumps(served, ensure_ascii=False), "utf-8")
    config = SchemathesisConfig.from_dict(
        {
            "base-url": stack.base,
            "generation": {"deterministic": True, "database": "none"},
            "phases": {"coverage": {"enabled": COVERAGE}, "stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_path(str(folder / "openapi.json"), config=config)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_a_method_no_route_has_is_refused_as_a_client_error_not_a_501(stack: Stack) -> None:
    """The fuzzer's first finding: TRACE reached the standard library's 501 page. Now the API's
    router answers 405 (403 for no such path, as API Gateway) and the site 405."""
    for method in ("TRACE", "QUERY"):
        assert stack.call(method, "/api/taxonomy")[0] == 405
        assert stack.call(method, "/api/no-such-route")[0] == 403
        assert stack.call(method, "/index.html")[0] == 405


def _generated() -> dict[str, Any]:
    """The document as the app makes it on the local stage, before bundling."""
    from app import app
    from functions.api import openapi

    return openapi.document(app.routes, local=True)


def _documented() -> list[tuple[str, str]]:
    """(method, path) of every operation of the document, for the test ids; the run itself
    uses the document the stack serves (the test below checks they are the same)."""
    paths = _generated()["paths"]
    return [(m.upper(), p) for p, item in paths.items() for m in item if m in METHODS]


def test_the_stack_serves_the_document_that_is_fuzzed(stack: Stack, api_schema: Any) -> None:
    import schemas

    status, served = stack.call("GET", "/api/openapi.json")
    assert status == 200
    assert served == schemas.bundle(_generated())
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {(o.method.upper(), o.path) for o in operations} == set(_documented())


@pytest.mark.parametrize(
    ("method", "path"), _documented(), ids=[f"{m} {p}" for m, p in _documented()]
)
def test_every_documented_operation_answers_as_documented_and_never_with_a_5xx(
    method: str, path: str, stack: Stack, credentials: Credentials, api_schema: Any
) -> None:
    operation = api_schema[path][method]
    headers = credentials.headers_for(method, path)
    statuses: list[int] = []

    def call(case: Any) -> None:
        try:
            if TRACE:
                print(case.as_curl_command(headers=headers), flush=True)
            response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
            statuses.append(response.status_code)
        finally:
            if path == "/api/dev/clock" and method == "POST":
                stack.call("DELETE", "/api/dev/clock")  # a fuzzed clock would end the sessions

    run = build_operation_test(
        config=api_schema.config,
        operation=operation,
        test_func=call,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(api_schema)),
        explicit_settings=SETTINGS,
    )
    try:
        run()
    except FailureGroup as failures:
        raise as_reported_failure(failures) from None
    assert statuses, "no request was sent"
    if headers:  # the credential works: the examples reach the handler, not only the 401
        assert set(statuses) - {401}, statuses
