"""附议 ("me too") counts in DynamoDB (§5: a hot item is sharded, never incremented in place).

A support is ONE ``TransactWriteItems`` of two items: the client's mark for the case and day
(put only if absent) and an atomic ADD on one of the case's shard items, drawn at random. A
viral case's writes therefore land on N items, not one, and the case item is never touched.
The count is one Query over the case's N shard items."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Unavailable
from functions.storage.models import SupportMarkModel, SupportShardModel

ATTEMPTS = 3


@dataclass(frozen=True)
class Added:
    count: int
    already: bool  # this client had already supported the case that day: nothing was written


def _connection() -> Connection:
    return SupportShardModel._get_connection().connection  # type: ignore[no-any-return]


def _unavailable() -> Unavailable:
    return Unavailable(
        "服务暂时繁忙，请稍后重试", "storage unavailable, retry later", "unavailable"
    )


def mark_key(case_id: str, client: str, day: date) -> str:
    """The dedupe key: neither the address nor the case can be read back from it."""
    return hashlib.sha256(f"support\n{case_id}\n{client}\n{day.isoformat()}".encode()).hexdigest()


def count(case_id: str, *, consistent: bool = False) -> int:
    """The case's count: one Query of its shard items (at most N small items)."""
    try:
        return sum(
            int(item.n)
            for item in SupportShardModel.query(
                case_id, consistent_read=consistent, attributes_to_get=["n"]
            )
        )
    except PynamoDBException as error:
        raise _unavailable() from error


def add(case_id: str, client: str, day: date, *, shards: int, expires_at: datetime) -> Added:
    """Count one support unless this client already gave one for the case that day.

    DynamoDB cancels a transaction that meets another one in flight on the same item
    (``TransactionConflict``); the whole transaction is then void, so it is retried on a
    freshly drawn shard, at most ``ATTEMPTS`` times."""
    mark_id = mark_key(case_id, client, day)
    for attempt in range(ATTEMPTS):
        mark = SupportMarkModel(mark_id, expires_at=expires_at)
        shard = SupportShardModel(case_id, secrets.randbelow(shards))
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(mark, condition=SupportMarkModel.mark.does_not_exist())
                tx.update(shard, actions=[SupportShardModel.n.add(1)])
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return Added(count(case_id, consistent=True), already=True)
            if "TransactionConflict" in reasons and attempt + 1 < ATTEMPTS:
                continue
            raise _unavailable() from error
        except PynamoDBException as error:
            raise _unavailable() from error
        return Added(count(case_id, consistent=True), already=False)
    raise _unavailable()  # unreachable: the last attempt returns or raises


def shard_counts(case_id: str) -> dict[int, int]:
    """Each shard item's count (the burst test's view of how the writes spread)."""
    try:
        return {
            int(item.shard): int(item.n)
            for item in SupportShardModel.query(case_id, consistent_read=True)
        }
    except PynamoDBException as error:
        raise _unavailable() from error
