"""Custom CloudWatch metrics as Embedded Metric Format log lines: one JSON line on stdout,
which Lambda sends to CloudWatch Logs and CloudWatch turns into a metric. No API call, no
client, nothing to import but the standard library; only the scheduled jobs emit (the HTTP
path never does). The alarms on these metrics are in infra/template.py.

Namespace ``Wenzheng``, one dimension ``Stage``."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

from functions import logs
from functions.settings import settings

log = logging.getLogger("wenzheng.metrics")

NAMESPACE = "Wenzheng"
# The metrics the code emits (name → CloudWatch unit); the template's alarms use these names.
OUTBOX_DEAD_LETTERED = "OutboxDeadLettered"
SLA_SWEEP_LAG = "SlaSweepLagSeconds"
UNITS = {OUTBOX_DEAD_LETTERED: "Count", SLA_SWEEP_LAG: "Seconds"}

# Where the lines go when no stream is given: stdout (Lambda sends it to CloudWatch), unless
# ``send_to`` named another place (the local stack, whose jobs run every few seconds).
_write: Callable[[str, float, str], None] | None = None


def send_to(write: Callable[[str, float, str], None] | None) -> None:
    """Send each line to ``write(name, value, line)`` instead of stdout (None: stdout)."""
    global _write
    _write = write


def emf_line(name: str, value: float, *, stage: str, timestamp_ms: int) -> str:
    document = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Stage"]],
                    "Metrics": [{"Name": name, "Unit": UNITS[name]}],
                }
            ],
        },
        "Stage": stage,
        name: value,
    }
    return json.dumps(document, separators=(",", ":"))


def emit(name: str, value: float, stream: TextIO | None = None) -> None:
    """Write one metric value as an EMF line (``name`` must be one of ``UNITS``)."""
    line = emf_line(name, value, stage=settings().stage, timestamp_ms=int(time.time() * 1000))
    if stream is None and _write is not None:
        _write(name, value, line)
        return
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()


def emit_measured(name: str, measure: Callable[[], float]) -> None:
    """Emit ``measure()``; a measurement that fails is logged and skipped, never allowed to
    stop the job it describes (the missing value is what the alarm notices)."""
    try:
        value = measure()
    except Exception as error:
        log.error("metric_not_measured", extra={"metric": name, **logs.failure(error)})
        return
    emit(name, value)
