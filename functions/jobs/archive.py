"""Scheduled, daily at 02:10 and 02:40 Asia/Shanghai (18:10 / 18:40 UTC): archive cases
closed long enough, then anonymise archived cases past the retention period. Both read a
sparse index of what is due and are idempotent."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from functions import clock

jobs = Blueprint(__name__)


@jobs.schedule(Cron(10, 18, "*", "*", "?", "*"), name="archive")
def archive_cases(event: Any) -> dict[str, int]:
    from functions.services.sweeps import archive

    return archive(clock.utcnow())


@jobs.schedule(Cron(40, 18, "*", "*", "?", "*"), name="retention")
def anonymise_cases(event: Any) -> dict[str, int]:
    from functions.services.sweeps import anonymise

    return anonymise(clock.utcnow())
