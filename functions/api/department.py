"""Department routes behind a magic link; the token travels in ``X-Link-Token``."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.action_specs import ACTION_SPECS
from functions.api.http import body, header, ip, json_headers, now, route
from functions.api.spec import LINK, PUBLIC, Spec, answer

department = Blueprint(__name__)


def _token() -> str | None:
    return header(department, "x-link-token")


@route(
    department,
    "/api/handle",
    spec=Spec(
        summary="办理链接：查看交办的诉求",
        operation_id="handleShow",
        tags=("department",),
        security=LINK,
        description=(
            "401 `invalid_link` for an unknown or expired link; 410 `assignment_ended` once the "
            "assignment behind it ended."
        ),
        responses={200: answer("HandleView")},
        errors=(401, 410, 503),
    ),
)
def show() -> dict[str, Any]:
    from functions.services import handling

    return handling.show(_token(), now())


@route(department, "/api/handle/sign", methods=("POST",), spec=ACTION_SPECS["sign"])
def sign() -> dict[str, Any]:
    from functions.services import handling

    body(department, "empty")
    return handling.sign(_token(), now())


@route(department, "/api/handle/reply", methods=("POST",), spec=ACTION_SPECS["reply"])
def reply() -> dict[str, Any]:
    from functions.services import handling

    return handling.reply(_token(), body(department, "handle-reply"), now())


@route(department, "/api/handle/extension", methods=("POST",), spec=ACTION_SPECS["extension"])
def extension() -> dict[str, Any]:
    from functions.services import handling

    return handling.request_extension(_token(), body(department, "handle-extension"), now())


@route(department, "/api/handle/return", methods=("POST",), spec=ACTION_SPECS["return"])
def return_case() -> dict[str, Any]:
    from functions.services import handling

    return handling.request_return(_token(), body(department, "handle-return"), now())


@route(department, "/api/handle/input", methods=("POST",), spec=ACTION_SPECS["input"])
def co_input() -> dict[str, Any]:
    from functions.services import handling

    return handling.co_input(_token(), body(department, "handle-input"), now())


@route(
    department,
    "/api/handle/refresh",
    methods=("POST",),
    spec=Spec(
        summary="重新发送办理链接到单位登记邮箱",
        operation_id="handleRefresh",
        tags=("department",),
        security=PUBLIC,
        description=(
            "A department that lost its link asks for a fresh one: it is sent to the "
            "department's registered e-mail addresses if the department holds an assignment of "
            "the case. The answer is the same 202 either way and names no address."
        ),
        request="handle-refresh",
        responses={
            202: answer(
                "Message",
                "Accepted, always (a fresh link is emailed if the department handles the case)",
            )
        },
        errors=(400, 413, 415, 429, 503),
    ),
)
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
