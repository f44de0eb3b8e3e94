"""The platform clock as tests need it: standing still unless a test moves it.

``functions.clock`` is real time plus an offset, so a test that sets 10:00 and asserts a
deadline to the second fails whenever a loaded machine takes a second between the two. This
clock advances one microsecond per reading (so instants still come in order and differ) and
otherwise moves only when a test sets it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TICK = timedelta(microseconds=1)


NAMES = ("utcnow", "set_now", "reset", "is_shifted")


class StillClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.shifted = False
        self.replaced: dict[str, Any] = {}  # the platform clock's own functions

    def utcnow(self) -> datetime:
        self.now += TICK
        return self.now

    def set_now(self, instant: datetime) -> None:
        self.now, self.shifted = instant, True

    def reset(self) -> None:
        self.now, self.shifted = datetime.now(UTC), False

    def is_shifted(self) -> bool:
        return self.shifted


def install(patch: Any) -> StillClock:
    """Replace the platform clock's functions for the life of ``patch`` (a MonkeyPatch)."""
    from functions import clock

    still = StillClock()
    for name in NAMES:
        still.replaced[name] = getattr(clock, name)
        patch.setattr(clock, name, getattr(still, name))
    return still
