"""The one adapter between the platform and its message providers: email through SES (v2
API), SMS through SNS. A domestic provider replaces this module and nothing else."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from functions.settings import settings


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the outbox retries later."""


@cache
def _client(service: Literal["sesv2", "sns"]) -> Any:
    import boto3  # only the outbox job pays for this import
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client(service, region_name=settings().region, config=config)


def reset_clients() -> None:
    _client.cache_clear()


def send_email(to: str, subject: str, body: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = _client("sesv2").send_email(
            FromEmailAddress=settings().mail_sender,
            Destination={"ToAddresses": [to]},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                }
            },
        )
    except (BotoCoreError, ClientError) as error:
        raise DeliveryFailed(f"email: {error}") from error
    return str(answer["MessageId"])


def send_sms(to: str, body: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = _client("sns").publish(
            PhoneNumber=to,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {
                    "DataType": "String",
                    "StringValue": settings().sms_sender_id,
                },
            },
        )
    except (BotoCoreError, ClientError) as error:
        raise DeliveryFailed(f"sms: {error}") from error
    return str(answer["MessageId"])
