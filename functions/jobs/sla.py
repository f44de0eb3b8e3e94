"""Scheduled: climb the SLA ladder for every case whose next rung is due."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock
from functions.services.sla import sweep

jobs = Blueprint(__name__)


@jobs.schedule(Rate(5, unit=Rate.MINUTES), name="sla-sweep")
def sla_sweep(event: Any) -> dict[str, Any]:
    return sweep(clock.utcnow()).as_dict()
