"""The platform clock. Real UTC time, shifted by an offset that only the local stage may set
(``POST /api/dev/clock``) so a person can walk a case through its deadlines on one machine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(timezone.utc) + _offset


def set_now(instant: datetime) -> None:
    global _offset
    _offset = instant - datetime.now(timezone.utc)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def is_shifted() -> bool:
    return _offset != timedelta(0)
