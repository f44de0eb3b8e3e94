"""The outbox: notifications as items, delivered at least once by the outbox job.

A message is written in the same transaction as the change it reports (``new_message``), so a
change is never committed without its notification. Delivery leases a message with a
conditional update, sends it, and marks it sent; a failure schedules a retry with backoff,
and after ``MAX_ATTEMPTS`` the message is dead-lettered (``status = dead``) for a person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from functions.storage.codec import iso
from functions.storage.models import OutboxModel

SHARDS = 4
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Message:
    message_id: str
    channel: str
    recipient: str
    subject: str
    body: str
    case_id: str | None
    template: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _message(m: OutboxModel) -> Message:
    return Message(
        m.message_id,
        m.channel,
        m.recipient,
        m.subject,
        m.body,
        m.case_id,
        m.template,
        m.status,
        int(m.attempts),
        m.created_at,
        m.sent_at,
        m.last_error,
    )


def new_message(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    case_id: str | None,
    template: str,
    now: datetime,
) -> OutboxModel:
    message_id = uuid.uuid4().hex
    return OutboxModel(
        message_id,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        case_id=case_id,
        template=template,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=iso(now),
        due_shard=str(int(message_id[:8], 16) % SHARDS),
    )


def due(now: datetime, limit: int = 100) -> list[Message]:
    """Undelivered messages whose next attempt is due, from the sparse ``due`` index."""
    found: list[Message] = []
    for shard in range(SHARDS):
        query = OutboxModel.due.query(
            str(shard),
            OutboxModel.next_attempt_at <= iso(now),
            limit=limit,
        )
        found += [_message(m) for m in query]
    return found


def lease(message_id: str, now: datetime) -> bool:
    """Take a message for delivery unless another worker holds it or it was delivered."""
    try:
        OutboxModel(message_id).update(
            actions=[OutboxModel.lease_until.set(now + LEASE)],
            condition=(OutboxModel.status == "pending")
            & (OutboxModel.lease_until.does_not_exist() | (OutboxModel.lease_until < now)),
        )
    except UpdateError:
        return False
    return True


def mark_sent(message_id: str, provider_id: str, now: datetime) -> None:
    OutboxModel(message_id).update(
        actions=[
            OutboxModel.status.set("sent"),
            OutboxModel.sent_at.set(now),
            OutboxModel.provider_id.set(provider_id),
            OutboxModel.attempts.add(1),
            OutboxModel.due_shard.remove(),
            OutboxModel.next_attempt_at.remove(),
            OutboxModel.lease_until.remove(),
        ]
    )


def mark_failed(message: Message, error: str, now: datetime) -> None:
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        actions = [
            OutboxModel.status.set("dead"),
            OutboxModel.due_shard.remove(),
            OutboxModel.next_attempt_at.remove(),
        ]
    else:
        backoff = timedelta(minutes=2**attempts)  # 2, 4, 8, 16, 32 minutes
        actions = [OutboxModel.next_attempt_at.set(iso(now + backoff))]
    OutboxModel(message.message_id).update(
        actions=[
            *actions,
            OutboxModel.attempts.set(attempts),
            OutboxModel.last_error.set(error[:500]),
            OutboxModel.lease_until.remove(),
        ]
    )


def get(message_id: str) -> Message | None:
    try:
        return _message(OutboxModel.get(message_id, consistent_read=True))
    except OutboxModel.DoesNotExist:
        return None


def recent(limit: int = 200) -> list[Message]:
    """Every message, newest last. Local stage and staff overview only: a bounded scan of a
    table that, locally, holds what one person's session produced."""
    found = [_message(m) for m in OutboxModel.scan(limit=5000)]
    found.sort(key=lambda m: m.created_at)
    return found[-limit:]
