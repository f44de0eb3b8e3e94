"""Delivering the outbox: lease each due message, hand it to the provider, record the result."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from functions.notify import adapter
from functions.storage import outbox_repo

log = logging.getLogger("wenzheng.outbox")


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def deliver_due(now: datetime) -> DeliveryReport:
    report = DeliveryReport()
    for message in outbox_repo.due(now):
        if not outbox_repo.lease(message.message_id, now):
            report.skipped += 1  # another worker has it, or it was delivered meanwhile
            continue
        try:
            if message.channel == "sms":
                provider_id = adapter.send_sms(message.recipient, message.body)
            else:
                provider_id = adapter.send_email(message.recipient, message.subject, message.body)
        except adapter.DeliveryFailed as error:
            log.warning(
                "delivery failed: message=%s template=%s attempt=%d",
                message.message_id,
                message.template,
                message.attempts + 1,
            )
            outbox_repo.mark_failed(message, str(error), now)
            report.failed += 1
            continue
        outbox_repo.mark_sent(message.message_id, provider_id, now)
        report.sent += 1
    return report
