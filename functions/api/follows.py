"""关注 (§14): follow a case by e-mail (double opt-in), confirm, unsubscribe: by the page's
JSON, or by the one-click POST a mail client sends to a follower message's
``List-Unsubscribe`` URL (RFC 8058). No follower's address ever leaves through these."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from functions.api.http import body, ip, now, query, route
from functions.api.spec import PUBLIC, Spec, answer, error_answer, query_param
from functions.domain.errors import InvalidRequest, invalid_field
from functions.validation import check

follows = Blueprint(__name__)

TOKEN = query_param(
    "token",
    "the unsubscribe link's token, as the `List-Unsubscribe` URL carries it (one-click POST only)",
)
LINK_ERRORS = (
    "404 `link_not_found`; 409 `link_used` or `link_expired`, each with the reason in Chinese "
    "and English."
)
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@route(
    follows,
    "/api/cases/{case_id}/follow",
    methods=("POST",),
    status=202,
    spec=Spec(
        summary="关注诉求（邮件确认）",
        operation_id="follow",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Asks to follow a public case by e-mail: a confirmation e-mail (double opt-in) "
            "goes to `email` unless the address already follows the case; the answer is the "
            "same either way, so it never tells whether an address follows. With "
            "`tracking_code`, the citizen follows their own case, public or not (counted like "
            "every tracking-code attempt). Counted per client (`follow_ip`) and per address "
            "(`follow_email`). 404 when the case does not exist or is not public (or the "
            "tracking code is wrong); 409 `case_finished` once its handling is over."
        ),
        request="follow",
        responses={202: answer("FollowRequest", "Accepted: check the mailbox")},
        errors=(400, 404, 409, 413, 415, 429, 503),
    ),
)
def follow(case_id: str) -> dict[str, Any]:
    from functions.services import citizen, rate_limits

    data, at, client = body(follows, "follow"), now(), ip(follows)
    if "tracking_code" not in data:
        return citizen.follow(case_id, data, client, at)
    with rate_limits.code_attempt(case_id, client, at, route="/api/cases/{case_id}/follow"):
        return citizen.follow(case_id, data, client, at)


@route(
    follows,
    "/api/follows/confirm",
    methods=("POST",),
    spec=Spec(
        summary="确认关注（邮件中的链接）",
        operation_id="confirmFollow",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The confirmation link's token (`follow.html?do=confirm#t=…`; the page posts it): "
            "the address follows the case from now on, once however often it is confirmed. "
            f"{LINK_ERRORS} 409 `case_finished` if the case's handling ended meanwhile; 404 "
            "`case_not_found` if it is no longer public (a citizen's own follow excepted)."
        ),
        request="follow-token",
        responses={200: answer("Following")},
        errors=(400, 404, 409, 413, 415, 503),
    ),
)
def confirm() -> dict[str, Any]:
    from functions.services import following

    return following.confirm(body(follows, "follow-token")["token"], now())


@route(
    follows,
    "/api/follows/unsubscribe",
    methods=("POST",),
    spec=Spec(
        summary="取消关注（一键退订）",
        operation_id="unsubscribe",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Ends a follow. The page posts the link's token as JSON; a mail client posts the "
            "RFC 8058 one-click form (`List-Unsubscribe=One-Click`, "
            "`application/x-www-form-urlencoded` or `multipart/form-data`) to the "
            "`List-Unsubscribe` URL, which carries the token in `token=`. "
            f"{LINK_ERRORS}"
        ),
        parameters=(TOKEN,),
        request="follow-token",
        form="OneClickUnsubscribe",
        responses={200: answer("Following")},
        errors=(400, 404, 409, 413, 415, 503),
    ),
)
def unsubscribe() -> dict[str, Any]:
    from functions.services import following

    return following.unsubscribe(_unsubscribe_token(), now())


def _form_fields(content_type: str, raw: bytes) -> dict[str, str]:
    """The fields of a form body, url-encoded or multipart (RFC 8058 allows both)."""
    if content_type.split(";")[0].strip().lower() == FORMS[0]:
        text = raw.decode("utf-8", "replace")
        return {name: values[-1] for name, values in parse_qs(text).items()}
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {content_type}\r\n\r\n".encode("utf-8", "replace")
    parsed = BytesParser(policy=HTTP).parsebytes(head + raw)
    fields: dict[str, str] = {}
    for part in parsed.iter_parts() if parsed.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            raw_value = payload if isinstance(payload, bytes) else b""
            fields[name] = raw_value.decode("utf-8", "replace").strip()
    return fields


def _unsubscribe_token() -> str:
    """The token of a page's JSON body, or of a one-click form's URL (``token=``)."""
    request = follows.current_request
    content_type = str(request.headers.get("content-type") or "")
    if content_type.split(";")[0].strip().lower() not in FORMS:
        return str(body(follows, "follow-token")["token"])
    raw = request.raw_body or b""
    fields = _form_fields(content_type, raw if isinstance(raw, bytes) else raw.encode())
    if fields.get("List-Unsubscribe") != "One-Click":
        raise invalid_field(
            "List-Unsubscribe",
            "一键退订须提交 List-Unsubscribe=One-Click",
            "a one-click unsubscribe posts List-Unsubscribe=One-Click",
        )
    return _query_token()


def _query_token() -> str:
    token = query(follows, "token").get("token")
    if token is None:
        raise invalid_field("token", "缺少退订链接的 token", "the URL has no token=")
    try:
        return str(check("follow-token", {"token": token})["token"])
    except InvalidRequest as error:
        raise invalid_field("token", "退订链接不完整", "the token is malformed") from error


@route(
    follows,
    "/api/follows/unsubscribe",
    spec=Spec(
        summary="取消关注链接（在浏览器中打开）",
        operation_id="unsubscribePage",
        tags=("public",),
        security=PUBLIC,
        description=(
            "A mail client without one-click support opens the `List-Unsubscribe` URL in a "
            "browser: it is sent on to the page that unsubscribes with one click "
            "(`follow.html?do=unsubscribe#t=…`). Opening it changes nothing."
        ),
        parameters=(TOKEN,),
        responses={
            303: {
                "description": "See Other: the unsubscribe page",
                "headers": {
                    "Location": {
                        "description": "`<site>/follow.html?do=unsubscribe#t=<token>`",
                        "schema": {"type": "string"},
                    }
                },
            },
            "default": error_answer("An error in the `/api` envelope"),
        },
        errors=(400,),
    ),
)
def unsubscribe_page() -> Response:
    from functions.services import following

    page = following.unsubscribe_page(_query_token())
    headers: dict[str, str | list[str]] = {
        "Location": page,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    return Response(body="", status_code=303, headers=headers)
