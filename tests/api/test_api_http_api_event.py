"""The app behind API Gateway's HTTP API (infra/template.py ``http_api``): the Lambda proxy
integration with payload format 1.0 hands the handler the event AWS documents for it
("Create AWS Lambda proxy integrations for HTTP APIs", format 1.0: lower-case header names,
``requestContext.resourcePath`` the route, ``stage`` ``$default``). Chalice routes by
``resourcePath``; these events, built as that page shows them, reach the same handlers as the
test client's, with their path parameters, query strings, headers and bodies, and the answers
come back in the 1.0 response shape."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from tests.api.helpers import Api, submission


@dataclass
class LambdaContext:
    aws_request_id: str = "c0ffee00-0000-4000-8000-000000000001"
    function_name: str = "wenzheng-prod-api_handler"
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


def http_api_event(
    method: str,
    route: str,
    params: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """Payload format 1.0 as API Gateway's HTTP API sends it."""
    path = route
    for name, value in (params or {}).items():
        path = path.replace(f"{{{name}}}", value)
    sent = {name.lower(): value for name, value in (headers or {}).items()}
    sent.setdefault("host", "abcdef1234.execute-api.ap-southeast-1.amazonaws.com")
    text = None if body is None else json.dumps(body, ensure_ascii=False)
    if text is not None:
        sent.setdefault("content-type", "application/json")
    return {
        "version": "1.0",
        "resource": route,
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "authorizer": {"claims": None, "scopes": None},
            "domainName": "abcdef1234.execute-api.ap-southeast-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "extendedRequestId": "request-id",
            "httpMethod": method,
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest", "user": None},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": "id=",
            "requestTime": "04/Dec/2026:19:15:17 +0000",
            "requestTimeEpoch": 1796411717135,
            "resourceId": None,
            "resourcePath": route,
            "stage": "$default",
        },
        "pathParameters": params or None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": False,
    }


def handle(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    from app import app

    answer = app(event, LambdaContext())
    assert set(answer) >= {"statusCode", "headers", "body"}  # the 1.0 response shape
    body = answer["body"]
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    kind = {k.lower(): v for k, v in answer["headers"].items()}.get("content-type", "")
    return answer["statusCode"], answer["headers"], json.loads(body) if "json" in kind else body


def test_a_submission_its_tracking_and_the_board_through_http_api_events(api: Api) -> None:
    status, headers, created = handle(
        http_api_event(
            "POST",
            "/api/cases",
            headers={"Idempotency-Key": "http-api-1", "Accept": "application/json"},
            body=submission(title="HTTP API 送来的诉求：路灯不亮"),
        )
    )
    assert status == 201, created
    assert {k.lower(): v for k, v in headers.items()}["content-type"].startswith("application/json")
    case_id, code = created["case_id"], created["tracking_code"]

    # A path parameter and a body: the case's tracking page.
    status, _, tracked = handle(
        http_api_event(
            "POST",
            "/api/cases/{case_id}/track",
            params={"case_id": case_id},
            body={"tracking_code": code},
        )
    )
    assert status == 200 and tracked["case_id"] == case_id, tracked
    assert tracked["title"] == "HTTP API 送来的诉求：路灯不亮"

    # The same answer the test client gets.
    assert api.track(case_id, code)["case_id"] == case_id

    # A query string: the board, filtered (the case is not public yet: an empty page).
    status, _, board = handle(
        http_api_event("GET", "/api/cases", query={"district": ["city"], "kind": ["complaint"]})
    )
    assert status == 200 and isinstance(board["items"], list), board
    status, _, refused = handle(
        http_api_event("GET", "/api/cases", query={"cursor": ["not-a-cursor"]})
    )
    assert status == 400 and "cursor" in json.dumps(refused), refused  # the query reached the app

    # A client's mistake is the app's error envelope, not API Gateway's.
    status, _, refused = handle(
        http_api_event(
            "POST",
            "/api/cases/{case_id}/track",
            params={"case_id": case_id},
            body={"tracking_code": "nope"},
        )
    )
    assert status in (400, 404) and "error" in refused, refused
