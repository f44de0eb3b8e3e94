"""Alibaba Cloud SMS (阿里云短信服务, API version 2017-05-25): ``SendSms`` with the approved
template code, its parameters as ``TemplateParam`` (a JSON object) and the 签名 as
``SignName``; delivery receipts by ``QuerySendDetails`` (one message: its number, BizId and
day of sending). Credentials: ``access_key_id`` and ``access_key_secret`` of the JSON secret
``WZ_SMS_SECRET`` (a RAM user allowed dysms:SendSms and dysms:QuerySendDetails only)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from functions.domain.calendar import SHANGHAI
from functions.notify import providers
from functions.notify.providers import Receipt, SmsRequest

if TYPE_CHECKING:
    from functions.notify.adapter import DeliveryFailed
    from functions.storage.outbox_repo import Message

log = logging.getLogger("wenzheng.sms")

HOST = "dysmsapi.aliyuncs.com"
CONNECT_TIMEOUT_MS = 3000
READ_TIMEOUT_MS = 10000

# Flow control (per number per minute / hour / day, or the account's), an empty balance or a
# suspended account: not this message's fault; wait without using up its attempts.
_THROTTLE = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "ServiceUnavailable",
        "InternalError",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
    }
)
# The message can never go as it is: the number, the template, the signature or a parameter.
_REFUSED = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.EXTEND_CODE_ERROR",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
    }
)


def failure(code: str, reason: str) -> DeliveryFailed:
    from functions.notify.adapter import DeliveryFailed, Refused, Throttled, redact

    text = f"sms: aliyun {code}: {redact(reason)}".rstrip(": ")
    if code in _THROTTLE or code.startswith("Throttling"):
        return Throttled(text)
    if code in _REFUSED:
        return Refused(text)
    return DeliveryFailed(text)


@lru_cache(maxsize=2)
def _client(key_id: str, key_secret: str, scheme: str, host: str) -> Any:
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    config = Config(
        access_key_id=key_id,
        access_key_secret=key_secret,
        endpoint=host,
        protocol=scheme,
        connect_timeout=CONNECT_TIMEOUT_MS,
        read_timeout=READ_TIMEOUT_MS,
    )
    return Client(config)


def client() -> Any:
    found = providers.credentials("access_key_id", "access_key_secret")
    scheme, host = providers.endpoint(HOST)
    return _client(found["access_key_id"], found["access_key_secret"], scheme, host)


def _runtime() -> Any:
    from darabonba.runtime import RuntimeOptions

    return RuntimeOptions(
        autoretry=False, connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS
    )


def _call(operation: str, request: Any) -> Any:
    """One API call; an error answer or an unreachable endpoint as a failure kind."""
    from darabonba.exceptions import DaraException, UnretryableException

    from functions.notify.adapter import Throttled, redact

    try:
        return getattr(client(), operation)(request, _runtime())
    except UnretryableException as error:  # the network: refused, reset, timed out
        raise Throttled(
            f"sms: aliyun unreachable: {type(error.__cause__ or error).__name__}"
        ) from error
    except DaraException as error:
        status = getattr(error, "status_code", None)
        code = str(getattr(error, "code", None) or f"HTTP {status}")
        data = getattr(error, "data", None)
        reason = str(data.get("Message") or "") if isinstance(data, dict) else ""
        if isinstance(status, int) and status >= 500 and code not in _REFUSED:
            raise Throttled(f"sms: aliyun {code}: {redact(reason)}".rstrip(": ")) from error
        raise failure(code, reason) from error


class Aliyun:
    def send(self, request: SmsRequest) -> str:
        from alibabacloud_dysmsapi20170525 import models

        answer = _call(
            "send_sms_with_options",
            models.SendSmsRequest(
                phone_numbers=providers.e164(request.to),
                sign_name=providers.sign_name(),
                template_code=request.template,
                template_param=json.dumps(dict(request.params), ensure_ascii=False),
                out_id=request.message_id,
            ),
        )
        body = answer.body
        if body is None or body.code != "OK":
            raise failure(str(body.code if body else "NoBody"), str(body.message if body else ""))
        return str(body.biz_id)

    def receipts(self, awaiting: Sequence[Message], now: datetime) -> list[Receipt]:
        """Each awaiting message's status (``QuerySendDetails``): 3 delivered, 2 failed, 1
        still on its way (no receipt yet). A failed query ends the run's questions: what
        was answered before it is returned (the rest waits for the next run); a first
        query that fails raises."""
        from functions.notify.adapter import DeliveryFailed

        found: list[Receipt] = []
        for n, message in enumerate(awaiting):
            if not message.provider_id or message.sent_at is None:
                continue
            try:
                receipt = _receipt(message)
            except DeliveryFailed as error:
                if n == 0:
                    raise
                log.warning("sms_receipts_stopped", extra={"reason": str(error), "read": n})
                break
            if receipt is not None:
                found.append(receipt)
        return found


def _receipt(message: Message) -> Receipt | None:
    from alibabacloud_dysmsapi20170525 import models

    from functions.notify.adapter import redact

    assert message.provider_id is not None and message.sent_at is not None
    answer = _call(
        "query_send_details_with_options",
        models.QuerySendDetailsRequest(
            phone_number=providers.e164(message.recipient).removeprefix("+86"),
            biz_id=message.provider_id,
            send_date=message.sent_at.astimezone(SHANGHAI).strftime("%Y%m%d"),
            page_size=10,
            current_page=1,
        ),
    )
    body = answer.body
    if body is None or body.code != "OK":
        raise failure(str(body.code if body else "NoBody"), str(body.message if body else ""))
    listed = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
    for detail in listed or []:  # one per BizId and number
        if detail.send_status == 3:
            return Receipt(message.message_id, True, "sms receipt: aliyun DELIVRD")
        if detail.send_status == 2:
            code = redact(str(detail.err_code or "FAILED"))
            return Receipt(message.message_id, False, f"sms receipt: aliyun {code}")
    return None  # 1: still on its way


PROVIDER = Aliyun()
