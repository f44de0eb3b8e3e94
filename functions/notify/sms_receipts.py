"""Delivery receipts (送达回执) of the SMS a domestic provider sent: the job that reads them
and feeds them into the outbox states, as functions/notify/ses_events.py does for SES.

A domestic provider accepts an SMS at once and reports later whether the phone got it. A
message sent through one waits in the outbox's sparse ``receipts`` index; each run asks the
provider (Alibaba: ``QuerySendDetails`` per message; Tencent: ``PullSmsSendStatus``, the
receipts it holds) and records each answer:

- delivered → ``delivered``;
- failed (number out of service, refused by the carrier…) → dead-lettered at once, with the
  provider's code as ``last_error``, in the coordinator's 发送失败 list for a person (who can
  call the citizen, or put it back once the number is fixed);
- no answer after ``RECEIPT_DAYS`` → looked for no longer (it stays ``sent``).

A receipt read twice changes nothing (only a ``sent`` message moves). On an SNS stage the job
does nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from functions.notify import adapter
from functions.settings import settings
from functions.storage import outbox_repo

log = logging.getLogger("wenzheng.sms")

RECEIPT_DAYS = 3  # a phone switched off for longer gets no receipt the providers keep
BATCH = 100  # awaiting messages a run looks at, oldest first


def collect(now: datetime) -> dict[str, Any]:
    """One run: read the provider's receipts and record them."""
    provider_name = settings().sms_provider
    report: dict[str, Any] = {
        "provider": provider_name,
        "awaiting": 0,
        "delivered": 0,
        "undelivered": 0,
        "expired": 0,
    }
    if provider_name == "sns":
        return report  # SNS reports no receipts to the platform
    from functions.notify import providers

    awaiting = outbox_repo.awaiting_receipt(BATCH)
    report["awaiting"] = len(awaiting)
    try:
        receipts = providers.sms_provider(provider_name).receipts(awaiting, now)
    except adapter.DeliveryFailed as error:
        log.warning("sms_receipts_unavailable", extra={"reason": str(error)})
        report["error"] = str(error)
        return report
    answered = set()
    for receipt in receipts:
        answered.add(receipt.message_id)
        if not outbox_repo.record_receipt(receipt.message_id, receipt.delivered, receipt.detail):
            continue
        if receipt.delivered:
            report["delivered"] += 1
        else:
            log.error("sms_undelivered", extra={"message_id": receipt.message_id})
            report["undelivered"] += 1
    stale = now - timedelta(days=RECEIPT_DAYS)
    for message in awaiting:
        if message.message_id in answered or message.sent_at is None or message.sent_at > stale:
            continue
        outbox_repo.stop_awaiting(message.message_id)
        report["expired"] += 1
    return report
