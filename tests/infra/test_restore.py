"""``python -m infra.restore`` on moto (which copies the source's current items whatever the
time asked: the restore itself is AWS's; this checks the requests, the checks and the report)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.storage.models import ALL_MODELS
from infra import restore as r

REGION = "ap-southeast-1"


@pytest.fixture()
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for name, items in (("cases", 3), ("events", 5)):
            table = f"wenzheng-prod-{name}"
            client.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            client.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
            for n in range(items):
                client.put_item(TableName=table, Item={"pk": {"S": f"{name}-{n}"}})
        yield client


def test_every_model_table_is_restorable_by_its_short_name() -> None:
    names = r.table_names()
    assert len(names) == len(ALL_MODELS) and len(set(names)) == len(names)
    assert "cases" in names and "events" in names


def test_tables_restore_to_new_names_and_report_counts_beside_the_live_ones(
    dynamodb: Any,
) -> None:
    plan = r.restore(
        dynamodb,
        source_prefix="wenzheng-prod-",
        target_prefix="wenzheng-prod-r20261201T0800-",
        names=["cases", "events"],
        at=None,
    )
    assert [(p.target, p.target_items, p.source_items) for p in plan] == [
        ("wenzheng-prod-r20261201T0800-cases", 3, 3),
        ("wenzheng-prod-r20261201T0800-events", 5, 5),
    ]
    table = dynamodb.describe_table(TableName="wenzheng-prod-r20261201T0800-cases")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert len(dynamodb.list_tables()["TableNames"]) == 4


def test_a_time_outside_the_recovery_window_or_the_live_prefix_restores_nothing(
    dynamodb: Any,
) -> None:
    before = datetime.now(UTC) - timedelta(days=40)
    with pytest.raises(r.RestoreError, match="before the earliest"):
        r.restore(
            dynamodb,
            source_prefix="wenzheng-prod-",
            target_prefix="wenzheng-prod-old-",
            names=["cases", "events"],
            at=before,
        )
    with pytest.raises(r.RestoreError, match="must differ"):
        r.restore(
            dynamodb,
            source_prefix="wenzheng-prod-",
            target_prefix="wenzheng-prod-",
            names=["cases"],
            at=None,
        )
    assert sorted(dynamodb.list_tables()["TableNames"]) == [
        "wenzheng-prod-cases",
        "wenzheng-prod-events",
    ]


def test_the_cli_refuses_unknown_tables_and_times_without_a_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert r.main(["--region", REGION, "--latest", "--tables", "cases,nope"]) == 2
    assert "no table nope" in capsys.readouterr().err
    assert r.main(["--region", REGION, "--at", "2026-12-01T08:00:00"]) == 2
    assert "time zone" in capsys.readouterr().err
