"""Tencent Cloud SMS (腾讯云短信, API version 2021-01-11): ``SendSms`` with the approved
template id, its parameters as ``TemplateParamSet`` (in the template's order: {1}, {2}…),
the 签名 as ``SignName``, the application as ``SmsSdkAppId`` and the outbox message id as
``SessionContext``, which the provider hands back with the delivery receipt; receipts by
``PullSmsSendStatus`` (each status is pulled once). Credentials: ``secret_id``,
``secret_key`` and ``sdk_app_id`` of the JSON secret ``WZ_SMS_SECRET`` (a CAM user allowed
sms:SendSms and sms:PullSmsSendStatus only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from functions.notify import providers
from functions.notify.providers import Receipt, SmsRequest

if TYPE_CHECKING:
    from functions.notify.adapter import DeliveryFailed
    from functions.storage.outbox_repo import Message

HOST = "sms.tencentcloudapi.com"
REGION = "ap-guangzhou"  # the SMS API's region for mainland numbers
TIMEOUT_SECONDS = 10
PULL_LIMIT = 100  # statuses pulled per call (the API's maximum)
PULLS = 10  # calls per run at most: a run takes up to 1,000 receipts

# Frequency limits (per number, per application, the request rate), an empty package, and
# the provider down or out of reach: wait without using up the message's attempts.
_THROTTLE_PREFIXES = ("LimitExceeded", "RequestLimitExceeded", "InternalError")
_THROTTLE = frozenset(
    {
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "ClientNetworkError",
        "ServerNetworkError",
        "ServiceUnavailable",
    }
)
# The message can never go as it is: the number, the template, the signature or a parameter.
_REFUSED = frozenset(
    {
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.ContainSensitiveWord",
        "FailedOperation.MissingSignature",
        "FailedOperation.MissingTemplate",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
        "UnsupportedOperation.UnsupportedRegion",
    }
)
_REFUSED_PREFIXES = ("InvalidParameterValue.",)


def failure(code: str, reason: str) -> DeliveryFailed:
    from functions.notify.adapter import DeliveryFailed, Refused, Throttled, redact

    text = f"sms: tencent {code}: {redact(reason)}".rstrip(": ")
    if code in _THROTTLE or code.startswith(_THROTTLE_PREFIXES):
        return Throttled(text)
    if code in _REFUSED or code.startswith(_REFUSED_PREFIXES):
        return Refused(text)
    return DeliveryFailed(text)


@lru_cache(maxsize=2)
def _client(secret_id: str, secret_key: str, scheme: str, host: str) -> Any:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import sms_client

    profile = HttpProfile(endpoint=host, protocol=scheme, reqTimeout=TIMEOUT_SECONDS)
    return sms_client.SmsClient(
        credential.Credential(secret_id, secret_key), REGION, ClientProfile(httpProfile=profile)
    )


def _call(operation: str, request: Any) -> Any:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException,
    )

    found = providers.credentials("secret_id", "secret_key", "sdk_app_id")
    request.SmsSdkAppId = found["sdk_app_id"]
    scheme, host = providers.endpoint(HOST)
    try:
        return getattr(_client(found["secret_id"], found["secret_key"], scheme, host), operation)(
            request
        )
    except TencentCloudSDKException as error:
        code = str(error.code or "Unknown")
        # A network error's message is the HTTP library's (it names the host): keep the code.
        reason = "" if code.endswith("NetworkError") else str(error.message or "")
        raise failure(code, reason) from error


class Tencent:
    def send(self, request: SmsRequest) -> str:
        from tencentcloud.sms.v20210111 import models

        call = models.SendSmsRequest()
        call.PhoneNumberSet = [providers.e164(request.to)]
        call.SignName = providers.sign_name()
        call.TemplateId = request.template
        call.TemplateParamSet = [value for _name, value in request.params]
        call.SessionContext = request.message_id
        answer = _call("SendSms", call)
        [status] = answer.SendStatusSet or [None]
        if status is None:
            raise failure("NoStatus", "")
        if status.Code != "Ok":
            raise failure(str(status.Code), str(status.Message or ""))
        return str(status.SerialNo)

    def receipts(self, awaiting: Sequence[Message], now: datetime) -> list[Receipt]:
        """The statuses the provider holds for the application (``PullSmsSendStatus``): each
        names our message in ``SessionContext``. A status is handed out once."""
        from tencentcloud.sms.v20210111 import models

        from functions.notify.adapter import redact

        found: list[Receipt] = []
        for _page in range(PULLS):
            call = models.PullSmsSendStatusRequest()
            call.Limit = PULL_LIMIT
            statuses = _call("PullSmsSendStatus", call).PullSmsSendStatusSet or []
            for status in statuses:
                if not status.SessionContext:
                    continue  # not sent by the platform
                delivered = status.ReportStatus == "SUCCESS"
                detail = "DELIVRD" if delivered else redact(str(status.Description or "FAIL"))
                found.append(
                    Receipt(str(status.SessionContext), delivered, f"sms receipt: tencent {detail}")
                )
            if len(statuses) < PULL_LIMIT:
                break
        return found


PROVIDER = Tencent()
