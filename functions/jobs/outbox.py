"""Scheduled: deliver the notifications waiting in the outbox."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from functions import clock
from functions.notify.delivery import deliver_due

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="outbox")
def deliver_outbox(event: Any) -> dict[str, int]:
    return dict(deliver_due(clock.utcnow()).__dict__)
