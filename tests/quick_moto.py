"""moto's costs that DynamoDB does not have, taken out of the tests. What DynamoDB answers is
unchanged; each change checks its first few results against moto's own.

For the whole test process, and for the stacks the tests start (tests/localstack.py), by
``lighter_moto()``:

- it answers through its generic, shape-walking response serializer: about 25 ms per case
  item (~40 attributes with nested maps), most of the time of a board page, an outbox listing
  or a sweep. A DynamoDB answer is plain JSON, so an answer made of items goes out as
  ``json.dumps`` of the very dict moto built (binary values base64, as the serializer writes
  them). The first ``checked`` answers of each kind are also serialized the generic way and
  must parse the same (``plain_answers``);
- every TransactWriteItems first deep-copies each table it writes to, whole, to put back if
  an operation fails: with the demo city's few thousand items a quarter of a second per case
  transition. Only the items the transaction names are copied (``lean_transactions``);
- an item's 400 KB limit is checked on every attribute set by re-summing the size of every
  attribute already there, recursively: writing a ~40-attribute case item sizes its nested
  values some forty times over, a fifth of the demo city's load. The item's size is kept as
  it is set and summed afresh only when attributes went missing or came in another way: the
  same limit, the same error (``sized_once``);
- an index that projects some attributes (KEYS_ONLY, INCLUDE) has moto build each item it
  answers by turning the WHOLE item into plain Python values once per projected name and
  serializing the kept ones back: ~10 ms per case item for the audit indexes' dozen names,
  most of an archive page's time. The kept top-level attributes are copied instead (what
  moto does for a path of one name), and the first ``checked`` projections are also made
  moto's way and must hold the same values (``lean_projections``).

For tests that read thousands of case items (tests/storage/test_archive_queries.py,
tests/bench/test_audit_scale.py), also by ``quicker_moto()``:

- on every Query and Scan moto sorts the whole table, then the index partition, comparing
  ``DynamoType`` objects, and each comparison re-casts both values (``cast_value``): most
  of a Query's time at 5,000 items, seconds at 100,000. Sorted here by the same cast
  values, computed once per item: the same order. Finding the partition compares every
  item's key the same way; two strings are compared as strings here (what ``cast_value``
  gives for a string);
- it re-sums the size of every item it reads (the 1 MB page limit), recursively through
  ~100 nested values per case item; remembered here per stored item (the tests using this
  never update an item in place, they only put new ones).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

# A name moto reads as an element of a list ("replies[0]"): left to moto's own projection.
_INDEXED = re.compile(r"(.+)\[(\d+)\]$")

# Answers made of items: Query and Scan ("Items"), GetItem ("Item"), BatchGetItem ("Responses"),
# an UpdateItem that returns the item ("Attributes").
ANSWERS = ("Items", "Item", "Responses", "Attributes")


def lighter_moto(checked: int = 3) -> None:
    """``plain_answers``, ``lean_transactions``, ``sized_once`` and ``lean_projections``, for
    the rest of this process."""
    plain_answers(checked)
    lean_transactions(checked)
    sized_once()
    lean_projections(checked)


def sized_once() -> None:
    """moto's item size limit (``LimitedSizeDict``), each attribute sized once as it is set.
    Idempotent."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict, bytesize

    if getattr(LimitedSizeDict.__setitem__, "sized_once", False):
        return
    limit = 405_000  # moto's (DynamoDB's 400 KB, measured between 409 and 410 KB)

    def size_of(key: str, value: Any) -> int:
        return bytesize(key) + (value.size() if type(value) is DynamoType else bytesize(str(value)))

    def set_sized(self: Any, key: str, value: Any) -> None:
        kept = self.__dict__
        total = kept.get("_size")
        if total is None or kept.get("_count") != len(self):  # deleted, or set by update()
            total = sum(size_of(k, v) for k, v in self.items())
        if key in self:
            total -= size_of(key, self[key])
        total += size_of(key, value)
        if total > limit:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)
        kept["_size"], kept["_count"] = total, len(self)

    set_sized.sized_once = True  # type: ignore[attr-defined]
    LimitedSizeDict.__setitem__ = set_sized  # type: ignore[method-assign]


def lean_projections(checked: int = 3) -> None:
    """moto's ``Item.project`` with top-level names only (what an index's KEYS_ONLY or
    INCLUDE projection asks for, and most ProjectionExpressions), by copying those attributes.
    Idempotent. The first ``checked`` such projections are also made moto's way and must hold
    the same values."""
    import copy

    from moto.dynamodb.models.dynamo_type import Item

    if getattr(Item.project, "lean", False):
        return
    generic = Item.project
    compared = [0]

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = [path[0] for path in projection_expressions if len(path) == 1]
        if len(names) < len(projection_expressions) or any(_INDEXED.match(n) for n in names):
            return generic(self, projection_expressions)
        lean = Item(hash_key=self.hash_key, range_key=self.range_key, attrs={})
        for name in names:
            if name in self.attrs:
                lean.attrs[name] = copy.deepcopy(self.attrs[name])
        if compared[0] < checked:
            compared[0] += 1
            slow = generic(self, projection_expressions)
            assert lean.to_regular_json() == slow.to_regular_json()
            assert (lean.hash_key, lean.range_key) == (slow.hash_key, slow.range_key)
        return lean

    project.lean = True  # type: ignore[attr-defined]
    project.generic = generic  # type: ignore[attr-defined]
    project.compared = compared  # type: ignore[attr-defined]
    Item.project = project  # type: ignore[method-assign]


def _blob(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} in a DynamoDB answer")


def plain_answers(checked: int = 3) -> Counter[str]:
    """Answers made of items as ``json.dumps`` of moto's dict, for the rest of this process;
    returns how many of each kind were compared with the generic serializer. Idempotent."""
    from moto.dynamodb.responses import DynamoResult

    installed = getattr(DynamoResult.execute_result, "compared", None)
    if installed is not None:
        return installed  # type: ignore[no-any-return]
    generic = DynamoResult.execute_result
    compared: Counter[str] = Counter()

    def plain(self: Any, context: Any) -> Any:
        result = self.result
        kind = next((k for k in ANSWERS if isinstance(result, dict) and k in result), None)
        if kind is None:
            return generic(self, context)
        body = json.dumps(result, default=_blob)
        if compared[kind] < checked:
            compared[kind] += 1
            _, _, slow = generic(self, context)
            assert json.loads(slow) == json.loads(body)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    plain.compared = compared  # type: ignore[attr-defined]
    DynamoResult.execute_result = plain  # type: ignore[method-assign]
    return compared


@contextmanager
def quicker_moto(checked: int = 5) -> Iterator[None]:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

    compared = plain_answers(checked)
    sorted_items, all_items = Table.sorted_items, Table.all_items

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
    Table.sorted_items = by_cast_values  # type: ignore[method-assign,assignment]
    Table.all_items = every_item  # type: ignore[method-assign]
    Item.size = remembered_size  # type: ignore[method-assign]
    DynamoType.__ne__ = differs  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Table.sorted_items = sorted_items  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        Item.size = item_size  # type: ignore[method-assign]
        DynamoType.__ne__ = not_equal  # type: ignore[method-assign]
    assert compared["Items"], "the plain answers were not compared with moto's own"


@contextmanager
def partition_queries() -> Iterator[None]:
    """A base-table ``Query`` reads its own partition, as DynamoDB's does, instead of
    walking every item of the table (moto's way: a bench's Query would cost O(table) in
    the emulator alone). Index queries are left as moto answers them."""
    import inspect

    from moto.dynamodb.models.table import Table

    original = Table.query
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key = bound.arguments.get("hash_key")
        if bound.arguments.get("index_name") or hash_key is None:
            return original(self, *args, **kwargs)
        partition = self.items.get(hash_key, {})
        found = list(partition.values()) if self.range_key_attr else [partition]
        self.all_items = lambda: found
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]


def put_straight(table_name: str, items: Iterable[dict[str, Any]]) -> None:
    """Items (DynamoDB JSON, as PynamoDB's ``serialize`` makes them) straight into moto's
    table, for seeding what a test does not measure. Through the API moto re-sums the size of
    the whole item on every attribute it sets (quadratic in the item's attributes) and parses
    the request with botocore: 6 ms per case item. Keys and types are still checked by moto's
    own ``put_item``."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from functions.settings import settings

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(table_name)
    size_checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        for item in items:
            table.put_item(item)
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = size_checked  # type: ignore[method-assign]


# --- transactions --------------------------------------------------------------------------


class _LeanCopy:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``, whose only uses are
    the update's before-image of ONE item (passed on as it is) and the transaction's backup of
    every table it writes to, made before any of its operations runs and put back in place of
    the table if one fails. That backup is a deep copy of the whole table: with the demo city's
    few thousand events, a single case transition spends a quarter of a second copying items
    it never touches (most of the demo's load time). Here the backup shares every item the
    transaction does not name, and copies the items it names: put back after a failure, it
    holds exactly what the deep copy held."""

    def __init__(self, real: Any, checked: int) -> None:
        self.real = real
        self.touched: dict[str, set[tuple[Any, Any]]] | None = None
        self.checked = checked
        self.compared = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if self.touched is None or not isinstance(value, Table):
            return self.real.deepcopy(value, memo)
        backup = self.backup(value, self.touched.get(value.name, set()))
        if self.compared < self.checked:
            self.compared += 1
            assert _items_json(backup) == _items_json(self.real.deepcopy(value))
        return backup

    def backup(self, table: Any, keys: set[tuple[Any, Any]]) -> Any:
        from collections import defaultdict

        backup = self.real.copy(table)
        backup.items = defaultdict(dict, table.items)
        for hash_key, range_key in keys:
            if hash_key not in table.items:
                continue
            if range_key is None:
                backup.items[hash_key] = self.real.deepcopy(table.items[hash_key])
            else:
                partition = dict(table.items[hash_key])
                if range_key in partition:
                    partition[range_key] = self.real.deepcopy(partition[range_key])
                backup.items[hash_key] = partition
        return backup


def _items_json(table: Any) -> list[Any]:
    return [item.to_json() for item in table.all_items()]


def _named_keys(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[Any]]:
    """Table name → the (hash, range) keys the transaction's operations name, as moto keys
    its items (``DynamoType``); an operation moto will refuse is left out."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    named: dict[str, set[Any]] = {}
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            attrs = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attrs:
                    continue
                range_key = DynamoType(attrs[table.range_key_attr])
            named.setdefault(table.name, set()).add((hash_key, range_key))
    return named


def lean_transactions(checked: int = 3) -> None:
    """Make moto's TransactWriteItems back up only the items it names (``_LeanCopy``), for
    the rest of this process. The first ``checked`` backups are compared with moto's own deep
    copy. Idempotent."""
    import moto.dynamodb.models as models

    if isinstance(getattr(models, "copy"), _LeanCopy):  # noqa: B009 (moto does not export it)
        return
    lean = _LeanCopy(getattr(models, "copy"), checked)  # noqa: B009
    write = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        lean.touched = _named_keys(self, transact_items)
        try:
            return write(self, transact_items)
        finally:
            lean.touched = None

    setattr(models, "copy", lean)  # noqa: B010
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
