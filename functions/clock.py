"""The platform clock. Real UTC time, shifted by an offset that only the local stage may set
(``POST /api/dev/clock``) so a person can walk a case through its deadlines on one machine.

On the local stage real time may also stand still (``WZ_CLOCK_FROZEN_AT``, for the stacks the
tests start, infra/local_stack.py): the clock then reads that instant, one microsecond later at
each reading (so instants still come in order and differ), and moves otherwise only when it
is set."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_still: tuple[datetime, Iterator[int]] | None = None


def _real() -> datetime:
    if _still is None:
        return datetime.now(UTC)
    at, readings = _still
    return at + timedelta(microseconds=next(readings))


def utcnow() -> datetime:
    return _real() + _offset


def set_now(instant: datetime) -> None:
    global _offset
    _offset = instant - _real()


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


def stand_still(at: datetime) -> None:
    """Real time stands still at ``at`` from now on (local stage only: infra/local_stack.py)."""
    global _still
    _still = (at.astimezone(UTC), itertools.count(1))


def machine_now() -> datetime:
    """The machine's own UTC time, never shifted: for ordering records in the order things
    really happened (the dev outbox lists messages in the order they were sent, wherever the
    platform clock was moved meanwhile), never for a deadline or any other rule."""
    return datetime.now(UTC)
