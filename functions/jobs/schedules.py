"""The Chalice schedules, one per job of ``JOBS``: each an EventBridge rule invoking a Lambda
function of the job's name, whose handler runs the job at the platform clock.

Lambda finds a handler by its module and Python name (``functions.jobs.schedules.sla_sweep``),
so each is made a name of this module as it is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent

from functions import clock
from functions.jobs import JOBS, Job, Report, run

jobs = Blueprint(__name__)


def _handler(job: Job) -> Callable[[CloudWatchEvent], Report]:
    def handler(event: CloudWatchEvent) -> Report:
        invocation = getattr(event.context, "aws_request_id", None)
        return run(job.name, clock.utcnow(), request_id=invocation)

    handler.__name__ = handler.__qualname__ = job.handler
    handler.__doc__ = job.work.__doc__
    return handler


_module: dict[str, Any] = globals()
for _job in JOBS.values():
    _module[_job.handler] = jobs.schedule(_job.schedule, name=_job.name)(_handler(_job))
