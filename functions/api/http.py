"""HTTP glue shared by every Blueprint: one error envelope, JSON bodies checked against their
schema, the platform clock, and the mapping from domain errors to status codes."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Response

from functions import clock
from functions.domain import errors
from functions.settings import settings
from functions.validation import check, parse_json

log = logging.getLogger("wenzheng.api")

STATUS = {
    errors.InvalidRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
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
    if status >= 500:
        log.error("request failed: %s", error)
    return Response(body={"error": body}, status_code=status, headers=json_headers())


def route(
    bp: Blueprint,
    path: str,
    methods: tuple[str, ...] = ("GET",),
    status: int = 200,
    cache_seconds: int = 0,
) -> Callable[[Callable[..., Any]], Any]:
    """Register a view whose domain errors become enveloped error responses."""

    def register(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def view(*args: Any, **kwargs: Any) -> Response:
            try:
                result = fn(*args, **kwargs)
            except errors.DomainError as error:
                return error_response(error)
            if isinstance(result, Response):
                return result
            headers = json_headers()
            if cache_seconds:
                headers["Cache-Control"] = f"public, max-age={cache_seconds}"
            return Response(body=result, status_code=status, headers=headers)

        bp.route(path, methods=list(methods), content_types=CONTENT_TYPES)(view)
        return view

    return register


def body(bp: Blueprint, schema: str) -> dict[str, Any]:
    """The request's JSON body, validated against ``schemas/<schema>.json``."""
    request = bp.current_request
    raw = request.raw_body
    if isinstance(raw, str):
        raw = raw.encode()
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if raw and content_type != "application/json":
        raise errors.UnsupportedMediaType(
            "请以 JSON 格式提交", "send application/json", "unsupported_media_type"
        )
    parsed = parse_json(raw, limit=settings().max_body_bytes)
    return check(schema, parsed)


def query(bp: Blueprint, *names: str) -> dict[str, str]:
    params: dict[str, Any] = dict(bp.current_request.query_params or {})
    return {n: params[n][:200] for n in names if params.get(n)}


def header(bp: Blueprint, name: str) -> str | None:
    value = bp.current_request.headers.get(name)
    return str(value) if value is not None else None
