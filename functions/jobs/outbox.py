"""Scheduled: deliver the notifications waiting in the outbox."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock, metrics

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="outbox")
def deliver_outbox(event: Any) -> dict[str, int]:
    from functions.notify.delivery import deliver_due

    report = dict(deliver_due(clock.utcnow()).__dict__)
    metrics.emit(metrics.OUTBOX_DEAD_LETTERED, report.get("dead", 0))
    return report
