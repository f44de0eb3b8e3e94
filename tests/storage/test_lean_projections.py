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
