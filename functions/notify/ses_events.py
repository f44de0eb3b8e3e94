"""SES bounce and complaint notifications (§4: a dead department address must never hide a
case). SES publishes them to an SNS topic, either as identity notifications
(``notificationType``) or through a configuration set's event destination (``eventType``);
both carry the message tags the adapter set (``message_id``, ``case_id``).

A permanent bounce or a complaint:

1. ends the outbox message as ``bounced`` / ``complained``;
2. marks the address unreachable on every department using it as a contact, so the staff
   case view can say 未能送达该单位;
3. alerts every active coordinator by email (never the broken address itself, and never about
   an alert of this kind, so a coordinator's own broken address cannot start a loop).

Transient and undetermined bounces (mailbox full, greylisting) change nothing: SES retried
them already and the address is not broken.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from functions.domain.following import to_a_follower
from functions.logs import case_id_shown
from functions.notify import templates
from functions.notify.adapter import redact
from functions.settings import settings
from functions.storage import directory, outbox_repo
from functions.storage.codec import iso

log = logging.getLogger("wenzheng.ses")


@dataclass(frozen=True)
class Feedback:
    kind: str  # "bounce" | "complaint"
    recipients: tuple[str, ...]
    message_id: str | None
    case_id: str | None
    detail: str


def _tag(tags: Any, name: str) -> str | None:
    values = tags.get(name) if isinstance(tags, dict) else None
    if isinstance(values, list) and values:
        return str(values[0])
    return str(values) if isinstance(values, str) and values else None


def _addresses(entries: Any) -> tuple[str, ...]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        address = parseaddr(str((entry or {}).get("emailAddress", "")))[1].strip().lower()
        if "@" in address:
            found.append(address)
    return tuple(dict.fromkeys(found))


def parse(message: str | dict[str, Any]) -> Feedback | None:
    """The feedback an SES notification carries, or None when it calls for nothing."""
    try:
        data = json.loads(message) if isinstance(message, str) else message
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = str(data.get("eventType") or data.get("notificationType") or "")
    mail = data.get("mail")
    tags = mail.get("tags", {}) if isinstance(mail, dict) else {}
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return None
        entries = bounce.get("bouncedRecipients")
        diagnostic = next(
            (str(r.get("diagnosticCode", "")) for r in entries or [] if r.get("diagnosticCode")),
            "",
        )
        detail = f"bounce: Permanent/{bounce.get('bounceSubType', 'General')}"
        if diagnostic:
            detail += f": {redact(diagnostic, 160)}"
        feedback_kind = "bounce"
    elif kind == "Complaint":
        complaint = data.get("complaint") or {}
        entries = complaint.get("complainedRecipients")
        detail = f"complaint: {complaint.get('complaintFeedbackType') or 'unspecified'}"
        feedback_kind = "complaint"
    else:
        return None
    recipients = _addresses(entries)
    if not recipients:
        return None
    return Feedback(
        feedback_kind, recipients, _tag(tags, "message_id"), _tag(tags, "case_id"), detail
    )


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:2]}***@{domain}"


def handle(message: str | dict[str, Any], now: datetime) -> dict[str, Any]:
    """Act on one SES notification. Safe to run twice for the same notification."""
    feedback = parse(message)
    if feedback is None:
        return {"handled": False}
    original = outbox_repo.get(feedback.message_id) if feedback.message_id else None
    case_id = feedback.case_id or (original.case_id if original else None)
    concerned = {
        address: directory.mark_unreachable(address, iso(now)) for address in feedback.recipients
    }
    alerts = []
    # A follower's address (关注) is shown to no one and hides no case: no alert for it.
    follower = original is not None and to_a_follower(original.template)
    if not follower and (original is None or original.template != templates.UNREACHABLE_TEMPLATE):
        console = f"{settings().public_base_url}/staff.html" + (
            f"?case={case_id}" if case_id else ""
        )
        for address, departments in concerned.items():
            text = templates.contact_unreachable(
                kind=feedback.kind,
                address=address if departments else _masked(address),
                departments=[(d.name, d.unreachable_contacts()) for d in departments],
                case_id=case_id,
                original=original.subject if original else None,
                detail=feedback.detail,
                console_url=console,
            )
            alerts += [
                outbox_repo.email(
                    coordinator,
                    text,
                    case_id=case_id,
                    template=templates.UNREACHABLE_TEMPLATE,
                    now=now,
                )
                for coordinator in directory.coordinator_emails()
                if coordinator not in feedback.recipients
            ]
    status = "bounced" if feedback.kind == "bounce" else "complained"
    recorded = outbox_repo.record_feedback(
        original.message_id if original else None, status, feedback.detail, alerts
    )
    unfollowed = 0
    if follower and case_id:
        # An address that bounces for good, or whose reader calls our mail spam, follows the
        # case no longer: nothing more is sent to it.
        from functions.domain.following import follower_key
        from functions.storage import followers_repo  # only for a follower's address

        for address in feedback.recipients:
            unfollowed += followers_repo.drop(case_id, follower_key(case_id, address))
    log.warning(
        "ses_feedback",
        extra={
            "kind": feedback.kind,
            "message_id": feedback.message_id,
            "case_id": case_id_shown(case_id),
            "departments": sum(len(d) for d in concerned.values()),
            "new": recorded,
        },
    )
    return {
        "handled": True,
        "kind": feedback.kind,
        "message_id": original.message_id if original else None,
        "case_id": case_id,
        "departments": sorted({d.id for ds in concerned.values() for d in ds}),
        "alerts": len(alerts) if recorded else 0,
        "unfollowed": unfollowed,
    }
