"""What the platform asks of AWS, in the units AWS bills (``test_city_cost.py``): every call
of every botocore client (``BaseClient._make_api_call``, which PynamoDB goes through too),
counted by service and operation, and DynamoDB's read and write request units worked out
from the sizes of the items involved.

moto's ``ReturnConsumedCapacity`` is no help (it answers a constant 0.5 or 1 per request), so
the units are computed here, as DynamoDB documents them, from the items' sizes in moto's own
tables (looked up by key before and after each write) and the items each read returns:

- item size: attribute names' UTF-8 bytes + values (strings UTF-8, numbers 1 byte per two
  significant digits + 1, binary its bytes, booleans and nulls 1, lists and maps 3 + 1 per
  element + their contents);
- writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem): 1 WRU per started KB of the larger
  of the item before and after; in TransactWriteItems twice that per item (a ConditionCheck
  counted like a write, the conservative reading); a refused conditional write costs the KBs
  of the item as it was (at least 1); each global secondary index whose entry appears, changes
  or goes costs 1 WRU per started KB of its entry (its projected attributes), two when its key
  changed (a delete and a put); never doubled;
- reads: GetItem and BatchGetItem 1 RRU per started 4 KB of each item (also when it does not
  exist), TransactGetItems twice; Query and Scan 1 RRU per started 4 KB of all the items the
  page evaluated (before any filter or projection: the page is asked again without them to
  see those), at least 1; each halved when eventually consistent.

``paused`` lets a bench do what no deployment would (read a dev mailbox, arrange data) without
counting it."""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

KB = 1024
READ_BLOCK = 4 * KB
ITEM_OVERHEAD = 100  # bytes DynamoDB adds per stored item and per index entry (storage)
EXPIRES = "expires_at"  # the platform's TTL attribute (functions/storage/models.py)

_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_ITEM_READS = {"GetItem", "BatchGetItem", "TransactGetItems"}
_PAGE_READS = {"Query", "Scan"}
# What a page's evaluated items do not depend on: asked again without these.
_AFTER_READ = ("FilterExpression", "ProjectionExpression", "Select", "AttributesToGet")


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def _binary_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    return len(base64.b64decode(value))


def value_size(value: dict[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's wire format."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return _binary_size(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    if kind == "BS":
        return sum(_binary_size(b) for b in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _blocks(size: int, block: int) -> int:
    return max(1, math.ceil(size / block))


@dataclass
class Stored:
    """An item as a write found or left it: its size, and per global index its entry (the
    index key's values, the entry's size and its JSON, to see whether it changed)."""

    size: int
    entries: dict[str, tuple[str, int, str]]


@dataclass
class Meter:
    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation"
    dynamo_requests: Counter[str] = field(default_factory=Counter)  # "table Operation"
    rru: Counter[str] = field(default_factory=Counter)  # by table
    wru: Counter[str] = field(default_factory=Counter)  # by table (base items)
    gsi_wru: Counter[str] = field(default_factory=Counter)  # by "table/index"
    paused: bool = False
    _raw: Any = None  # the unpatched _make_api_call

    def reset(self) -> None:
        for counter in (self.calls, self.dynamo_requests, self.rru, self.wru, self.gsi_wru):
            counter.clear()

    @contextmanager
    def pause(self) -> Iterator[None]:
        before, self.paused = self.paused, True
        try:
            yield
        finally:
            self.paused = before

    def snapshot(self) -> dict[str, Counter[str]]:
        return {
            "calls": Counter(self.calls),
            "dynamo_requests": Counter(self.dynamo_requests),
            "rru": Counter(self.rru),
            "wru": Counter(self.wru),
            "gsi_wru": Counter(self.gsi_wru),
        }

    # --- the hook ------------------------------------------------------------------------------

    def call(self, client: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.paused:
            return self._raw(client, operation, params)
        service = client.meta.service_model.service_name
        self.calls[f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return self._raw(client, operation, params)
        if operation in _WRITES:
            return self._write(client, operation, params)
        answer = self._raw(client, operation, params)
        if operation in _ITEM_READS:
            self._item_reads(operation, params)
        elif operation in _PAGE_READS:
            self._page_read(client, operation, params, answer)
        self._requests(operation, params)
        return answer

    def _requests(self, operation: str, params: dict[str, Any]) -> None:
        for table in _tables(operation, params):
            self.dynamo_requests[f"{table} {operation}"] += 1

    # --- reads ---------------------------------------------------------------------------------

    def _item_reads(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "GetItem":
            reads = [(params["TableName"], params["Key"], params.get("ConsistentRead", False))]
        elif operation == "BatchGetItem":
            reads = [
                (table, key, ask.get("ConsistentRead", False))
                for table, ask in params["RequestItems"].items()
                for key in ask["Keys"]
            ]
        else:  # TransactGetItems: strongly consistent, twice
            reads = [
                (g["Get"]["TableName"], g["Get"]["Key"], True) for g in params["TransactItems"]
            ]
        factor = 2.0 if operation == "TransactGetItems" else 1.0
        for table, key, consistent in reads:
            found = _stored(table, key)
            size = found.size if found else 0
            self.rru[table] += factor * _blocks(size, READ_BLOCK) * (1.0 if consistent else 0.5)

    def _page_read(
        self, client: Any, operation: str, params: dict[str, Any], answer: dict[str, Any]
    ) -> None:
        items = answer.get("Items", [])
        if any(k in params for k in _AFTER_READ):
            again = _without_after_read(params)
            items = self._raw(client, operation, again).get("Items", [])
        size = sum(item_size(i) for i in items)
        consistent = params.get("ConsistentRead", False)
        self.rru[params["TableName"]] += _blocks(size, READ_BLOCK) * (1.0 if consistent else 0.5)

    # --- writes --------------------------------------------------------------------------------

    def _write(self, client: Any, operation: str, params: dict[str, Any]) -> Any:
        from botocore.exceptions import ClientError

        targets = _write_targets(operation, params)
        before = [_stored(table, key) for table, key, _ in targets]
        self._requests(operation, params)
        factor = 2 if operation == "TransactWriteItems" else 1
        try:
            answer = self._raw(client, operation, params)
        except ClientError:
            # Refused (a condition, a cancelled transaction): the KBs of each item as it was.
            for (table, _, _), old in zip(targets, before, strict=True):
                self.wru[table] += factor * _blocks(old.size if old else 0, KB)
            raise
        unprocessed = answer.get("UnprocessedItems") or {}
        if unprocessed:
            raise AssertionError(f"unprocessed writes in a bench: {list(unprocessed)}")
        for (table, key, check), old in zip(targets, before, strict=True):
            new = _stored(table, key)
            largest = max(old.size if old else 0, new.size if new else 0)
            self.wru[table] += factor * _blocks(largest, KB)
            if not check:
                self._index_writes(table, old, new)
        return answer

    def _index_writes(self, table: str, old: Stored | None, new: Stored | None) -> None:
        names = set(old.entries if old else ()) | set(new.entries if new else ())
        for name in names:
            was = old.entries.get(name) if old else None
            now = new.entries.get(name) if new else None
            units = 0
            if was and now:
                if was[0] != now[0]:
                    units = _blocks(was[1], KB) + _blocks(now[1], KB)
                elif was[2] != now[2]:
                    units = _blocks(now[1], KB)
            elif was:
                units = _blocks(was[1], KB)
            elif now:
                units = _blocks(now[1], KB)
            self.gsi_wru[f"{table}/{name}"] += units


# --- moto's tables -------------------------------------------------------------------------------


def backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    from functions.settings import settings

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]


def _stored(table_name: str, key: dict[str, Any]) -> Stored | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend().tables[table_name]
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_key, range_key)
    return None if item is None else stored_item(table, item)


def stored_item(table: Any, item: Any) -> Stored:
    attributes = item.to_json()["Attributes"]
    entries: dict[str, tuple[str, int, str]] = {}
    whole: tuple[int, str] | None = None
    for index in table.global_indexes:
        keys = index.schema_key_attrs
        if not all(k in attributes for k in keys):
            continue  # sparse: not in this index
        projection = index.projection or {}
        kind = projection.get("ProjectionType", "ALL")
        if kind == "ALL":
            projected = attributes
        else:
            names = set(index.table_key_attrs) | set(keys)
            if kind == "INCLUDE":
                names |= set(projection.get("NonKeyAttributes", []))
            projected = {n: v for n, v in attributes.items() if n in names}
        if projected is attributes:
            if whole is None:
                whole = (item_size(attributes), json.dumps(attributes, sort_keys=True, default=str))
            size, text = whole
        else:
            size, text = item_size(projected), json.dumps(projected, sort_keys=True, default=str)
        entries[index.name] = (
            json.dumps([attributes[k] for k in keys], sort_keys=True),
            size,
            text,
        )
    return Stored(item_size(attributes), entries)


def _key_of(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    table = backend().tables[table_name]
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {n: item[n] for n in names}


def _write_targets(operation: str, params: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(table, key, is a ConditionCheck) of each item a write request names."""
    if operation == "PutItem":
        return [(params["TableName"], _key_of(params["TableName"], params["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"], False)]
    if operation == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for r in requests:
                if "PutRequest" in r:
                    found.append((table, _key_of(table, r["PutRequest"]["Item"]), False))
                else:
                    found.append((table, r["DeleteRequest"]["Key"], False))
        return found
    found = []
    for entry in params["TransactItems"]:
        ((kind, op),) = entry.items()
        key = _key_of(op["TableName"], op["Item"]) if kind == "Put" else op["Key"]
        found.append((op["TableName"], key, kind == "ConditionCheck"))
    return found


def _tables(operation: str, params: dict[str, Any]) -> list[str]:
    if "TableName" in params:
        return [params["TableName"]]
    if "RequestItems" in params:
        return list(params["RequestItems"])
    if "TransactItems" in params:
        return sorted({next(iter(e.values()))["TableName"] for e in params["TransactItems"]})
    return ["?"]


def _without_after_read(params: dict[str, Any]) -> dict[str, Any]:
    again = {k: v for k, v in params.items() if k not in _AFTER_READ}
    used = " ".join(str(again.get(k, "")) for k in ("KeyConditionExpression",))
    names = {k: v for k, v in (again.get("ExpressionAttributeNames") or {}).items() if k in used}
    values = {k: v for k, v in (again.get("ExpressionAttributeValues") or {}).items() if k in used}
    for name, kept in (("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)):
        again.pop(name, None)
        if kept:
            again[name] = kept
    return again


def _accumulating() -> Iterator[tuple[str, Any]]:
    """(table name, its sizes) of every item of every platform table that accumulates: items
    with a TTL (sessions and links, rate-limit windows, similar-case bands, upload slots) are
    left out, as they expire within their window."""
    from functions.storage.models import ALL_MODELS

    names = {m.Meta.table_name for m in ALL_MODELS}
    for name, table in backend().tables.items():
        if name not in names:
            continue
        for item in table.all_items():
            if EXPIRES not in item.attrs:
                yield name, stored_item(table, item)


def stored_by_table() -> Counter[str]:
    """Bytes stored per table and per "table/index", as ``stored_bytes`` counts them."""
    found: Counter[str] = Counter()
    for name, s in _accumulating():
        found[name] += s.size + ITEM_OVERHEAD
        for index, entry in s.entries.items():
            found[f"{name}/{index}"] += entry[1] + ITEM_OVERHEAD
    return found


def stored_bytes() -> tuple[int, int]:
    """(items, bytes) of every platform table and its global indexes as DynamoDB bills storage:
    each item's and each index entry's size plus 100 bytes (``_accumulating``: what accumulates)."""
    count = total = 0
    for _, s in _accumulating():
        count += 1
        total += s.size + ITEM_OVERHEAD
        total += sum(entry[1] + ITEM_OVERHEAD for entry in s.entries.values())
    return count, total


@contextmanager
def metered() -> Iterator[Meter]:
    """Every botocore call counted by one ``Meter`` for the block."""
    from botocore.client import BaseClient

    meter = Meter()
    raw = BaseClient._make_api_call
    meter._raw = raw

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        return meter.call(self, operation_name, api_params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        BaseClient._make_api_call = raw  # type: ignore[method-assign]
