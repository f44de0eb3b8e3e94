"""Department routes behind a magic link; the token travels in ``X-Link-Token``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Response

from functions.api.action_specs import lifecycle_specs
from functions.api.http import body, header, ip, json_headers, now, route
from functions.api.spec import LINK, PUBLIC, Spec, answer

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


@route(
    department,
    "/api/handle/{action}",
    methods=("POST",),
    spec=lifecycle_specs("department"),
)
def act(action: str) -> dict[str, Any]:
    """A department's lifecycle action through its link (签收, 答复, 申请延期, 申请退回, 协办意见,
    请留言人补充材料, …, as its module declares it). An unknown one is a 404."""
    from functions.domain import actions
    from functions.services import handling

    declared = actions.by_suffix("department", action)
    assert declared.route is not None
    data = body(department, declared.route.schema)
    return _once(action, data, lambda token, at: handling.act(action, token, data, at))


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
