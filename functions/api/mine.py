"""我的诉求 (§17): citizens find their cases by the phone number they gave. A code by SMS, a
short session (``Authorization: Bearer …``), the list of cases, and a tracking code re-issued.
The use cases are functions/services/citizen_access.py."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from functions.api.http import body, header, ip, now, route
from functions.api.spec import CITIZEN_SESSION, PUBLIC, Spec, answer

mine = Blueprint(__name__)


@route(
    mine,
    "/api/citizen/otp",
    methods=("POST",),
    status=202,
    spec=Spec(
        summary="我的诉求：获取短信验证码",
        operation_id="citizenOtp",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Sends a 6-digit code by SMS to `phone` if the number gave any case (valid 5 "
            "minutes, 5 wrong answers). The answer is the same for every number, so it never "
            "tells whether a number has cases. Counted per client (`otp_ip`) and per number "
            "(`otp_phone`): 429 with `Retry-After`."
        ),
        request="citizen-otp",
        responses={202: answer("CitizenCodeSent", "Accepted: a code, if the number has cases")},
        errors=(400, 413, 415, 429, 503),
    ),
)
def request_code() -> dict[str, Any]:
    from functions.services import citizen_access

    data = body(mine, "citizen-otp")
    return citizen_access.request_code(data["phone"], ip(mine), now())


@route(
    mine,
    "/api/citizen/session",
    methods=("POST",),
    spec=Spec(
        summary="我的诉求：凭验证码登录",
        operation_id="citizenSession",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Opens a citizen session (30 minutes) with the code sent to `phone`; the code is "
            "spent. 401 `code_rejected` for a wrong, expired or spent code, or one never sent "
            "(the same answer for all; a wrong one takes one of the code's 5 tries). Counted "
            "per client (`otp_check_ip`)."
        ),
        request="citizen-session",
        responses={200: answer("CitizenSession")},
        errors=(400, 401, 413, 415, 429, 503),
    ),
)
def open_session() -> dict[str, Any]:
    from functions.services import citizen_access

    data = body(mine, "citizen-session")
    return citizen_access.open_session(data["phone"], data["code"], ip(mine), now())


@route(
    mine,
    "/api/citizen/cases",
    spec=Spec(
        summary="我的诉求：本手机号提交的全部诉求",
        operation_id="citizenCases",
        tags=("public",),
        security=CITIZEN_SESSION,
        description=(
            "Every case the session's phone number gave, newest first (at most 200; "
            "`truncated` when there are more), each with the state the citizen sees. 401 "
            "`citizen_session` without a live session."
        ),
        responses={200: answer("CitizenCases")},
        errors=(401, 503),
    ),
)
def my_cases() -> dict[str, Any]:
    from functions.services import citizen_access

    return citizen_access.my_cases(header(mine, "authorization"), now())


@route(
    mine,
    "/api/citizen/cases/{case_id}/tracking-code",
    methods=("POST",),
    spec=Spec(
        summary="我的诉求：重新获取查询码",
        operation_id="citizenReissueTrackingCode",
        tags=("public",),
        security=CITIZEN_SESSION,
        description=(
            "Issues the case a new tracking code, sent by SMS (and e-mail, if the case gave "
            "one) to the case's contact; the old code stops working at once. An internal event "
            "records it. 404 for a case of another number; 410 `case_archived` for an archived "
            "case (read-only); 401 `citizen_session` without a live session."
        ),
        request="empty",
        responses={200: answer("TrackingCodeReissued")},
        errors=(400, 401, 404, 410, 413, 415, 503),
    ),
)
def reissue_tracking_code(case_id: str) -> dict[str, Any]:
    from functions.services import citizen_access

    body(mine, "empty")
    return citizen_access.reissue_tracking_code(header(mine, "authorization"), case_id, now())
