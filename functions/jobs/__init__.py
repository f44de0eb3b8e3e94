"""The scheduled jobs, registered once. ``JOBS`` names each job's schedule and its work; the
Chalice schedules (``functions/jobs/schedules.py``), the local timer (``infra/local_stack.py``)
and ``POST /api/dev/jobs/{name}`` are all made from it and all go through ``run``, so a job
does the same thing wherever it runs, its metric and its log keys included.

Every job is idempotent and reads a sparse index of what is due, so running it more often
than its schedule (the local timer runs each one every tick) only costs reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice.app import Cron, Rate, ScheduleExpression

from functions import logs, metrics

Report = dict[str, Any]


@dataclass(frozen=True)
class Job:
    name: str  # the Lambda function, its EventBridge rule, and {name} in /api/dev/jobs/{name}
    schedule: ScheduleExpression
    work: Callable[[datetime], Report]  # what one run does at ``now``; imports lazily
    metric: str | None = None  # the custom metric the work emits (functions/metrics.py)

    @property
    def handler(self) -> str:
        """The Python name of its Lambda handler, in ``functions.jobs.schedules``."""
        return self.name.replace("-", "_")


def _sla_sweep(now: datetime) -> Report:
    """Climb the SLA ladder for every case whose next rung is due; first, how long the
    oldest due deadline check has waited for this run (the lag alarm's metric)."""
    from functions.services.sla import lag_seconds, sweep

    metrics.emit_measured(metrics.SLA_SWEEP_LAG, lambda: lag_seconds(now))
    return sweep(now).as_dict()


def _outbox(now: datetime) -> Report:
    """Deliver the notifications waiting in the outbox; report how many were dead-lettered."""
    from functions.notify.delivery import deliver_due

    report = dict(deliver_due(now).__dict__)
    metrics.emit(metrics.OUTBOX_DEAD_LETTERED, report["dead"])
    return report


def _auto_close(now: datetime) -> Report:
    """Close cases whose rating window ended unrated (未评价), and ask the lead how a 列入计划
    promise went once its planned date has passed."""
    from functions.services.sweeps import auto_close

    return auto_close(now)


def _digest(now: datetime) -> Report:
    """The daily digest (每日待办) to each department with open cases. The rule fires every
    day, not only Monday to Friday: a make-up Saturday (调休) is a working day and a weekday
    holiday is not, so the working day is decided in code, on the deployment's calendar."""
    from functions.services.digest import send_digests

    return send_digests(now)


def _desk_weekly(now: datetime) -> Report:
    """每周工作台: once a week each unit with open cases gets a fresh desk link (replacing the
    one before) and its figures. The rule fires daily; the first working day of the ISO week
    is decided in code, on the deployment's calendar, like the digest's."""
    from functions.services.desk import send_weekly

    return send_weekly(now)


def _rankings(now: datetime) -> Report:
    """Freeze last month's 亮晒比 ranking; the first freeze stands."""
    from functions.services.rankings import freeze_last_month

    return freeze_last_month(now)


def _archive(now: datetime) -> Report:
    """Cases closed long enough become read-only."""
    from functions.services.sweeps import archive

    return archive(now)


def _retention(now: datetime) -> Report:
    """Archived cases past the retention period lose the citizen's contact data."""
    from functions.services.sweeps import anonymise

    return anonymise(now)


def _hotspots(now: datetime) -> Report:
    """舆情: count the terms of the cases new since the last run, and raise a warning once
    for each burst (functions/services/hotspots.py)."""
    from functions.services.hotspots import run as count_and_warn

    return count_and_warn(now)


def _poll_mailbox(now: datetime) -> Report:
    """市长信箱 by IMAP, where SES receiving is absent: the unread messages become cases (or
    join the cases they answer) through the S3 event's own intake; a no-op while
    ``WZ_IMAP_HOST`` is empty."""
    from functions.services.mail_poll import poll

    return poll(now)


def _sms_receipts(now: datetime) -> Report:
    """送达回执: record the delivery receipts of the SMS a domestic provider sent (delivered,
    or dead-lettered for a person); nothing on a stage that sends SMS through SNS."""
    from functions.notify.sms_receipts import collect

    return collect(now)


# Crons are in UTC; the comments say when they fire in Asia/Shanghai.
JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("sla-sweep", Rate(5, unit=Rate.MINUTES), _sla_sweep, metrics.SLA_SWEEP_LAG),
        Job("outbox", Rate(1, unit=Rate.MINUTES), _outbox, metrics.OUTBOX_DEAD_LETTERED),
        Job("auto-close", Rate(15, unit=Rate.MINUTES), _auto_close),
        Job("digest", Cron(30, 0, "*", "*", "?", "*"), _digest),  # 08:30 daily
        Job("desk-weekly", Cron(0, 0, "*", "*", "?", "*"), _desk_weekly),  # 08:00 daily
        # 00:30 on the 1st: 16:30 UTC on the last day of the month before.
        Job("rankings", Cron(30, 16, "L", "*", "?", "*"), _rankings),
        Job("archive", Cron(10, 18, "*", "*", "?", "*"), _archive),  # 02:10 daily
        Job("retention", Cron(40, 18, "*", "*", "?", "*"), _retention),  # 02:40, after archive
        Job("hotspots", Rate(1, unit=Rate.HOURS), _hotspots),
        Job("poll-mailbox", Rate(2, unit=Rate.MINUTES), _poll_mailbox),
        Job("sms-receipts", Rate(10, unit=Rate.MINUTES), _sms_receipts),
    )
}


def run(name: str, now: datetime, *, request_id: str | None = None) -> Report:
    """One run of job ``name`` at ``now``: what its schedule, the local timer and the dev
    route all call. Every line it logs carries ``job`` (and ``request_id``, the invocation's,
    when given: inside a request the request's stands)."""
    job = JOBS[name]
    with logs.scope(job=job.name, request_id=request_id):
        return job.work(now)
