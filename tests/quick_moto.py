"""In-process moto's costs that DynamoDB does not have, taken out for tests that read
thousands of case items (tests/storage/test_archive_queries.py,
tests/bench/test_audit_scale.py). What DynamoDB answers is unchanged:

- on every Query and Scan moto sorts the whole table, then the index partition, comparing
  ``DynamoType`` objects, and each comparison re-casts both values (``cast_value``): most
  of a Query's time at 5,000 items, seconds at 100,000. Sorted here by the same cast
  values, computed once per item: the same order. Finding the partition compares every
  item's key the same way; two strings are compared as strings here (what ``cast_value``
  gives for a string);
- it re-sums the size of every item it reads (the 1 MB page limit), recursively through
  ~100 nested values per case item; remembered here per stored item (the tests using this
  never update an item in place, they only put new ones);
- it answers through its generic, shape-walking response serializer: about 25 ms per case
  item (~40 attributes with nested maps). A DynamoDB answer is plain JSON, so an answer
  made of items goes out as ``json.dumps`` of the very dict moto built. The first
  ``checked`` answers of each kind are also serialized the generic way and must parse the
  same.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Answers made of items: Query and Scan ("Items"), GetItem ("Item"), BatchGetItem ("Responses").
ANSWERS = ("Items", "Item", "Responses")


@contextmanager
def quicker_moto(checked: int = 5) -> Iterator[None]:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoResult

    generic = DynamoResult.execute_result
    sorted_items, all_items = Table.sorted_items, Table.all_items
    compared: Counter[str] = Counter()

    def plain(self: Any, context: Any) -> Any:
        result = self.result
        kind = next((k for k in ANSWERS if isinstance(result, dict) and k in result), None)
        if kind is None:
            return generic(self, context)
        body = json.dumps(result)
        if compared[kind] < checked:
            compared[kind] += 1
            _, _, slow = generic(self, context)
            assert json.loads(slow) == json.loads(body)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    def by_cast_values(self: Any, hash_attrs: Any, range_attrs: Any, items: Any) -> Any:
        names = self._generate_attr_to_sort_by(hash_attrs, range_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in names))
        return items

    def every_item(self: Any) -> list[Any]:
        items = [
            item
            for hash_set in self.items.values()
            for item in (hash_set.values() if self.range_key_attr else [hash_set])
        ]
        items.sort(
            key=lambda x: (
                (x.hash_key.cast_value, x.range_key.cast_value)
                if x.range_key
                else x.hash_key.cast_value
            )
        )
        return items

    sizes: dict[int, tuple[Any, int]] = {}

    def remembered_size(self: Any) -> int:
        known = sizes.get(id(self))
        if known is None or known[0] is not self:
            known = sizes[id(self)] = (self, item_size(self))
        return known[1]

    def differs(self: Any, other: Any) -> bool:
        if self.type == "S" and other.type == "S":
            return bool(self.value != other.value)
        return bool(not_equal(self, other))

    item_size, not_equal = Item.size, DynamoType.__ne__
    DynamoResult.execute_result = plain  # type: ignore[method-assign]
    Table.sorted_items = by_cast_values  # type: ignore[method-assign,assignment]
    Table.all_items = every_item  # type: ignore[method-assign]
    Item.size = remembered_size  # type: ignore[method-assign]
    DynamoType.__ne__ = differs  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        DynamoResult.execute_result = generic  # type: ignore[method-assign]
        Table.sorted_items = sorted_items  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        Item.size = item_size  # type: ignore[method-assign]
        DynamoType.__ne__ = not_equal  # type: ignore[method-assign]
    assert compared["Items"] == checked, "the plain answers were not compared with moto's own"
