"""Scheduled: freeze last month's 亮晒比 ranking on the 1st, 00:30 Asia/Shanghai (16:30 UTC
on the last day of the month before). Idempotent: the first freeze stands."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from functions import clock

jobs = Blueprint(__name__)


@jobs.schedule(Cron(30, 16, "L", "*", "?", "*"), name="rankings")
def freeze_rankings(event: Any) -> dict[str, Any]:
    from functions.services.rankings import freeze_last_month

    return freeze_last_month(clock.utcnow())
