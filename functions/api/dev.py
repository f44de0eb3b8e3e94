"""Local stage only (never registered in dev or prod): the outbox of "sent" messages, the
platform clock, and running a scheduled job once.

Registered only when ``WZ_STAGE=local`` (app.py), and even then every route answers only a
caller on a loopback address: a deployment with a wrong stage still exposes nothing (API
Gateway's source address is never loopback)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint

from functions import clock
from functions.api.http import body, client_ip, now, route
from functions.api.spec import PUBLIC, Json, Spec, answer, path_param
from functions.domain.errors import NotFound, UnsupportedMediaType, invalid_field
from functions.jobs import JOBS, run
from functions.settings import settings
from functions.storage import outbox_repo
from functions.storage.codec import iso

dev = Blueprint(__name__)


def _spec(summary: str, operation_id: str, responses: dict[int | str, Json], **more: Any) -> Spec:
    """A dev route's operation: the local stage's only (``x-local-only``)."""
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("dev",),
        security=PUBLIC,
        responses=responses,
        local_only=True,
        **more,
    )


def _local_caller() -> None:
    """404 (as if the route did not exist) unless this is the local stage and the caller is
    on this machine."""
    try:
        loopback = ipaddress.ip_address(client_ip(dev.current_request)).is_loopback
    except ValueError:
        loopback = False
    if not (settings().is_local and loopback):
        raise NotFound("未找到", "not found", "not_found")


@route(
    dev,
    "/api/dev/outbox",
    spec=_spec(
        "开发邮箱：已“发送”的邮件和短信（最近 200 条）",
        "devOutbox",
        {
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "messages": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/SentMessage"},
                        }
                    },
                    "required": ["messages"],
                }
            )
        },
        errors=(503,),
    ),
)
def outbox() -> dict[str, Any]:
    _local_caller()
    return {
        "messages": [
            {
                "channel": m.channel,
                "to": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "sent_at": iso(m.sent_at) if m.sent_at else None,
                "status": m.status,
                "case_id": m.case_id,
                "template": m.template,
            }
            for m in outbox_repo.recent()
            if m.status == "sent"
        ]
    }


def _clock_view() -> dict[str, Any]:
    return {"now": iso(now()), "shifted": clock.is_shifted()}


@route(dev, "/api/dev/clock", spec=_spec("平台时钟", "devClock", {200: answer("Clock")}))
def show_clock() -> dict[str, Any]:
    _local_caller()
    return _clock_view()


@route(
    dev,
    "/api/dev/clock",
    methods=("POST",),
    spec=_spec(
        "拨动平台时钟",
        "devSetClock",
        {200: answer("Clock")},
        request="dev-clock",
        errors=(400, 413, 415),
    ),
)
def set_clock() -> dict[str, Any]:
    _local_caller()
    text = body(dev, "dev-clock")["now"]
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_field("now", "时间格式应为 ISO-8601", "must be ISO-8601") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    clock.set_now(instant)
    return _clock_view()


@route(
    dev,
    "/api/dev/clock",
    methods=("DELETE",),
    spec=_spec("恢复真实时钟", "devResetClock", {200: answer("Clock")}),
)
def reset_clock() -> dict[str, Any]:
    _local_caller()
    clock.reset()
    return _clock_view()


@route(
    dev,
    "/api/dev/jobs/{name}",
    methods=("POST",),
    spec=_spec(
        "立即运行一次定时任务",
        "devRunJob",
        {
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "job": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                        "result": {"description": "what the job reports (counts)"},
                    },
                    "required": ["job", "at", "result"],
                }
            )
        },
        description="Runs the scheduled function at the platform clock. 404 `no_such_job`.",
        parameters=(path_param("name", "job name", {"enum": sorted(JOBS)}),),
        errors=(404, 413, 503),
    ),
)
def run_job(name: str) -> dict[str, Any]:
    _local_caller()
    if name not in JOBS:
        raise NotFound("没有这个定时任务", f"no job {name}", "no_such_job")
    at = now()
    return {"job": name, "at": iso(at), "result": run(name, at)}


INBOUND_MAIL_BYTES = 10 * 1024 * 1024  # API Gateway's own limit on a request


@route(
    dev,
    "/api/dev/inbound-mail",
    methods=("POST",),
    max_body_bytes=INBOUND_MAIL_BYTES,
    spec=_spec(
        "模拟市长信箱收到一封邮件",
        "devInboundMail",
        {
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "description": "where it was stored"},
                        "outcome": {
                            "enum": ["created", "joined", "duplicate", "bounce"],
                            "description": "what the intake made of it",
                        },
                        "case_id": {
                            "type": ["string", "null"],
                            "description": "the case it made or joined",
                        },
                    },
                    "required": ["key", "outcome", "case_id"],
                }
            )
        },
        description=(
            "The body is a raw RFC 822 message as `text/plain` (or "
            "`application/octet-stream`). It is stored under `inbound/` of the local uploads "
            "bucket and handed to the `receive_mail` function as the S3 event would, the "
            "path SES-received mail takes (functions/services/mailbox.py)."
        ),
        errors=(413, 415),
    ),
)
def inbound_mail() -> dict[str, Any]:
    _local_caller()
    from functions.services import mailbox

    request = dev.current_request
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in ("text/plain", "application/octet-stream"):
        raise UnsupportedMediaType(
            "请以 text/plain 提交原始邮件",
            "send the raw message as text/plain",
            "unsupported_media_type",
        )
    raw = request.raw_body
    raw = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
    key, outcome, case_id = mailbox.deliver_locally(raw, now())
    return {"key": key, "outcome": outcome, "case_id": case_id}
