"""Scheduled: close cases whose rating window ended unrated (未评价), and ask the lead how a
列入计划 promise went once its planned date has passed."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock

jobs = Blueprint(__name__)


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="auto-close")
def auto_close_cases(event: Any) -> dict[str, int]:
    from functions.services.sweeps import auto_close

    return auto_close(clock.utcnow())
