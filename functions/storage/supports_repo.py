"""附议 ("me too") counts in DynamoDB (§5: a hot item is sharded, never incremented in place).

A support is ONE ``TransactWriteItems`` of two items: the client's mark for the case and day
(put only if absent) and an atomic ADD on one of the case's shard items, drawn at random. A
viral case's writes therefore land on N items, not one, and the case item is never touched.
The count is one Query over the case's N shard items; the public case page reads them in the
same ``BatchGetItem`` as the case item itself (``case_and_count``)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.constants import BATCH_GET_ITEM
from pynamodb.exceptions import GetError, PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Unavailable
from functions.storage.models import CaseModel, SupportMarkModel, SupportShardModel

if TYPE_CHECKING:
    from functions.domain.cases import Case

ATTEMPTS = 3
# Pauses before asking again for what a BatchGetItem left unprocessed (DynamoDB throttled
# part of it): each retry is one more request, so at most len + 1 in all.
UNPROCESSED_BACKOFF = (0.05, 0.2)


@dataclass(frozen=True)
class Added:
    count: int
    already: bool  # this client had already supported the case that day: nothing was written


def _connection() -> Connection:
    return SupportShardModel._get_connection().connection  # type: ignore[no-any-return]


def _table(model: type[Model]) -> str:
    return model.Meta.table_name


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


def case_and_count(case_id: str, *, shards: int) -> tuple[Case | None, int]:
    """The case (strongly consistent, as ``cases_repo.get``) and its 附议 count in ONE
    ``BatchGetItem``: the case item and the case's shard items 0..``shards``-1 (only their
    ``n``). The shards are read eventually consistent: the sum is exact over the supports
    DynamoDB has applied, and one acknowledged a moment ago (typically under a second) may
    not be in it yet. Shards never written are simply absent.
    Keys DynamoDB leaves unprocessed (throttling) are asked for again after a pause; still
    unprocessed after that, the request answers 503."""
    from functions.storage.case_items import from_model

    cases, supports = _table(CaseModel), _table(SupportShardModel)
    pending: dict[str, Any] = {
        cases: {"Keys": [{"case_id": {"S": case_id}}], "ConsistentRead": True},
        supports: {
            "Keys": [{"case_id": {"S": case_id}, "shard": {"N": str(k)}} for k in range(shards)],
            "ProjectionExpression": "#n",
            "ExpressionAttributeNames": {"#n": "n"},
        },
    }
    found: dict[str, list[dict[str, Any]]] = {cases: [], supports: []}
    for pause in (*UNPROCESSED_BACKOFF, None):
        try:
            answer = _connection().dispatch(BATCH_GET_ITEM, {"RequestItems": pending})
        except (BotoCoreError, ClientError) as error:
            raise GetError("Failed to batch get items", error) from error
        for table, items in (answer.get("Responses") or {}).items():
            found[table].extend(items)
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            break
        if pause is None:
            raise _unavailable()
        time.sleep(pause)
    case = from_model(CaseModel.from_raw_data(found[cases][0])) if found[cases] else None
    return case, sum(int(item["n"]["N"]) for item in found[supports] if "n" in item)


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
