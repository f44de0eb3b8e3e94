"""单位工作台 (§15): a unit's desk behind its desk link; the token travels in ``X-Link-Token``
(the page reads it from ``desk.html#t=…``). The admin's revocation is in functions/api/admin.py."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.http import body, header, ip, json_headers, now, route
from functions.api.spec import DESK, PUBLIC, Spec, answer, path_param

desk = Blueprint(__name__)

REQUEST = "/api/desk/request"


def _token() -> str | None:
    return header(desk, "x-link-token")


@route(
    desk,
    REQUEST,
    methods=("POST",),
    spec=Spec(
        summary="申请单位工作台链接（发送到单位登记邮箱）",
        operation_id="deskRequest",
        tags=("department",),
        security=PUBLIC,
        description=(
            "One of a unit's registered e-mail addresses (its contacts') asks for the unit's "
            "desk link: a fresh `desk.html#t=<token>` (valid `WZ_DESK_LINK_DAYS`, 30 days) is "
            "e-mailed to that address and replaces the unit's previous desk link. The answer "
            "is the same 202 for a known and an unknown address; counted per address "
            "(`desk_address`) and per client (`desk_ip`) before anything is looked up."
        ),
        request="desk-request",
        responses={202: answer("Message", "Accepted, always")},
        errors=(400, 413, 415, 429, 503),
    ),
)
def request_link() -> Response:
    from functions.domain.rate_limits import normalise_email
    from functions.services import desk as desks
    from functions.services import rate_limits

    email, at = body(desk, "desk-request")["email"], now()
    # Counted before the address is looked up: known and unknown addresses answer alike.
    rate_limits.hit("desk_ip", ip(desk), at, route=REQUEST)
    rate_limits.hit("desk_address", normalise_email(email), at, route=REQUEST)
    desks.request_link(email, at)
    return Response(
        body={"message": "如该邮箱是已登记单位的联系邮箱，工作台链接已发送，请查收邮件。"},
        status_code=202,
        headers=json_headers(),
    )


@route(
    desk,
    "/api/desk",
    spec=Spec(
        summary="单位工作台：本单位牵头的在办诉求",
        operation_id="deskShow",
        tags=("department",),
        security=DESK,
        description=(
            "The unit's open cases as lead, most urgent first (红牌, 黄牌, overdue, then the "
            "nearest deadline; a case with no deadline running last), with the figures of "
            "the weekly mail. At most 300 cases (`truncated` says there were more: the "
            "nearest deadlines are listed). Never changes anything. 401 `invalid_link` for "
            "a token that is no desk link; 410 `desk_link_expired`, `desk_link_replaced` (a "
            "fresher link was sent), `desk_link_revoked` (the admin revoked it) or "
            "`desk_unit_inactive`."
        ),
        responses={200: answer("Desk")},
        errors=(401, 410, 503),
    ),
)
def show() -> dict[str, Any]:
    from functions.services import desk as desks

    return desks.show(_token(), now())


@route(
    desk,
    "/api/desk/cases/{case_id}/link",
    methods=("POST",),
    spec=Spec(
        summary="从工作台打开诉求（生成办理链接）",
        operation_id="deskCaseLink",
        tags=("department",),
        security=DESK,
        description=(
            "A fresh handling link (`handle.html#t=<token>`) for one of the unit's open "
            "cases, in the role the unit holds on it (lead or co-handler), like the one its "
            "assignment e-mail carried; the desk page opens it. POST because it makes a link. "
            "404 `not_on_desk` for any case the unit does not hold now (closed, reassigned, "
            "another unit's); 401/410 as `GET /api/desk`."
        ),
        request="empty",
        responses={200: answer("DeskCaseLink")},
        errors=(400, 401, 404, 410, 413, 415, 503),
    ),
)
def case_link(case_id: str) -> dict[str, Any]:
    from functions.services import desk as desks

    body(desk, "empty")
    return desks.open_case(_token(), case_id, now())


@route(
    desk,
    "/api/desk/talks/{talk_id}/rectification",
    methods=("POST",),
    spec=Spec(
        summary="报送约谈整改情况",
        operation_id="deskTalkRectification",
        tags=("department",),
        security=DESK,
        description=(
            "The unit reports its rectification after a 约谈 (`GET /api/desk` lists its "
            "records), once: the record then reads 已报整改 on the rankings page and in the next "
            "通报 (late when after its due date). 404 `talk_not_found` for a record that is not "
            "the unit's; 409 `rectification_reported` for a second report; 401/410 as `GET "
            "/api/desk`."
        ),
        parameters=(
            path_param(
                "talk_id", "a 约谈 record's id, `<YYYY-MM>-<unit>`", example="2026-11-dept-1"
            ),
        ),
        request="talk-rectification",
        responses={200: answer("Talk")},
        errors=(400, 401, 404, 409, 410, 413, 415, 503),
    ),
)
def talk_rectification(talk_id: str) -> dict[str, Any]:
    from functions.services import talks

    return talks.report(_token(), talk_id, body(desk, "talk-rectification"), now())
