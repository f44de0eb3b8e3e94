"""The coordinator's 发送失败 list: dead-lettered notifications, and putting one back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain.errors import invalid_field
from functions.domain.following import to_a_follower
from functions.storage import outbox_repo
from functions.storage.codec import iso


def _masked_phone(phone: str) -> str:
    """+8613912345678 → +86139****5678: enough to tell numbers apart, not to call one."""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:-8]}****{digits[-4:]}"


FOLLOWER = "（关注者，地址不显示）"


def _shown(m: outbox_repo.Message) -> str:
    """Whom a message went to, as a coordinator may see it: an SMS number masked, and never
    a follower's address (§14: a follower's address is shown to no one)."""
    if m.channel == "sms":
        return _masked_phone(m.recipient)
    if m.channel == outbox_repo.FANOUT and m.recipient == "merged":
        return "（并件各留言人）"
    if m.channel == outbox_repo.FANOUT or to_a_follower(m.template):
        return FOLLOWER
    return m.recipient


def item(m: outbox_repo.Message) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "channel": m.channel,
        "to": _shown(m),
        "subject": m.subject,
        "case_id": m.case_id,
        "template": m.template,
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "created_at": iso(m.created_at),
    }


def listing(status: str, cursor: str | None) -> dict[str, Any]:
    if status != "dead":
        raise invalid_field(
            "status", "目前只能查看发送失败的消息（status=dead）", "status must be dead"
        )
    found, next_cursor = outbox_repo.dead_letters(cursor)
    return {"items": [item(m) for m in found], "next_cursor": next_cursor}


def retry(message_id: str, now: datetime) -> dict[str, Any]:
    return item(outbox_repo.retry(message_id, now))
