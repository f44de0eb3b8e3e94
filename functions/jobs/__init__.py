"""Scheduled functions. ``RUNNERS`` maps each job's name to a callable taking ``now``, so
the local timer and ``POST /api/dev/jobs/{name}`` run exactly what the schedule runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


def _outbox(now: datetime) -> Any:
    from functions.notify.delivery import deliver_due

    return deliver_due(now).__dict__


def _auto_close(now: datetime) -> Any:
    from functions.services.sweeps import auto_close

    return auto_close(now)


def _digest(now: datetime) -> Any:
    from functions.services.digest import send_digests

    return send_digests(now)


def _sla_sweep(now: datetime) -> Any:
    from functions.services.sla import sweep

    return sweep(now).as_dict()


def _rankings(now: datetime) -> Any:
    from functions.services.rankings import freeze_last_month

    return freeze_last_month(now)


def _archive(now: datetime) -> Any:
    from functions.services.sweeps import archive

    return archive(now)


def _retention(now: datetime) -> Any:
    from functions.services.sweeps import anonymise

    return anonymise(now)


RUNNERS: dict[str, Callable[[datetime], Any]] = {
    "sla-sweep": _sla_sweep,
    "outbox": _outbox,
    "auto-close": _auto_close,
    "digest": _digest,
    "rankings": _rankings,
    "archive": _archive,
    "retention": _retention,
}
