"""Scheduled: the daily digest (每日待办) to each department with open cases.

The rule fires every day at 00:30 UTC (08:30 Asia/Shanghai), not only Monday to Friday: a
make-up Saturday (调休) is a working day and a weekday holiday is not, so the working day is
decided in code, on the deployment's calendar (``functions/services/digest.py``)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from functions import clock

jobs = Blueprint(__name__)


@jobs.schedule(Cron(30, 0, "*", "*", "?", "*"), name="digest")
def send_daily_digest(event: Any) -> dict[str, Any]:
    from functions.services.digest import send_digests

    return send_digests(clock.utcnow())
