"""The outbox: notifications as items, delivered at least once by the outbox job.

A message is written in the same transaction as the change it reports (``new_message``), so a
change is never committed without its notification. Delivery leases a message with a
conditional update, sends it, and marks it sent; a failure schedules a retry with backoff
(full jitter, so a crowd of failed messages does not come back at the same minute), and after
``MAX_ATTEMPTS`` the message is dead-lettered (``status = dead``) for a person: it then sits in
the sparse ``dead`` index, where the coordinator's 发送失败 list reads it and a retry puts it
back in the ``due`` index. SES bounce and complaint notifications end a sent message as
``bounced`` / ``complained``.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Conflict, NotFound, Unavailable
from functions.settings import settings
from functions.storage.codec import iso
from functions.storage.models import OutboxModel

SHARDS = 4
# A message of this channel is not sent: it stands for one notice to a case's followers, and
# the outbox job expands it into their e-mails (functions/services/following.py ``expand``).
FANOUT = "fanout"
MAX_ATTEMPTS = settings().outbox_max_attempts  # WZ_OUTBOX_MAX_ATTEMPTS, default 6
LEASE = timedelta(minutes=2)
DEAD = "dead"  # the one partition of the sparse dead index: dead letters are few
PAGE_SIZE = 20
# How long a message is kept once sent: for its delivery receipt, a bounce or complaint about
# it (SES reports within hours, a complaint sometimes days later), and the coordinator who
# looks at what a case sent. Then DynamoDB's TTL deletes it, with the address it went to.
KEPT_AFTER_SENDING = timedelta(days=30)
RECEIPT_SHARD = "sms"  # the one partition of the sparse receipts index: a day's SMS are few

# Backoff after the n-th failed attempt: a uniform draw in [0, min(CAP, BASE·2ⁿ)] ("full
# jitter"), never less than FLOOR so the message is not due again within the same run.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
BACKOFF_FLOOR = timedelta(seconds=30)

_random = random.SystemRandom()
_MESSAGE_ID = re.compile(r"[0-9a-f]{32}")


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
    next_attempt_at: str | None = None
    provider_id: str | None = None
    links: tuple[str, ...] = ()  # the platform's links in ``body`` (an email's live links)
    sent_machine_at: datetime | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra mail headers (List-Unsubscribe…)
    cursor: str | None = None  # a fan-out's progress: where its next batch starts
    fanned: int = 0  # … and how many recipients it reached so far
    sms_kind: str | None = None  # an SMS's kind (templates.SMS_TEMPLATES) …
    sms_params: tuple[tuple[str, str], ...] = ()  # … and its parameters, by name


def backoff_window(attempts: int) -> timedelta:
    """The upper bound of the wait after ``attempts`` failed attempts."""
    window: timedelta = BACKOFF_BASE * (2 ** max(0, attempts))
    return min(BACKOFF_CAP, window)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full jitter: anywhere in the exponential window, at least ``BACKOFF_FLOOR``."""
    window = backoff_window(attempts).total_seconds()
    drawn = timedelta(seconds=(rng or _random).uniform(0, window))
    return max(BACKOFF_FLOOR, drawn)


def _headers(m: OutboxModel) -> tuple[tuple[str, str], ...]:
    found: dict[str, Any] = m.headers.attribute_values if m.headers is not None else {}
    return tuple(sorted((str(name), str(value)) for name, value in found.items()))


def _params(m: OutboxModel) -> tuple[tuple[str, str], ...]:
    found: dict[str, Any] = m.sms_params.attribute_values if m.sms_params is not None else {}
    return tuple(sorted((str(name), str(value)) for name, value in found.items()))


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
        m.next_attempt_at,
        m.provider_id,
        tuple(m.links or ()),
        m.sent_machine_at,
        _headers(m),
        m.cursor,
        int(m.fanned or 0),
        m.sms_kind,
        _params(m),
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
    links: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    sms_kind: str | None = None,
    sms_params: Sequence[tuple[str, str]] = (),
) -> OutboxModel:
    """A message to write with the change it reports. ``links``: the links the platform made
    and put in ``body`` (magic links, the tracking page, the console), the only ones an
    email's HTML part makes clickable: an address in someone's text stays text. ``headers``:
    an email's extra headers (a follower message's List-Unsubscribe). ``sms_kind`` and
    ``sms_params``: an SMS's template kind and parameters (what a domestic provider sends;
    ``body`` is the text SNS sends)."""
    message_id = uuid.uuid4().hex
    return OutboxModel(
        message_id,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        links=list(links) if channel in ("email", FANOUT) and links else None,
        headers=dict(headers) if channel == "email" and headers else None,
        sms_kind=sms_kind if channel == "sms" else None,
        sms_params=dict(sms_params) if channel == "sms" and sms_params else None,
        case_id=case_id,
        template=template,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=iso(now),
        due_shard=str(int(message_id[:8], 16) % SHARDS),
    )


class Mail(Protocol):
    """A rendered e-mail (functions/notify/templates.py ``Text``)."""

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def links(self) -> Sequence[str]: ...


def email(
    recipient: str,
    text: Mail,
    *,
    case_id: str | None,
    template: str,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> OutboxModel:
    """``new_message`` of a rendered e-mail to ``recipient``, its links live."""
    return new_message(
        channel="email",
        recipient=recipient,
        subject=text.subject,
        body=text.body,
        case_id=case_id,
        template=template,
        now=now,
        links=text.links,
        headers=headers,
    )


@dataclass(frozen=True)
class Due:
    """A due message as the ``due`` index holds it (models.DUE_PROJECTION): enough to choose
    it and lease it, not to send it (``lease`` answers the whole message)."""

    message_id: str
    channel: str
    attempts: int
    template: str
    created_at: datetime


class Attempt(Protocol):
    """What recording an attempt's outcome needs of a message (a ``Message`` or a ``Due``)."""

    @property
    def message_id(self) -> str: ...

    @property
    def attempts(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...


def due(now: datetime, limit: int = 100) -> list[Due]:
    """Undelivered messages whose next attempt is due, from the sparse ``due`` index (which
    holds their keys and ``DUE_PROJECTION``, not the messages)."""
    found: list[Due] = []
    for shard in range(SHARDS):
        query = OutboxModel.due.query(
            str(shard),
            OutboxModel.next_attempt_at <= iso(now),
            limit=limit,
        )
        found += [
            Due(m.message_id, m.channel, int(m.attempts), m.template, m.created_at) for m in query
        ]
    return found


def lease(message: Due | Message, now: datetime) -> Message | None:
    """Take a message for delivery unless another worker holds it, delivered it, or failed it
    since this run read it (its attempts moved, or its next attempt is not due yet): the whole
    message as the lease left it, or None. The update answers the item (ReturnValues ALL_NEW,
    no extra read: an update is billed by the item's size either way)."""
    item = OutboxModel(message.message_id)
    try:
        item.update(
            actions=[OutboxModel.lease_until.set(now + LEASE)],
            condition=(OutboxModel.status == "pending")
            & (OutboxModel.attempts == message.attempts)
            & (OutboxModel.next_attempt_at <= iso(now))
            & (OutboxModel.lease_until.does_not_exist() | (OutboxModel.lease_until < now)),
        )
    except UpdateError:
        return None
    return _message(item)


def _unrecorded(error: PynamoDBException) -> Unavailable:
    return Unavailable(
        "服务暂时繁忙，请稍后重试", "the outbox could not record a result", "unavailable"
    )


def mark_sent(
    message: Message,
    provider_id: str,
    now: datetime,
    *,
    machine_now: datetime,
    await_receipt: bool = False,
) -> None:
    """Record a send, at ``now`` on the platform clock and ``machine_now`` on the machine's
    (the order of sending, ``recent``). Every write here is idempotent (``set``, never
    ``add``), so botocore's retry of an attempt whose answer was lost records the same thing
    again. If it cannot be written at all (``Unavailable``), the message keeps its lease and is
    sent again once the lease ends: delivery is at least once, and this is its window.
    ``await_receipt``: the provider reports delivery later (a domestic SMS provider): the
    message joins the sparse ``receipts`` index until its receipt is recorded."""
    receipt = (
        [
            OutboxModel.receipt_shard.set(RECEIPT_SHARD),
            OutboxModel.receipt_key.set(iso(now)),
        ]
        if await_receipt
        else []
    )
    try:
        OutboxModel(message.message_id).update(
            actions=[
                *receipt,
                OutboxModel.status.set("sent"),
                OutboxModel.sent_at.set(now),
                OutboxModel.expires_at.set(now + KEPT_AFTER_SENDING),
                OutboxModel.sent_machine_at.set(machine_now),
                OutboxModel.provider_id.set(provider_id),
                OutboxModel.attempts.set(message.attempts + 1),
                OutboxModel.due_shard.remove(),
                OutboxModel.next_attempt_at.remove(),
                OutboxModel.lease_until.remove(),
            ]
        )
    except PynamoDBException as error:
        raise _unrecorded(error) from error


def _dead_actions(message: Attempt) -> list[Any]:
    return [
        OutboxModel.status.set("dead"),
        OutboxModel.due_shard.remove(),
        OutboxModel.next_attempt_at.remove(),
        OutboxModel.dead_shard.set(DEAD),
        # The creation instant alone: the table key breaks ties, and cursors stay short.
        OutboxModel.dead_key.set(iso(message.created_at)),
        OutboxModel.expires_at.remove(),  # a sent SMS whose receipt says it failed: kept
    ]


def mark_failed(
    message: Attempt,
    error: str,
    now: datetime,
    *,
    rng: random.Random | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """Count a failed attempt: retry after a jittered backoff, or dead-letter once the attempts
    are used up. True when the message is now dead."""
    attempts = message.attempts + 1
    dead = attempts >= max_attempts
    actions = (
        _dead_actions(message)
        if dead
        else [OutboxModel.next_attempt_at.set(iso(now + backoff(attempts, rng)))]
    )
    try:
        OutboxModel(message.message_id).update(
            actions=[
                *actions,
                OutboxModel.attempts.set(attempts),
                OutboxModel.last_error.set(error[:500]),
                OutboxModel.lease_until.remove(),
            ]
        )
    except PynamoDBException as failure:
        raise _unrecorded(failure) from failure
    return dead


def mark_throttled(
    message: Attempt, error: str, now: datetime, *, rng: random.Random | None = None
) -> None:
    """The provider asked us to slow down: try again later, without counting an attempt (an
    outage of the provider delays a message, it never uses up its attempts)."""
    try:
        OutboxModel(message.message_id).update(
            actions=[
                OutboxModel.next_attempt_at.set(iso(now + backoff(message.attempts + 1, rng))),
                OutboxModel.last_error.set(error[:500]),
                OutboxModel.lease_until.remove(),
            ]
        )
    except PynamoDBException as failure:
        raise _unrecorded(failure) from failure


def mark_refused(message: Attempt, error: str) -> None:
    """The provider cannot take this message as it is: dead-letter it at once."""
    try:
        OutboxModel(message.message_id).update(
            actions=[
                *_dead_actions(message),
                OutboxModel.attempts.set(message.attempts + 1),
                OutboxModel.last_error.set(error[:500]),
                OutboxModel.lease_until.remove(),
            ]
        )
    except PynamoDBException as failure:
        raise _unrecorded(failure) from failure


def advance_fanout(message: Message, items: Sequence[Model], *, cursor: str, fanned: int) -> None:
    """Write one batch of a fan-out's messages (and their links) with its progress, in one
    transaction, on the condition that the progress is still the one this run read: a batch
    is written once, even by overlapping runs. ``Conflict`` if another run moved it."""
    read = (
        OutboxModel.cursor == message.cursor
        if message.cursor is not None
        else OutboxModel.cursor.does_not_exist()
    )
    try:
        with TransactWrite(connection=_connection()) as tx:
            for item in items:
                tx.save(item)
            tx.update(
                OutboxModel(message.message_id),
                actions=[OutboxModel.cursor.set(cursor), OutboxModel.fanned.set(fanned)],
                condition=read & (OutboxModel.status == "pending"),
            )
    except TransactWriteError as error:
        reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            raise Conflict(
                "该通知已由另一次运行展开", "another run expanded this batch", "stale_fanout"
            ) from error
        raise _unrecorded(error) from error
    except PynamoDBException as error:
        raise _unrecorded(error) from error


def finish_fanout(message: Message, fanned: int, now: datetime) -> None:
    """A fan-out fully expanded: it leaves the ``due`` index as ``expanded`` (never listed as
    sent: its messages are)."""
    try:
        OutboxModel(message.message_id).update(
            actions=[
                OutboxModel.status.set("expanded"),
                OutboxModel.sent_at.set(now),
                OutboxModel.expires_at.set(now + KEPT_AFTER_SENDING),
                OutboxModel.fanned.set(fanned),
                OutboxModel.attempts.set(message.attempts + 1),
                OutboxModel.due_shard.remove(),
                OutboxModel.next_attempt_at.remove(),
                OutboxModel.lease_until.remove(),
            ]
        )
    except PynamoDBException as error:
        raise _unrecorded(error) from error


def release_fanout(message: Message, now: datetime) -> None:
    """A fan-out this run could not finish: due again at once, for the next run to go on
    from its cursor (no attempt counted: nothing failed)."""
    try:
        OutboxModel(message.message_id).update(
            actions=[OutboxModel.next_attempt_at.set(iso(now)), OutboxModel.lease_until.remove()]
        )
    except PynamoDBException as error:
        raise _unrecorded(error) from error


def dead_letters(cursor: str | None, limit: int = PAGE_SIZE) -> tuple[list[Message], str | None]:
    """One page of dead-lettered messages, newest first, from the sparse ``dead`` index."""
    from functions.storage.paging import decode_cursor, encode_cursor

    start = decode_cursor(cursor, ("message_id", "dead_shard", "dead_key"))
    query = OutboxModel.dead.query(
        DEAD,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    found = [_message(m) for m in query]
    return found, encode_cursor(query.last_evaluated_key) if len(found) >= limit else None


def retry(message_id: str, now: datetime) -> Message:
    """Put a dead letter back in the queue: due now, with a fresh set of attempts."""
    if not _MESSAGE_ID.fullmatch(message_id):
        raise NotFound("没有这条消息", f"no message {message_id}", "no_such_message")
    try:
        OutboxModel(message_id).update(
            actions=[
                OutboxModel.status.set("pending"),
                OutboxModel.attempts.set(0),
                OutboxModel.next_attempt_at.set(iso(now)),
                OutboxModel.due_shard.set(str(int(message_id[:8], 16) % SHARDS)),
                OutboxModel.dead_shard.remove(),
                OutboxModel.dead_key.remove(),
                OutboxModel.lease_until.remove(),
            ],
            condition=OutboxModel.status == "dead",
        )
    except UpdateError as error:
        if get(message_id) is None:
            raise NotFound("没有这条消息", f"no message {message_id}", "no_such_message") from error
        raise Conflict(
            "该消息不在发送失败列表中，无需重新发送",
            "the message is not dead-lettered",
            "not_dead",
        ) from error
    found = get(message_id)
    assert found is not None
    return found


def _connection() -> Connection:
    return OutboxModel._get_connection().connection  # type: ignore[no-any-return]


def record_feedback(
    message_id: str | None,
    status: str,
    detail: str,
    alerts: list[OutboxModel],
) -> bool:
    """A provider's word on a sent message (``bounced`` / ``complained``), with the alerts it
    calls for, in one transaction. SNS delivers a notification at least once: when the message
    already carries that status nothing is written and False comes back, so a redelivered
    notification alerts nobody twice. A notification without a known message still alerts."""
    if message_id is None or get(message_id) is None:
        for alert in alerts:
            alert.save()
        return True
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(
                OutboxModel(message_id),
                actions=[
                    OutboxModel.status.set(status),
                    OutboxModel.last_error.set(detail[:500]),
                    OutboxModel.due_shard.remove(),
                    OutboxModel.next_attempt_at.remove(),
                    OutboxModel.lease_until.remove(),
                ],
                condition=OutboxModel.message_id.exists() & (OutboxModel.status != status),
            )
            for alert in alerts:
                tx.save(alert)
    except TransactWriteError as error:
        reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            return False
        raise
    return True


def awaiting_receipt(limit: int = 100) -> list[Message]:
    """Sent SMS whose delivery receipt is not in yet, oldest first (the ``receipts`` index)."""
    query = OutboxModel.receipts.query(RECEIPT_SHARD, limit=limit, page_size=limit)
    return [_message(m) for m in query]


def record_receipt(message_id: str, delivered: bool, detail: str) -> bool:
    """A provider's delivery receipt (送达回执) on a sent SMS: ``delivered``, or the message
    dead-lettered for a person with the provider's reason. Only a message still ``sent``
    changes (a receipt read twice changes nothing): False when nothing was written."""
    if not _MESSAGE_ID.fullmatch(message_id):
        return False  # not one of ours (another system's SMS on the same account)
    found = get(message_id)
    if found is None or found.status != "sent":
        return False
    ends = [
        OutboxModel.receipt_shard.remove(),
        OutboxModel.receipt_key.remove(),
        OutboxModel.last_error.set(detail[:500]),
    ]
    actions = ends + ([OutboxModel.status.set("delivered")] if delivered else _dead_actions(found))
    try:
        OutboxModel(message_id).update(actions=actions, condition=OutboxModel.status == "sent")
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False  # another run recorded it first
        raise _unrecorded(error) from error
    except PynamoDBException as error:
        raise _unrecorded(error) from error
    return True


def stop_awaiting(message_id: str) -> None:
    """No receipt came within the time a provider keeps one: stop looking (still ``sent``)."""
    try:
        OutboxModel(message_id).update(
            actions=[OutboxModel.receipt_shard.remove(), OutboxModel.receipt_key.remove()]
        )
    except PynamoDBException as error:
        raise _unrecorded(error) from error


def get(message_id: str) -> Message | None:
    try:
        return _message(OutboxModel.get(message_id, consistent_read=True))
    except OutboxModel.DoesNotExist:
        return None


def _send_order(m: Message) -> tuple[bool, datetime]:
    """Sent messages in the order they were sent by the machine's clock (the platform clock
    may have been moved back since: a message sent then is still the newest), then those not
    sent, by creation. A message sent before the machine's time was kept has its send time."""
    if m.sent_at is None:
        return True, m.created_at
    return False, m.sent_machine_at or m.sent_at


def recent(limit: int = 200) -> list[Message]:
    """The last ``limit`` messages in the order they were sent, newest last. Local stage and
    staff overview only: a bounded scan of a table that, locally, holds what one person's
    session produced."""
    found = [_message(m) for m in OutboxModel.scan(limit=5000)]
    found.sort(key=_send_order)
    return found[-limit:]
