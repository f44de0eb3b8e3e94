"""Department routes behind a magic link; the token travels in ``X-Link-Token``."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.http import body, header, ip, json_headers, now, route

department = Blueprint(__name__)


def _token() -> str | None:
    return header(department, "x-link-token")


@route(department, "/api/handle")
def show() -> dict[str, Any]:
    from functions.services import handling

    return handling.show(_token(), now())


@route(department, "/api/handle/sign", methods=("POST",))
def sign() -> dict[str, Any]:
    from functions.services import handling

    body(department, "empty")
    return handling.sign(_token(), now())


@route(department, "/api/handle/reply", methods=("POST",))
def reply() -> dict[str, Any]:
    from functions.services import handling

    return handling.reply(_token(), body(department, "handle-reply"), now())


@route(department, "/api/handle/extension", methods=("POST",))
def extension() -> dict[str, Any]:
    from functions.services import handling

    return handling.request_extension(_token(), body(department, "handle-extension"), now())


@route(department, "/api/handle/return", methods=("POST",))
def return_case() -> dict[str, Any]:
    from functions.services import handling

    return handling.request_return(_token(), body(department, "handle-return"), now())


@route(department, "/api/handle/input", methods=("POST",))
def co_input() -> dict[str, Any]:
    from functions.services import handling

    return handling.co_input(_token(), body(department, "handle-input"), now())


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
