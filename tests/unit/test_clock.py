"""The platform clock standing still on the local stage (``WZ_CLOCK_FROZEN_AT``): what the
stacks the tests start run on (infra/local_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from functions import clock
from functions.settings import settings
from tests.clocks import NAMES, StillClock

AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai
TICK = timedelta(microseconds=1)


@pytest.fixture
def own_clock(still_clock: StillClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The platform clock's own functions (the suite stands in for them), its state put back
    afterwards."""
    for name in NAMES:
        monkeypatch.setattr(clock, name, still_clock.replaced[name])
    saved = clock._offset, clock._still
    yield
    clock._offset, clock._still = saved


def test_a_still_clock_reads_its_instant_a_microsecond_on_each_time_and_moves_when_set(
    own_clock: None,
) -> None:
    clock.stand_still(AT)
    assert [clock.utcnow() for _ in range(3)] == [AT + TICK, AT + 2 * TICK, AT + 3 * TICK]
    assert not clock.is_shifted()

    later = AT + timedelta(days=30)
    clock.set_now(later)
    assert clock.is_shifted() and later < clock.utcnow() < later + timedelta(milliseconds=1)
    clock.reset()  # back to the instant it stands at, not to the machine's time
    assert not clock.is_shifted() and AT < clock.utcnow() < AT + timedelta(milliseconds=1)
    before = datetime.now(UTC)
    assert before <= clock.machine_now() <= datetime.now(UTC)  # the machine's, never still


@pytest.mark.parametrize(
    ("stage", "written", "frozen"),
    [
        ("local", "2026-11-18T02:00:00Z", AT),
        ("local", "2026-11-18T10:00:00+08:00", AT),
        ("local", "2026-11-18T02:00:00", AT),  # no offset: UTC
        ("local", "", None),
        ("dev", "2026-11-18T02:00:00Z", None),
        ("prod", "2026-11-18T02:00:00Z", None),
    ],
)
def test_the_clock_stands_still_only_on_the_local_stage(
    monkeypatch: pytest.MonkeyPatch, stage: str, written: str, frozen: datetime | None
) -> None:
    monkeypatch.setenv("WZ_STAGE", stage)
    monkeypatch.setenv("WZ_CLOCK_FROZEN_AT", written)
    settings.cache_clear()
    try:
        assert settings().clock_frozen_at == frozen
    finally:
        monkeypatch.undo()
        settings.cache_clear()
