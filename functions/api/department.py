"""Department routes behind a magic link; the token travels in ``X-Link-Token``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Response

from functions.api.http import body, header, ip, json_headers, now, route

department = Blueprint(__name__)


def _token() -> str | None:
    return header(department, "x-link-token")


Act = Callable[[str | None, datetime], dict[str, Any]]


def _once(action: str, data: dict[str, Any], act: Act) -> dict[str, Any]:
    """``act(token, now)``, at most once per ``Idempotency-Key`` for the bearer of this link."""
    from functions.services import handling
    from functions.services.common import run_once

    token, at = _token(), now()
    return run_once(
        header(department, "idempotency-key"),
        ("handle", token or "", action),
        data,
        lambda: act(token, at),
        now=at,
        replay=lambda: handling.show(token, at),
    )


@route(department, "/api/handle")
def show() -> dict[str, Any]:
    from functions.services import handling

    return handling.show(_token(), now())


@route(department, "/api/handle/sign", methods=("POST",))
def sign() -> dict[str, Any]:
    from functions.services import handling

    data = body(department, "empty")
    return _once("sign", data, handling.sign)


@route(department, "/api/handle/reply", methods=("POST",))
def reply() -> dict[str, Any]:
    from functions.services import handling

    data = body(department, "handle-reply")
    return _once("reply", data, lambda token, at: handling.reply(token, data, at))


@route(department, "/api/handle/extension", methods=("POST",))
def extension() -> dict[str, Any]:
    from functions.services import handling

    data = body(department, "handle-extension")
    return _once("extension", data, lambda token, at: handling.request_extension(token, data, at))


@route(department, "/api/handle/return", methods=("POST",))
def return_case() -> dict[str, Any]:
    from functions.services import handling

    data = body(department, "handle-return")
    return _once("return", data, lambda token, at: handling.request_return(token, data, at))


@route(department, "/api/handle/input", methods=("POST",))
def co_input() -> dict[str, Any]:
    from functions.services import handling

    data = body(department, "handle-input")
    return _once("input", data, lambda token, at: handling.co_input(token, data, at))


@route(department, "/api/handle/refresh", methods=("POST",))
def refresh() -> Response:
    from functions.services import handling, rate_limits

    data, at = body(department, "handle-refresh"), now()
    # Counted before anything is looked up: an unknown department answers like a known one.
    rate_limits.hit("refresh_ip", ip(department), at, route="/api/handle/refresh")
    rate_limits.hit("refresh_address", data["department_id"], at, route="/api/handle/refresh")
    handling.refresh(data["department_id"], data["case_id"], at)
    return Response(
        body={"message": "如该单位承办此诉求，新的办理链接已发送至其登记邮箱。"},
        status_code=202,
        headers=json_headers(),
    )
