"""个人信息匿名化 (retention, §8): the one change an archived case still takes. Not an action
of the lifecycle table: the retention job runs it on archived cases only."""

from __future__ import annotations

import copy
from datetime import datetime

from functions.domain.actions.base import EventKind
from functions.domain.cases import SYSTEM, Case, Contact, Event, TransitionResult, finish
from functions.domain.errors import Conflict
from functions.domain.hashes import case_text_digest
from functions.domain.lifecycle import EventType, State

ANONYMISED = EventKind(EventType.ANONYMISED, "个人信息匿名化")
EVENTS = (ANONYMISED,)


def anonymise(case: Case, *, now: datetime, title: str, content: str) -> TransitionResult:
    """Retention (§8): remove the contact data (name, phone, email) and the salt of its
    reference, and keep the citizen's text only as scrubbed for the public (``title`` and
    ``content``, masked by the caller's scrubber); a mailed case's files and stored messages
    are no longer listed (the caller deletes the objects: ``mailed_objects``). The one change
    an archived case still takes; its internal event records the digest of the kept text, so
    the chain and the facts stay verifiable."""
    if case.state != State.ARCHIVED:
        raise Conflict("只有已归档的诉求可以匿名化", "only archived cases", "not_archived")
    if case.anonymised_at is not None:
        raise Conflict("该诉求已匿名化", "already anonymised", "already_anonymised")
    new = copy.deepcopy(case)
    new.contact = Contact()
    new.contact_salt = None
    new.title, new.content = title, content
    new.files, new.mail_messages = [], []
    new.anonymised_at = now
    event = Event(
        EventType.ANONYMISED,
        now,
        SYSTEM,
        case.state,
        case.state,
        "保存期满，已删除留言人姓名、电话、邮箱等个人信息"
        + ("及来信附件、邮件原文" if mailed_objects(case) else ""),
        {"text_sha256": case_text_digest(title, content)},
    )
    return finish(case, new, now, [event])


def mailed_objects(case: Case) -> list[str]:
    """The stored objects of a mailed case (市长信箱) that retention deletes: its kept files
    and the raw messages it was made from or joined by."""
    return [f.key for f in case.files if f.key] + list(case.mail_messages)
