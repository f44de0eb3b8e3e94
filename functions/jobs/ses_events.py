"""SES bounce and complaint notifications, delivered by SNS (the topic's name is the setting
``WZ_SES_EVENTS_TOPIC``)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, SNSEvent

from functions import clock, logs
from functions.settings import settings

ses_events = Blueprint(__name__)


@ses_events.on_sns_message(topic=settings().ses_events_topic, name="ses_events")
def on_ses_event(event: SNSEvent) -> dict[str, Any]:
    from functions.notify.ses_events import handle

    with logs.scope(request_id=getattr(event.context, "aws_request_id", None)):
        return handle(event.message, clock.utcnow())
