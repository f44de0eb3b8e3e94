"""市长信箱 by IMAP (§17): the ``poll-mailbox`` job, where SES receiving is absent (the AWS
China regions) or the city keeps its own mail host. Off while ``WZ_IMAP_HOST`` is empty.

Each run takes up to ``BATCH`` unread messages of the folder, oldest first, and for each:

1. reads it without marking it (``BODY.PEEK[]``);
2. stores it under ``inbound/imap/`` of the uploads bucket, named by its content's hash, and
   processes it with the S3 event's own intake (``functions.services.mailbox.intake``): one
   parsing path, one case per Message-ID (or per stored copy);
3. only then marks it read (``\\Seen``), so a run that dies midway reads it again next time
   and the intake answers ``duplicate``.

A message whose processing raises is marked read and flagged (``\\Flagged``), counted and
logged, and the run goes on with the next: it is not retried until a person unflags it and
marks it unread. One the case store refused for a concurrent change (``Conflict``) stays
unread for the next run. A mailbox that cannot be reached or refuses the password is a
logged failure of this run (the next run tries again), never an exception that Lambda would
retry. The run stops taking messages after ``BUDGET_SECONDS``, well inside its timeout."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions import logs
from functions.domain import mail
from functions.domain.errors import Conflict
from functions.settings import settings

if TYPE_CHECKING:
    from functions.storage.imap_inbox import Inbox

log = logging.getLogger("wenzheng.mailbox")

BATCH = 25  # messages per run: the rest wait for the next run, minutes later
BUDGET_SECONDS = 60.0  # no message is started after this (the function's timeout: 120 s)
IMAP_PREFIX = f"{mail.INBOUND_PREFIX}imap/"  # not the SES rule's: no S3 event runs it again


def stored_key(raw: bytes) -> str:
    """Where a fetched message is stored: the same message read twice is the same object."""
    return f"{IMAP_PREFIX}{hashlib.sha256(raw).hexdigest()[:32]}"


def poll(now: datetime) -> dict[str, Any]:
    """One run: what became of the messages taken (``created``, ``joined``, ``duplicate``,
    ``bounce``…, ``failed``, ``retry``), or ``unavailable: 1`` when the mailbox could not be
    used."""
    if not settings().imap_host:
        return {"skipped": 1}
    import imaplib

    from functions.storage import imap_inbox

    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    try:
        with imap_inbox.opened() as inbox:
            for uid in inbox.unseen(BATCH):
                if time.monotonic() - started > BUDGET_SECONDS:
                    outcomes["deferred"] += 1
                    continue
                outcome = _take(inbox, uid, now)
                outcomes[outcome] += 1
    except imap_inbox.MailboxUnavailable as error:
        log.error("mailbox_unavailable", extra={"reason": str(error), **logs.failure(error)})
        return {**outcomes, "unavailable": 1}
    except (OSError, imaplib.IMAP4.error) as error:  # the connection broke midway
        log.error("mailbox_connection_lost", extra=logs.failure(error))
        return {**outcomes, "unavailable": 1}
    return dict(outcomes)


def _take(inbox: Inbox, uid: str, now: datetime) -> str:
    """One message: fetched, stored, processed, then marked (read, or read and flagged when
    processing failed). A failure to fetch or store it ends the run (raised): the mailbox or
    the bucket is in trouble, not the message."""
    from functions.services import mailbox
    from functions.storage import media_store

    raw = inbox.fetch(uid)
    if raw is None:  # deleted by someone meanwhile
        return "gone"
    key = stored_key(raw)
    media_store.put_private(key, raw, "message/rfc822")
    try:
        outcome = mailbox.intake(raw, key=key, now=now)
    except Conflict as error:  # a case changed under the intake: read it again next run
        log.info("mailbox_message_deferred", extra={"uid": uid, "code": error.code})
        return "retry"
    except Exception as error:  # this message only: flag it, go on with the others
        log.error("mailbox_message_failed", extra={"uid": uid, "key": key, **logs.failure(error)})
        inbox.mark_failed(uid)
        return "failed"
    inbox.mark_seen(uid)
    return outcome
