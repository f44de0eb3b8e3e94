"""Restore the stage's tables from point-in-time recovery into NEW tables, never over the live
ones (docs/OPERATIONS.md, "Restoring from point-in-time recovery").

    python -m infra.restore --stage prod --region ap-southeast-1 --at 2026-12-01T08:00:00Z
    python -m infra.restore --stage prod --region ap-southeast-1 --latest --tables cases,events

Each table ``wenzheng-<stage>-<name>`` is restored to ``<target prefix><name>`` (default
``wenzheng-<stage>-r<YYYYMMDDTHHMM>-``), on-demand, with its indexes; the command waits until
every restored table is ACTIVE, then prints the item count of each restored table beside the
live one's. Restored tables have no point-in-time recovery, TTL, alarms or tags: they are for
reading, comparing and copying back, not for serving.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class RestoreError(RuntimeError):
    pass


def table_names() -> list[str]:
    """The short names of every table (``cases``, ``events``, …), from the models."""
    from functions.settings import settings
    from functions.storage.models import ALL_MODELS

    prefix = settings().table_prefix
    return [model.Meta.table_name.removeprefix(prefix) for model in ALL_MODELS]


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise RestoreError(f"{text}: give the time zone (e.g. 2026-12-01T08:00:00Z or +08:00)")
    return moment.astimezone(UTC)


def count_items(dynamodb: Any, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += int(page["Count"])
    return total


@dataclass
class Restored:
    source: str
    target: str
    source_items: int = 0
    target_items: int = 0


def check_window(dynamodb: Any, table: str, at: datetime) -> None:
    backups = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise RestoreError(f"{table}: point-in-time recovery is not enabled")
    earliest, latest = pitr.get("EarliestRestorableDateTime"), pitr.get("LatestRestorableDateTime")
    if earliest and at < earliest:
        raise RestoreError(f"{table}: {at:%Y-%m-%dT%H:%M:%SZ} is before the earliest {earliest}")
    if latest and at > latest:
        raise RestoreError(f"{table}: {at:%Y-%m-%dT%H:%M:%SZ} is after the latest {latest}")


def restore(
    dynamodb: Any,
    *,
    source_prefix: str,
    target_prefix: str,
    names: Iterable[str],
    at: datetime | None,
    wait: bool = True,
) -> list[Restored]:
    """Restore each named table (``at`` None: the latest restorable time)."""
    if target_prefix == source_prefix:
        raise RestoreError("the target prefix must differ from the live one")
    plan = [Restored(f"{source_prefix}{name}", f"{target_prefix}{name}") for name in names]
    if at is not None:
        for item in plan:  # check every table first: restore all or none
            check_window(dynamodb, item.source, at)
    for item in plan:
        request: dict[str, Any] = {
            "SourceTableName": item.source,
            "TargetTableName": item.target,
            "BillingModeOverride": "PAY_PER_REQUEST",
        }
        if at is None:
            request["UseLatestRestorableTime"] = True
        else:
            request["RestoreDateTime"] = at
        dynamodb.restore_table_to_point_in_time(**request)
    if wait:
        waiter = dynamodb.get_waiter("table_exists")
        for item in plan:
            # Restores take from minutes to hours; wait up to 6 hours per table.
            waiter.wait(TableName=item.target, WaiterConfig={"Delay": 20, "MaxAttempts": 1080})
            item.source_items = count_items(dynamodb, item.source)
            item.target_items = count_items(dynamodb, item.target)
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.restore", description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--region", required=True)
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="ISO time with zone, e.g. 2026-12-01T08:00:00Z")
    when.add_argument("--latest", action="store_true", help="the latest restorable time")
    parser.add_argument("--tables", help="comma-separated short names (default: every table)")
    parser.add_argument("--target-prefix", help="default wenzheng-<stage>-r<time>-")
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args(argv)
    import boto3

    try:
        at = parse_time(args.at) if args.at else None
        known = table_names()
        names = [n.strip() for n in args.tables.split(",")] if args.tables else known
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise RestoreError(f"no table {', '.join(unknown)} (tables: {', '.join(known)})")
        stamp = (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M")
        target_prefix = args.target_prefix or f"wenzheng-{args.stage}-r{stamp}-"
        dynamodb = boto3.client("dynamodb", region_name=args.region)
        plan = restore(
            dynamodb,
            source_prefix=f"wenzheng-{args.stage}-",
            target_prefix=target_prefix,
            names=names,
            at=at,
            wait=not args.no_wait,
        )
    except RestoreError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 2
    for item in plan:
        counts = "" if args.no_wait else f"  {item.target_items} items (live: {item.source_items})"
        print(f"{item.source} -> {item.target}{counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
