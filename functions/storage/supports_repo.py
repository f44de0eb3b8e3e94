"""附议 ("me too") counts in DynamoDB (§5: a hot item is sharded, never incremented in place).

A support is ONE ``TransactWriteItems`` of two items: the client's mark for the case and day
(put only if absent) and an atomic ADD on one of the case's shard items, drawn at random. A
viral case's writes therefore land on N items, not one, and the case item is never touched.
The count is one Query over the case's N shard items; the public case page reads them in the
same ``BatchGetItem`` as the case item itself (``case_and_count``).

The shard's update also adds one to the day's attribute (``d<YYYYMMDD>``, Shanghai) and
removes the attributes of a few days long out of any threshold's window, so the supports of
the last days are read back with the count (one Query of the case's N+1 small items) and no
mark is ever read. The tally item (shard ``TALLY``) keeps the count as of its last 热议 step
and the case's key in the ``hot`` index; it is written only when a read-back count passes the
stored step (``raise_tally``), with a condition that keeps the highest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import NumberAttribute
from pynamodb.connection import Connection
from pynamodb.constants import BATCH_GET_ITEM
from pynamodb.exceptions import (
    GetError,
    PynamoDBException,
    TransactWriteError,
    UpdateError,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Unavailable, invalid_field
from functions.domain.support import MAX_WINDOW_DAYS, step
from functions.storage.models import CaseModel, SupportMarkModel, SupportShardModel

if TYPE_CHECKING:
    from functions.domain.cases import Case

ATTEMPTS = 3
TALLY = -1  # the range key of a case's tally item (the shards are 0..N-1)
# Each support removes the day attributes this many days past the longest window, so a shard
# written at least once a week holds no day older than that.
PRUNED_DAYS = 7
# Pauses before asking again for what a BatchGetItem left unprocessed (DynamoDB throttled
# part of it): each retry is one more request, so at most len + 1 in all.
UNPROCESSED_BACKOFF = (0.05, 0.2)


@dataclass(frozen=True)
class Added:
    count: int
    already: bool  # this client had already supported the case that day: nothing was written
    # Read back with the count (not compared: a test states the count and ``already``): the
    # supports of each recent Shanghai day, summed over the shards, and the tally's step.
    days: dict[date, int] = field(default_factory=dict, compare=False)
    tally: int = field(default=0, compare=False)


def day_attribute(day: date) -> str:
    return f"d{day:%Y%m%d}"


def _day_of(attribute: str) -> date | None:
    if len(attribute) != 9 or attribute[0] != "d" or not attribute[1:].isdigit():
        return None
    try:
        return datetime.strptime(attribute[1:], "%Y%m%d").date()
    except ValueError:
        return None


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
                case_id,
                SupportShardModel.shard >= 0,
                consistent_read=consistent,
                attributes_to_get=["n"],
            )
        )
    except PynamoDBException as error:
        raise _unavailable() from error


def _read_back(case_id: str, *, already: bool) -> Added:
    """The count, the supports per day and the tally's step: one strongly consistent Query
    of the case's partition (its N shards and its tally)."""
    total, tally = 0, 0
    days: dict[date, int] = {}
    start: dict[str, Any] | None = None
    try:
        while True:
            answer = _connection().query(
                _table(SupportShardModel),
                case_id,
                consistent_read=True,
                exclusive_start_key=start,
            )
            for item in answer.get("Items", []):
                if int(item["shard"]["N"]) == TALLY:
                    tally = int(item.get("total", {}).get("N", 0))
                    continue
                total += int(item.get("n", {}).get("N", 0))
                for name, value in item.items():
                    day = _day_of(name)
                    if day is not None:
                        days[day] = days.get(day, 0) + int(value["N"])
            start = answer.get("LastEvaluatedKey")
            if not start:
                break
    except PynamoDBException as error:
        raise _unavailable() from error
    return Added(total, already=already, days=days, tally=tally)


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
    stale = [
        NumberAttribute(attr_name=day_attribute(day - timedelta(days=MAX_WINDOW_DAYS + k))).remove()
        for k in range(1, PRUNED_DAYS + 1)
    ]
    today = NumberAttribute(attr_name=day_attribute(day))
    for attempt in range(ATTEMPTS):
        mark = SupportMarkModel(mark_id, expires_at=expires_at)
        shard = SupportShardModel(case_id, secrets.randbelow(shards))
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(mark, condition=SupportMarkModel.mark.does_not_exist())
                tx.update(shard, actions=[SupportShardModel.n.add(1), today.add(1), *stale])
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return _read_back(case_id, already=True)
            if "TransactionConflict" in reasons and attempt + 1 < ATTEMPTS:
                continue
            raise _unavailable() from error
        except PynamoDBException as error:
            raise _unavailable() from error
        return _read_back(case_id, already=False)
    raise _unavailable()  # unreachable: the last attempt returns or raises


def shard_counts(case_id: str) -> dict[int, int]:
    """Each shard item's count (the burst test's view of how the writes spread)."""
    try:
        return {
            int(item.shard): int(item.n)
            for item in SupportShardModel.query(
                case_id, SupportShardModel.shard >= 0, consistent_read=True
            )
        }
    except PynamoDBException as error:
        raise _unavailable() from error


# --- the tally and the 热议 index -----------------------------------------------------------


def hot_key(total: int, case_id: str) -> str:
    return f"{total:010d}#{case_id}"


def raise_tally(case_id: str, total: int) -> bool:
    """Move the case's tally (and its place in 热议) up to the step ``total`` has reached,
    unless it stands there or higher already (a support read back a higher count first): the
    condition keeps the highest, so racing supports never move it down. Whether it moved."""
    reached = step(total)
    if reached <= 0:
        return False
    item = SupportShardModel(case_id, TALLY)
    try:
        item.update(
            actions=[
                SupportShardModel.total.set(reached),
                SupportShardModel.hot.set("1"),
                SupportShardModel.hot_key.set(hot_key(reached, case_id)),
            ],
            condition=SupportShardModel.total.does_not_exist()
            | (SupportShardModel.total < reached),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise _unavailable() from error
    except PynamoDBException as error:
        raise _unavailable() from error
    return True


def tallies(case_ids: list[str]) -> dict[str, int]:
    """The tallies of ``case_ids`` (a board page's cases): one BatchGetItem of at most 100
    small items; a case never supported has none."""
    keys = list(dict.fromkeys(case_ids))
    if not keys:
        return {}
    try:
        return {
            item.case_id: int(item.total or 0)
            for item in SupportShardModel.batch_get(
                [(case_id, TALLY) for case_id in keys], attributes_to_get=["case_id", "total"]
            )
        }
    except PynamoDBException as error:
        raise _unavailable() from error


_HOT_KEY = {"case_id": "S", "shard": "N", "hot": "S", "hot_key": "S"}


def _encode(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise invalid_field("cursor", "分页参数无效", "invalid cursor") from error
    valid = (
        isinstance(key, dict)
        and set(key) == set(_HOT_KEY)
        and all(
            isinstance(key[name], dict)
            and set(key[name]) == {kind}
            and isinstance(key[name][kind], str)
            and key[name][kind]
            for name, kind in _HOT_KEY.items()
        )
        and key["hot"]["S"] == "1"
        and key["shard"]["N"] == str(TALLY)
    )
    if not valid:
        raise invalid_field("cursor", "分页参数无效", "invalid cursor")
    return key  # type: ignore[no-any-return]


def hot_cursor(case_id: str, total: int) -> str:
    """The cursor that goes on after the case ``case_id`` listed with ``total``."""
    key = {
        "case_id": {"S": case_id},
        "shard": {"N": str(TALLY)},
        "hot": {"S": "1"},
        "hot_key": {"S": hot_key(total, case_id)},
    }
    encoded = _encode(key)
    assert encoded is not None
    return encoded


def hot_page(cursor: str | None, size: int) -> tuple[list[tuple[str, int]], str | None]:
    """One page of 热议: (case id, count at its last step), most supported first (ties: the
    later case id first), and the cursor of the next page. One Query of the sparse index."""
    start = _decode(cursor)
    try:
        results = SupportShardModel.hot_cases.query(
            "1", scan_index_forward=False, last_evaluated_key=start, page_size=size, limit=size
        )
        found = [(item.case_id, int(item.total or 0)) for item in results]
        last = results.last_evaluated_key
    except PynamoDBException as error:
        raise _unavailable() from error
    return found, _encode(last)
