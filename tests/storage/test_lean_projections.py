"""tests/quick_moto.py ``lean_projections`` answers what moto's own ``Item.project`` answers:
the same values for an index's key and included names and for a ProjectionExpression of
top-level names, over every attribute type; paths into maps and lists stay moto's."""

from __future__ import annotations

from typing import Any

from tests.quick_moto import lean_projections

ITEM: dict[str, Any] = {
    "pk": {"S": "CASE#1"},
    "sk": {"S": "META"},
    "gsi_pk": {"S": "dept-1#2026-04"},
    "n": {"N": "1.50"},
    "big": {"N": "12345678901234567890"},
    "flag": {"BOOL": True},
    "none": {"NULL": True},
    "blob": {"B": "AAEC"},
    "tags": {"SS": ["b", "a"]},
    "nums": {"NS": ["3", "1"]},
    "nested": {"M": {"a": {"L": [{"S": "x"}, {"M": {"b": {"N": "2"}}}]}, "c": {"SS": ["z"]}}},
    "replies": {"L": [{"M": {"text": {"S": "已处理"}}}, {"S": "second"}]},
}

PROJECTIONS = [
    [["pk"], ["sk"], ["gsi_pk"]],  # KEYS_ONLY
    [["pk"], ["sk"], ["gsi_pk"], ["n"], ["tags"], ["nested"], ["missing"]],  # INCLUDE
    [[name] for name in ITEM],  # everything
    [["big"], ["flag"], ["none"], ["blob"], ["nums"], ["replies"]],
    [],
    [["nested", "a"]],  # a path: moto's own
    [["replies[1]"]],  # a list element: moto's own
]


def test_lean_projections_hold_what_moto_projects() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    lean_projections()
    project = Item.project
    generic = project.generic  # type: ignore[attr-defined]
    item = Item(DynamoType(ITEM["pk"]), DynamoType(ITEM["sk"]), ITEM)
    before = item.to_json()
    for paths in PROJECTIONS:
        lean, slow = item.project(paths), generic(item, paths)
        assert lean.to_regular_json() == slow.to_regular_json(), paths
        assert (lean.hash_key, lean.range_key) == (slow.hash_key, slow.range_key)
        # Sizes are not compared: moto's round trip holds a binary value as raw bytes where
        # the stored item (and so an ALL index's answer) holds it base64, as it came in; both
        # go out as the same base64, and a Query's 1 MB is counted on the stored items.
        for name, value in lean.attrs.items():  # copies: the stored item is not shared
            assert value is not item.attrs[name]
    assert item.to_json() == before


def test_an_index_query_answers_as_moto_does_and_shares_nothing_with_the_table() -> None:
    """A Query on KEYS_ONLY and INCLUDE indexes (the found items handed to the projection
    without moto's deep copy) answers what moto answers with its deep copy, and the items it
    answers share no attribute with the stored ones."""
    import boto3
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models import table as tables
    from moto.dynamodb.models.dynamo_type import DynamoType

    from tests.quick_moto import lean_index_queries

    lean_index_queries()
    key = [
        {"AttributeName": "gsi_pk", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": t}
                for a, t in (("pk", "S"), ("sk", "S"), ("gsi_pk", "S"), ("n", "N"))
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "keys",
                    "KeySchema": key,
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
                {
                    "IndexName": "some",
                    "KeySchema": key,
                    "Projection": {
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": ["tags", "nested"],
                    },
                },
                {"IndexName": "all", "KeySchema": key, "Projection": {"ProjectionType": "ALL"}},
            ],
        )
        for i in range(5):
            client.put_item(
                TableName="t", Item={**ITEM, "pk": {"S": f"CASE#{i}"}, "n": {"N": str(i)}}
            )
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table("t")
        before = [item.to_json() for item in table.all_items()]

        def answers() -> list[Any]:
            return [
                client.query(
                    TableName="t",
                    IndexName=index,
                    KeyConditionExpression="gsi_pk = :p AND n > :n",
                    ExpressionAttributeValues={":p": ITEM["gsi_pk"], ":n": {"N": "0"}},
                    **extra,
                )["Items"]
                for index in ("keys", "some", "all")
                for extra in ({}, {"ProjectionExpression": "pk, tags"})
            ]

        lean = answers()
        shim, tables.copy = tables.copy, tables.copy.real  # type: ignore[attr-defined]
        try:
            assert answers() == lean  # moto's deep copy before the projection
        finally:
            tables.copy = shim
        assert [len(found) for found in lean] == [4] * 6
        assert set(lean[0][0]) == {"pk", "sk", "gsi_pk", "n"}
        assert set(lean[2][0]) == {"pk", "sk", "gsi_pk", "n", "tags", "nested"}
        assert set(lean[1][0]) == {"pk"} and set(lean[3][0]) == {"pk", "tags"}
        stored = {id(v) for item in table.all_items() for v in item.attrs.values()}
        found, _, _ = table.query(
            DynamoType(ITEM["gsi_pk"]),
            None,
            [],
            None,
            None,
            True,
            None,
            index_name="some",
        )
        assert found and not stored & {id(v) for item in found for v in item.attrs.values()}
        assert [item.to_json() for item in table.all_items()] == before
