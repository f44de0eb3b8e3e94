"""HTTP glue shared by every Blueprint: one error envelope, JSON bodies checked against their
schema, the platform clock, and the mapping from domain errors to status codes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Response

from functions import clock
from functions.api.spec import Declared, record
from functions.domain import errors
from functions.settings import settings
from functions.validation import bad_text, check, encodable, field_name, invalid_text, parse_json

log = logging.getLogger("wenzheng.api")
security_log = logging.getLogger("wenzheng.security")

STATUS = {
    errors.InvalidRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
}

# Chalice answers an unlisted content type itself; we list the usual ones and answer 415
# in our own envelope.
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
]

# Answers sent as bytes (base64 to API Gateway, which lists them as its binary media types):
# the monthly 通报's Word file. app.py adds them to Chalice's defaults.
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINARY_TYPES = (DOCX_TYPE,)

JSON_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def json_headers() -> dict[str, str | list[str]]:
    return dict(JSON_HEADERS)


def now() -> datetime:
    return clock.utcnow()


def error_response(error: errors.DomainError) -> Response:
    status = next((code for cls, code in STATUS.items() if isinstance(error, cls)), 500)
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "message_en": error.message_en,
    }
    if error.fields:
        body["fields"] = [
            {"field": f.field, "message": f.message, "message_en": f.message_en}
            for f in error.fields
        ]
    if error.cases:
        body["cases"] = list(error.cases)
    if status >= 500:
        log.error("request_failed", extra={"code": error.code, "status": status})
    headers = json_headers()
    if isinstance(error, errors.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return Response(body={"error": body}, status_code=status, headers=headers)


def too_large() -> errors.TooLarge:
    limit = settings().max_body_bytes
    message = f"提交内容过大（不能超过 {limit // 1024} KB）"
    return errors.TooLarge(message, f"the body exceeds {limit} bytes", "too_large")


def body_size(request: Any) -> int:
    """The length of the body as received: never the client's Content-Length, which may lie.
    Measured before anything decodes or parses it."""
    try:
        raw = request.raw_body
    except UnicodeEncodeError:  # a text body holding a lone surrogate has no bytes at all
        raise errors.InvalidRequest(
            "请求内容不是有效的 UTF-8 文本",
            "the body is not valid UTF-8 text",
            "malformed_body",
            [errors.FieldError("", "请求内容不是有效的 UTF-8 文本", "not UTF-8 text")],
        ) from None
    return len(raw) if raw else 0


def screen_request(request: Any, limit: int | None = None) -> None:
    """What every view may take for granted, checked before it runs: the body is within the
    limit (413), and no path parameter, query value or header holds text without a UTF-8 form
    (a lone surrogate, which a gateway may pass on from input such as ``%ED%A0%80``), each
    such one named in a 400 (``invalid_text``) instead of failing wherever it is first
    encoded: a hash, a log line, an answer that quotes it. ``limit``: a route's own body
    limit in bytes, above the deployment's."""
    if body_size(request) > (limit or settings().max_body_bytes):
        raise too_large()
    params = request.query_params
    named: list[tuple[str, Any]] = [
        *(request.uri_params or {}).items(),
        *((name, value) for name in (params or {}) for value in params.getlist(name)),
        *(request.headers or {}).items(),
    ]
    bad = [
        bad_text(field_name(str(name)))
        for name, value in named
        if not (encodable(str(name)) and encodable(str(value)))
    ]
    if bad:
        raise invalid_text(bad)


def client_ip(request: Any) -> str:
    """The caller's address: API Gateway's source IP, unless the request came through our
    CloudFront (it carries ``X-Origin-Verify`` equal to ``WZ_ORIGIN_SECRET``), whose
    ``CloudFront-Viewer-Address`` ("ip:port", IPv6 too) names the viewer."""
    context = request.context or {}
    source = str((context.get("identity") or {}).get("sourceIp") or "")
    secret = settings().origin_secret
    if not secret:
        return source
    headers = request.headers or {}
    presented = str(headers.get("x-origin-verify") or "")
    if not hmac.compare_digest(presented.encode(), secret.encode()):
        return source
    viewer = str(headers.get("cloudfront-viewer-address") or "").strip()
    host = viewer.rsplit(":", 1)[0] if ":" in viewer else viewer
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return source


def fingerprint(secret: str) -> str:
    """A short, non-reversible tag of a 256-bit token, to correlate log lines; never use it
    for low-entropy secrets such as tracking codes."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def _log_rejected_credential(request: Any, error: errors.DomainError) -> None:
    """One WARNING line when a presented token or session is refused (never the token; the
    route and the request id come with the request's log scope)."""
    headers = request.headers or {}
    bearer = str(headers.get("authorization") or "")
    link = str(headers.get("x-link-token") or "")
    path = request.context.get("resourcePath", "") if request.context else ""
    if link:
        event, tag = "link_token_rejected", fingerprint(link)
    elif bearer:
        event, tag = "staff_session_rejected", fingerprint(bearer.removeprefix("Bearer ").strip())
    elif path == "/api/staff/session":
        event, tag = "signin_token_rejected", "-"
    else:
        return  # no credential presented: a signed-out page asking, not an attempt
    security_log.warning(event, extra={"code": error.code, "ip": client_ip(request), "fp": tag})


def dependency_failure(error: Exception) -> errors.Unavailable | None:
    """A throttled, unreachable or failing AWS dependency (DynamoDB, S3) met on a request
    path, as a 503 ``unavailable`` (logged at ERROR by class and error code only: never a
    message, which may quote request data); None for anything else, which stays a bug."""
    from functions.storage import failures

    mapped = failures.unavailable(error)
    if mapped is not None:
        log.error("dependency_unavailable", extra={"error": failures.describe(error)})
    return mapped


# (method, path) → its own body limit in bytes, for the routes that declare one above the
# deployment's (``route(max_body_bytes=…)``).
BODY_LIMITS: dict[tuple[str, str], int] = {}


def route(
    bp: Blueprint,
    path: str,
    methods: tuple[str, ...] = ("GET",),
    status: int = 200,
    cache_seconds: int = 0,
    spec: Declared | None = None,
    max_body_bytes: int | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Register a view whose domain errors become enveloped error responses, and what the API
    document says of it (``spec``, functions/api/spec.py; the document refuses a route
    without one)."""

    def register(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def view(*args: Any, **kwargs: Any) -> Response:
            request = bp.current_request
            try:
                screen_request(request, max_body_bytes)
                result = fn(*args, **kwargs)
            except errors.DomainError as error:
                if isinstance(error, errors.Unauthorized):
                    _log_rejected_credential(request, error)
                return error_response(error)
            except Exception as error:
                mapped = dependency_failure(error)
                if mapped is None:
                    raise
                return error_response(mapped)
            if isinstance(result, Response):
                return result
            headers = json_headers()
            if cache_seconds:
                headers["Cache-Control"] = f"public, max-age={cache_seconds}"
            return Response(body=result, status_code=status, headers=headers)

        bp.route(path, methods=list(methods), content_types=CONTENT_TYPES)(view)
        if max_body_bytes:
            BODY_LIMITS.update({(m, path): max_body_bytes for m in methods})
        if spec is not None:
            record(methods, path, spec, cache_seconds=cache_seconds)
        return view

    return register


def body(bp: Blueprint, schema: str, limit: int | None = None) -> dict[str, Any]:
    """The request's JSON body, validated against ``schemas/<schema>.json``; ``limit`` as
    the route declared it (``route(max_body_bytes=…)``)."""
    request = bp.current_request
    raw = request.raw_body
    if isinstance(raw, str):
        raw = raw.encode()
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if raw and content_type != "application/json":
        raise errors.UnsupportedMediaType(
            "请以 JSON 格式提交", "send application/json", "unsupported_media_type"
        )
    limit = limit or settings().max_body_bytes
    if raw and len(raw) > limit:
        raise too_large()
    parsed = parse_json(raw, limit=limit)
    return check(schema, parsed)


def query(bp: Blueprint, *names: str) -> dict[str, str]:
    params: dict[str, Any] = dict(bp.current_request.query_params or {})
    return {n: params[n][:200] for n in names if params.get(n)}


def ip(bp: Blueprint) -> str:
    return client_ip(bp.current_request)


def header(bp: Blueprint, name: str) -> str | None:
    value = bp.current_request.headers.get(name)
    return str(value) if value is not None else None
