"""The providers beside SES and SNS (§17: AWS China regions have neither): SMS through
Alibaba Cloud (``aliyun``) or Tencent Cloud (``tencent``), e-mail through an SMTP server over
TLS (``smtp``), chosen per stage by ``WZ_SMS_PROVIDER`` / ``WZ_MAIL_PROVIDER``. The adapter
(functions/notify/adapter.py) calls them and nothing else does; each raises the adapter's
three failure kinds (``Throttled``, ``Refused``, ``DeliveryFailed``).

A domestic SMS is an approved template with parameters and the approved signature
(国内短信须使用审核通过的模板和签名): a message without a kind, or whose kind has no template
in ``WZ_SMS_TEMPLATES``, is refused (dead-lettered for a person), never sent as free text.
The SDKs are imported inside each call: only the outbox and receipts jobs pay for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from functions.settings import settings

if TYPE_CHECKING:
    from functions.storage.outbox_repo import Message


@dataclass(frozen=True)
class Receipt:
    """A provider's delivery receipt (送达回执) for one of our messages."""

    message_id: str
    delivered: bool
    detail: str  # the provider's status code, redacted: kept as the message's last_error


@dataclass(frozen=True)
class SmsRequest:
    """What a domestic provider sends: the approved template and its parameters."""

    message_id: str
    to: str
    template: str  # the provider's template code (Alibaba SMS_…) or id (Tencent, digits)
    kind: str
    params: tuple[tuple[str, str], ...]  # in the template's order


class SmsProvider(Protocol):
    def send(self, request: SmsRequest) -> str: ...

    def receipts(self, awaiting: Sequence[Message], now: datetime) -> list[Receipt]: ...


def sms_provider(name: str) -> SmsProvider:
    if name == "aliyun":
        from functions.notify.providers import aliyun

        return aliyun.PROVIDER
    if name == "tencent":
        from functions.notify.providers import tencent

        return tencent.PROVIDER
    raise ValueError(f"no SMS provider {name!r}")


def sign_name() -> str:
    """The approved 签名 as the providers take it: ``WZ_SMS_SIGNATURE`` without its 【】."""
    return settings().sms_signature.strip().removeprefix("【").removesuffix("】").strip()


def e164(phone: str) -> str:
    """A mainland mobile number as +86…; anything else as written."""
    digits = phone.strip().replace(" ", "").replace("-", "")
    if digits.startswith("+"):
        return digits
    if digits.startswith("0086"):
        return "+" + digits[2:]
    if len(digits) == 13 and digits.startswith("86"):
        return "+" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    return digits


def endpoint(default_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) of the SMS provider: ``WZ_SMS_ENDPOINT`` (a URL or a host; the
    tests' loopback fake is ``http://127.0.0.1:port``) or the provider's own host over HTTPS."""
    text = settings().sms_endpoint.rstrip("/")
    if not text:
        return "https", default_host
    scheme, found, host = text.partition("://")
    return (scheme.lower(), host) if found else ("https", text)


def credentials(*names: str) -> dict[str, str]:
    """The SMS provider's credentials (``WZ_SMS_SECRET``, a JSON object secret); a missing
    secret or field is a failure that names it, never its value."""
    from functions.notify.adapter import DeliveryFailed
    from functions.storage import secrets

    secret_id = settings().sms_secret
    if not secret_id:
        raise DeliveryFailed("sms: WZ_SMS_SECRET is not set")
    try:
        found = secrets.fields(secret_id)
    except secrets.SecretMissing as error:
        raise DeliveryFailed(f"sms: {error}") from error
    missing = [name for name in names if not found.get(name)]
    if missing:
        raise DeliveryFailed(f"sms: secret {secret_id!r} lacks {', '.join(missing)}")
    return {name: found[name] for name in names}
