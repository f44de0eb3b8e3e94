"""市长信箱 by e-mail (§17): a stored inbound message becomes a case with channel ``mail``, or
joins the case whose mail it answers.

One path for every way in: the SES receipt rule stores the raw message under ``inbound/`` of
the uploads bucket and S3 invokes ``receive_mail`` (functions/jobs/inbound_mail.py); the IMAP
poller (``poll-mailbox``) stores what it fetches there and calls the same ``receive``; the
local stage's ``POST /api/dev/inbound-mail`` does the same with a message it is given.

- a bounce (a delivery report, a null sender) makes nothing;
- a reply naming one of the platform's case mails (the thread id in ``References``, see
  ``functions.services.common.case_mail_headers``) adds to that case: 补充材料 when the case
  waits for the citizen's answer, else a staff-only 来信补充 event;
- anything else becomes a case waiting for 受理 at the city level under a neutral category
  (the coordinator sets both at 受理), with the sender as its contact e-mail, its images
  through the photo pipeline and its other files kept for staff; the receipt (the
  auto-reply with the case id and the tracking code) goes to the sender once, unless the
  message is automatic (RFC 3834) or the sender is past ``mail_sender``.

Processing a message twice makes one case (keyed by its Message-ID, else its object key)."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from functions.domain import mail
from functions.domain.cases import CITIZEN, Case, CaseFile
from functions.domain.errors import Conflict, TooManyRequests
from functions.domain.lifecycle import READ_ONLY, State
from functions.domain.photos import PhotoState, upload_key
from functions.domain.taxonomy import Channel, Kind
from functions.storage import media_store

log = logging.getLogger("wenzheng.mailbox")

CITY_DISTRICT = "city"  # 市本级, where a deployment has one; else its first district
NEUTRAL_CATEGORY = "other"  # 其他, where a deployment has one; else its last category


def receive(key: str, now: datetime) -> str:
    """Process the message stored at ``key`` (an S3 event's object): what became of it, for
    the log (``created``, ``joined``, ``duplicate``, ``bounce``, ``ignored``, ``missing``)."""
    if not mail.inbound_key(key):
        return "ignored"
    raw = media_store.get(key)
    if raw is None:
        return "missing"
    return intake(raw, key=key, now=now)


def deliver_locally(raw: bytes, now: datetime) -> tuple[str, str, str | None]:
    """The local stage's stand-in for SES (``POST /api/dev/inbound-mail``): store ``raw`` under
    ``inbound/`` and run the S3-event function on it; (key, outcome, the case it made or
    joined)."""
    from functions.jobs.inbound_mail import on_inbound_mail
    from functions.settings import settings
    from functions.storage import idempotency

    key = f"{mail.INBOUND_PREFIX}local-{hashlib.sha256(raw).hexdigest()[:32]}"
    media_store.put_private(key, raw, "message/rfc822")
    record = {"s3": {"bucket": {"name": settings().uploads_bucket}, "object": {"key": key}}}
    [outcome] = on_inbound_mail({"Records": [{"eventSource": "aws:s3", **record}]}, None)
    held = idempotency.get(_digest(_dedupe_key(mail.parse(raw), key)))
    return key, outcome, held.case_id if held else None


def _dedupe_key(message: mail.InboundMail, key: str) -> str:
    return f"mail:{message.message_id or key}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def intake(raw: bytes, *, key: str, now: datetime) -> str:
    message = mail.parse(raw)
    if message.bounce or message.sender is None:
        log.info("mail_bounce_ignored", extra={"key": key})
        return "bounce"
    dedupe = _dedupe_key(message, key)
    from functions.storage import idempotency

    if idempotency.get(_digest(dedupe)) is not None:
        return "duplicate"
    case = _case_answered(message)
    if case is not None:
        return _join(case, message, dedupe, key, now)
    return _new_case(message, dedupe, key, now)


# -- a reply to the platform's mail -----------------------------------------------------------


def _case_answered(message: mail.InboundMail) -> Case | None:
    """The case whose mail ``message`` answers: its thread id in ``References`` with a token
    the case's own salt makes (a forged header names no case). An archived case takes
    nothing more: a reply to it becomes a new case."""
    from functions.storage import cases_repo

    for case_id, token in mail.threads_named(message.references):
        case = cases_repo.get(case_id)
        if (
            case is not None
            and case.contact_salt
            and mail.names_case(case_id, token, case.contact_salt)
            and case.state not in READ_ONLY
        ):
            return case
    return None


def _join(case: Case, message: mail.InboundMail, dedupe: str, key: str, now: datetime) -> str:
    from functions.domain.actions import mail_note, supplement
    from functions.services.common import commit, context
    from functions.storage import idempotency

    text = mail.reply_text(message.text) or message.subject
    files = _files([*message.images, *message.files], dedupe)
    ctx = context(now)
    if case.state == State.AWAITING_CITIZEN and case.open_info_request is not None:
        result = supplement.run(case, CITIZEN, {"text": text}, ctx)
        result.case.files = [*result.case.files, *files]
    else:
        result = mail_note.run(case, CITIZEN, {"text": text, "files": files}, ctx)
    result.case.mail_messages = [*result.case.mail_messages, key]
    key_hash = _digest(dedupe)
    record = idempotency.completed(
        key_hash, _digest(text), case_id=case.case_id, tracking_code="", now=now
    )
    try:
        commit(result, now, idempotency=record)
    except Conflict:
        if idempotency.get(key_hash) is not None:
            return "duplicate"
        raise  # the case changed meanwhile: S3 invokes again, and the next run reads it anew
    log.info("mail_joined_case", extra={"case_id": case.case_id})
    return "joined"


# -- a new case -------------------------------------------------------------------------------


def _files(parts: list[mail.Attachment], dedupe: str) -> list[CaseFile]:
    """Store each part for staff (private, never served); one over the cap is recorded by
    name and size only."""
    digest = _digest(dedupe)
    found = []
    for n, part in enumerate(parts):
        key = None
        if part.data is not None:
            key = mail.file_key(digest, n)
            media_store.put_private(key, part.data, part.content_type)
        found.append(CaseFile(part.filename, part.content_type, part.size, key))
    return found


def _photos(
    images: list[mail.Attachment], now: datetime
) -> tuple[list[str], list[mail.Attachment]]:
    """Each image through the photo pipeline as an upload would go (a slot, the original under
    ``uploads/``, processed at once): the ids of the processed ones, and the images that did
    not decode (kept as files)."""
    import secrets

    from functions.services import photos
    from functions.storage import uploads_repo

    processed: list[str] = []
    refused: list[mail.Attachment] = []
    for image in images:
        assert image.data is not None
        upload_id = secrets.token_hex(16)
        uploads_repo.create([uploads_repo.new_item(upload_id, image.content_type, image.size, now)])
        media_store.put(upload_key(upload_id), image.data, image.content_type)
        if photos.process(upload_key(upload_id), now) == PhotoState.PROCESSED.value:
            processed.append(upload_id)
        else:
            refused.append(image)
    return processed, refused


def _placement() -> tuple[str, str]:
    """The city level and a neutral category: the coordinator sets both at 受理."""
    from functions.storage import directory

    tax = directory.taxonomy()
    districts = [code for code, _ in tax.districts]
    categories = [code for code, _ in tax.categories]
    district = CITY_DISTRICT if CITY_DISTRICT in districts else districts[0]
    category = NEUTRAL_CATEGORY if NEUTRAL_CATEGORY in categories else categories[-1]
    return district, category


def _receipt(message: mail.InboundMail, now: datetime) -> bool:
    """Whether the receipt (the auto-reply) goes out: never to an automatic message, and at
    most ``mail_sender`` a day to one sender."""
    from functions.services import rate_limits

    if message.automatic:
        log.info("mail_receipt_withheld", extra={"reason": "automatic"})
        return False
    assert message.sender is not None
    try:
        rate_limits.hit("mail_sender", message.sender.lower(), now, route="mail")
    except TooManyRequests:
        log.info("mail_receipt_withheld", extra={"reason": "mail_sender"})
        return False
    return True


def _new_case(message: mail.InboundMail, dedupe: str, key: str, now: datetime) -> str:
    from functions.services import citizen

    upload_ids, refused = _photos(message.images, now)
    files = _files([*refused, *message.files], dedupe)
    district, category = _placement()
    body: dict[str, Any] = {
        "kind": Kind.CONSULTATION.value,
        "category": category,
        "district": district,
        "title": message.title,
        "content": message.content,
        "contact": {"name": message.sender_name, "email": message.sender},
        # A letter gave no consent to publication: the case stays private (§8).
        "public": False,
        "photos": upload_ids,
    }
    try:
        answer = citizen.submit(
            body,
            idempotency_key=dedupe,
            now=now,
            channel=Channel.MAIL,
            files=files,
            mail_message=key,
            receipt=lambda: _receipt(message, now),
        )
    except Conflict as error:  # the same message being processed at this moment
        log.info("mail_duplicate", extra={"code": error.code})
        return "duplicate"
    if answer["replayed"]:
        return "duplicate"
    log.info("mail_case_created", extra={"case_id": answer["case_id"]})
    return "created"
