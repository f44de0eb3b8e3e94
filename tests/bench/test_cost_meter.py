"""The request units tests/bench/cost_meter.py charges, on a table of its own, against DynamoDB's
documented rules: 1 WRU per started KB of the larger of the item before and after, twice in a
transaction; each index entry that appears, changes or goes 1 WRU per started KB of it (two
when its key moved); 1 RRU per started 4 KB read, half when eventually consistent, a Query
charged for what it evaluated before its filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.bench.cost_meter import Meter, item_size, metered, number_size, value_size

TABLE = "wz-test-meter"


@pytest.fixture
def table(aws: None) -> Iterator[Any]:
    import boto3

    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "board", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "all",
                "KeySchema": [{"AttributeName": "board", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "keys",
                "KeySchema": [{"AttributeName": "board", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    yield client
    client.delete_table(TableName=TABLE)


def _item(n: str, text_bytes: int, board: str | None = "b") -> dict[str, Any]:
    item: dict[str, Any] = {"id": {"S": n}, "text": {"S": "x" * text_bytes}}
    if board is not None:
        item["board"] = {"S": board}
    return item


def test_sizes_follow_dynamodbs_rules() -> None:
    assert value_size({"S": "路灯"}) == 6  # UTF-8 bytes
    assert number_size("12345") == 4 and number_size("-0.00100") == 2
    assert value_size({"M": {"a": {"BOOL": True}}}) == 3 + 1 + 1 + 1
    assert value_size({"L": [{"NULL": True}, {"S": "ab"}]}) == 3 + (1 + 1) + (2 + 1)
    assert item_size({"id": {"S": "k"}, "n": {"N": "7"}}) == (2 + 1) + (1 + 2)


def test_writes_charge_the_larger_item_per_kb_and_each_index_entry(table: Any) -> None:
    with metered() as meter:
        table.put_item(TableName=TABLE, Item=_item("1", 1500))  # 1.5 KB: 2 WRU
        assert meter.wru[TABLE] == 2
        # In both indexes: ALL (the whole item, 2 WRU) and KEYS_ONLY (a few bytes, 1 WRU).
        assert meter.gsi_wru == {f"{TABLE}/all": 2, f"{TABLE}/keys": 1}
        _reset(meter)
        table.update_item(
            TableName=TABLE,
            Key={"id": {"S": "1"}},
            UpdateExpression="SET #t = :t",
            ExpressionAttributeNames={"#t": "text"},
            ExpressionAttributeValues={":t": {"S": "short"}},
        )
        assert meter.wru[TABLE] == 2  # the larger of before (1.5 KB) and after
        # The ALL entry changed (1 KB now); the KEYS_ONLY entry did not: no write.
        assert meter.gsi_wru == {f"{TABLE}/all": 1, f"{TABLE}/keys": 0}
        _reset(meter)
        table.update_item(
            TableName=TABLE,
            Key={"id": {"S": "1"}},
            UpdateExpression="SET board = :b",
            ExpressionAttributeValues={":b": {"S": "other"}},
        )
        # The index key moved: a delete and a put in each index.
        assert meter.gsi_wru == {f"{TABLE}/all": 2, f"{TABLE}/keys": 2}


def test_transactions_cost_twice_and_a_refused_condition_still_costs(table: Any) -> None:
    from botocore.exceptions import ClientError

    with metered() as meter:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _item("1", 100, board=None)}},
                {"Put": {"TableName": TABLE, "Item": _item("2", 2100, board=None)}},
            ]
        )
        assert meter.wru[TABLE] == 2 * 1 + 2 * 3
        assert sum(meter.gsi_wru.values()) == 0  # not in the sparse indexes
        _reset(meter)
        with pytest.raises(ClientError):
            table.put_item(
                TableName=TABLE,
                Item=_item("2", 10, board=None),
                ConditionExpression="attribute_not_exists(id)",
            )
        assert meter.wru[TABLE] == 3  # the item as it was: 2.1 KB


def test_reads_charge_per_4kb_halved_when_eventually_consistent(table: Any) -> None:
    for n in range(3):
        table.put_item(TableName=TABLE, Item=_item(str(n), 3000))
    with metered() as meter:
        table.get_item(TableName=TABLE, Key={"id": {"S": "0"}}, ConsistentRead=True)
        table.get_item(TableName=TABLE, Key={"id": {"S": "none"}})
        assert meter.rru[TABLE] == 1 + 0.5
        _reset(meter)
        # Three 3 KB entries evaluated (9 KB: 3 blocks of 4 KB, halved), one returned.
        table.query(
            TableName=TABLE,
            IndexName="all",
            KeyConditionExpression="board = :b",
            FilterExpression="id = :one",
            ExpressionAttributeValues={":b": {"S": "b"}, ":one": {"S": "1"}},
        )
        assert meter.rru[TABLE] == 1.5
        assert meter.dynamo_requests == {f"{TABLE} Query": 1}  # the re-read is not counted


def _reset(meter: Meter) -> None:
    meter.reset()
