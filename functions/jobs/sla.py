"""Scheduled: climb the SLA ladder for every case whose next rung is due."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock, metrics

jobs = Blueprint(__name__)


@jobs.schedule(Rate(5, unit=Rate.MINUTES), name="sla-sweep")
def sla_sweep(event: Any) -> dict[str, Any]:
    from functions.services.sla import lag_seconds, sweep

    now = clock.utcnow()
    metrics.emit_measured(metrics.SLA_SWEEP_LAG, lambda: lag_seconds(now))
    return sweep(now).as_dict()
