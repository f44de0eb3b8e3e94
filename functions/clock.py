"""The platform clock. Real UTC time, shifted by an offset that only the local stage may set
(``POST /api/dev/clock``) so a person can walk a case through its deadlines on one machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def set_now(instant: datetime) -> None:
    global _offset
    _offset = instant - datetime.now(UTC)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def is_shifted() -> bool:
    return _offset != timedelta(0)


def offset() -> timedelta:
    """How far the platform clock is from real time (the local stack keeps it across runs)."""
    return _offset


def set_offset(delta: timedelta) -> None:
    global _offset
    _offset = delta


def machine_now() -> datetime:
    """The machine's own UTC time, never shifted: for ordering records in the order things
    really happened (the dev outbox lists messages in the order they were sent, wherever the
    platform clock was moved meanwhile), never for a deadline or any other rule."""
    return datetime.now(UTC)
