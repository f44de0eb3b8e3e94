"""Scheduled: close cases whose rating window ended without a rating."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock
from functions.services.sweeps import close_unrated

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="rating-window")
def close_unrated_cases(event: Any) -> dict[str, int]:
    return close_unrated(clock.utcnow())
