"""Delivering the outbox: lease each due message, hand it to the provider, record the result.

The ``due`` index says which messages are due (their channel and attempts, not their text);
the lease's conditional update answers the whole message, which is what is sent: nothing else
is read.

- sent → ``sent``;
- throttled → rescheduled without counting an attempt, and every other message of that channel
  waits for a later run (they stay due and untouched: the provider is not hammered);
- refused (cannot ever be sent as it is) → dead-lettered at once;
- any other failure → one attempt counted, retried after a jittered backoff, dead-lettered
  after ``max_attempts``;
- an outcome DynamoDB cannot record → logged at ERROR, the run goes on, and the message is
  taken again once its lease (2 min) ends: a send not recorded is sent again (at least once).

A fan-out (channel ``fanout``: one notice to a case's followers, or to the citizens of the
cases merged into it) is not sent but expanded into one message per recipient
(``functions/services/fanout.py``), a batch per transaction; those messages are due at once
and go out on the next run.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime

from functions import clock, logs
from functions.domain.errors import Unavailable
from functions.notify import adapter
from functions.settings import settings
from functions.storage import outbox_repo

log = logging.getLogger("wenzheng.outbox")


def _keys(message: outbox_repo.Message) -> dict[str, str | None]:
    """What a log line says about a message: never its recipient, subject or body."""
    return {
        "message_id": message.message_id,
        "case_id": message.case_id,
        "channel": message.channel,
        "template": message.template,
    }


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    throttled: int = 0
    deferred: int = 0
    dead: int = 0
    unrecorded: int = 0  # handled but the outcome not written: retried after the lease
    expanded: int = 0  # recipients fan-outs reached (their messages sent by a later run)


def _send(message: outbox_repo.Message) -> str:
    if message.channel == "sms":
        return adapter.send_sms(
            message.recipient,
            message.body,
            message_id=message.message_id,
            kind=message.sms_kind,
            params=message.sms_params,
        )
    return adapter.send_email(
        message.recipient,
        message.subject,
        message.body,
        message_id=message.message_id,
        case_id=message.case_id,
        links=message.links,
        headers=message.headers,
    )


def deliver_due(
    now: datetime,
    *,
    rng: random.Random | None = None,
    max_attempts: int | None = None,
) -> DeliveryReport:
    """One run of the outbox job. ``rng`` draws the backoff jitter (tests pass a seeded one);
    ``max_attempts`` defaults to the setting ``WZ_OUTBOX_MAX_ATTEMPTS``."""
    limit = max_attempts or settings().outbox_max_attempts
    report = DeliveryReport()
    throttled: set[str] = set()  # channels that asked us to slow down during this run
    for due in outbox_repo.due(now):
        if due.channel in throttled:
            report.deferred += 1  # still due, untouched: a later run takes it
            continue
        message = outbox_repo.lease(due, now)  # the whole message, as the lease left it
        if message is None:
            report.skipped += 1  # another worker has it, or it was delivered meanwhile
            continue
        try:
            if message.channel == outbox_repo.FANOUT:
                _expand(message, now, report, rng=rng, max_attempts=limit)
            else:
                _deliver(message, now, report, throttled, rng=rng, max_attempts=limit)
        except Unavailable:
            # The outcome could not be written: the message keeps its lease and is taken
            # again when the lease ends (a sent one is sent again: at least once).
            log.error("outbox_result_not_recorded", extra=_keys(message))  # retried later
            report.unrecorded += 1
    return report


def _expand(
    message: outbox_repo.Message,
    now: datetime,
    report: DeliveryReport,
    *,
    rng: random.Random | None,
    max_attempts: int,
) -> None:
    """Expand a leased fan-out into its followers' e-mails (``Unavailable`` if its outcome
    cannot be recorded; a batch another run wrote first ends this run's turn at it)."""
    from functions.domain.errors import Conflict
    from functions.services import fanout, following, merging

    source = merging if message.recipient == merging.AUDIENCE else following
    try:
        report.expanded += fanout.expand(message, now, source.batches(message, now))
    except Conflict:
        report.skipped += 1  # another run is expanding it
    except Unavailable:
        raise
    except Exception as error:
        log.error("fanout_not_expanded", extra={**_keys(message), **logs.failure(error)})
        reason = f"fanout: {type(error).__name__}"
        if outbox_repo.mark_failed(message, reason, now, rng=rng, max_attempts=max_attempts):
            log.error("message_dead_lettered", extra=_keys(message))
            report.dead += 1
        report.failed += 1


def _deliver(
    message: outbox_repo.Message,
    now: datetime,
    report: DeliveryReport,
    throttled: set[str],
    *,
    rng: random.Random | None,
    max_attempts: int,
) -> None:
    """Send one leased message and record the outcome (``Unavailable`` if it cannot be)."""
    try:
        provider_id = _send(message)
    except adapter.Throttled as error:
        log.warning("provider_throttled", extra=_keys(message))
        outbox_repo.mark_throttled(message, str(error), now, rng=rng)
        throttled.add(message.channel)
        report.throttled += 1
        return
    except adapter.Refused as error:
        log.error("message_refused", extra=_keys(message))  # dead-lettered at once
        outbox_repo.mark_refused(message, str(error))
        report.failed += 1
        report.dead += 1
        return
    except adapter.DeliveryFailed as error:
        log.warning("delivery_failed", extra={**_keys(message), "attempt": message.attempts + 1})
        if outbox_repo.mark_failed(message, str(error), now, rng=rng, max_attempts=max_attempts):
            log.error("message_dead_lettered", extra=_keys(message))
            report.dead += 1
        report.failed += 1
        return
    except Exception as error:  # a message we cannot even build must not stop the run
        log.error("message_not_sent", extra={**_keys(message), **logs.failure(error)})
        reason = f"{message.channel}: {type(error).__name__}"
        if outbox_repo.mark_failed(message, reason, now, rng=rng, max_attempts=max_attempts):
            log.error("message_dead_lettered", extra=_keys(message))
            report.dead += 1
        report.failed += 1
        return
    outbox_repo.mark_sent(
        message,
        provider_id,
        now,
        machine_now=clock.machine_now(),
        await_receipt=adapter.awaits_receipt(message.channel),
    )
    report.sent += 1
