"""Markers that make a scheduled job's work happen once per key (e.g. a department's digest
of a day), kept in the counters table as ``<job>#<date>[#<part>]`` items whose ``n`` records
how much was done.

``send_once`` writes the marker (conditional on it being new) and the outbox message in ONE
transaction: a rerun, or a concurrent run, finds the marker and sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Unavailable
from functions.storage.models import CounterModel


def _unavailable() -> Unavailable:
    return Unavailable(
        "服务暂时繁忙，请稍后重试", "storage unavailable, retry later", "unavailable"
    )


def done(key: str) -> bool:
    try:
        CounterModel.get(key, consistent_read=True)
    except CounterModel.DoesNotExist:
        return False
    except PynamoDBException as error:
        raise _unavailable() from error
    return True


def send_once(key: str, n: int, message: Model, extra: Sequence[Model] = ()) -> bool:
    """Write the marker, the message and what goes with it (its links' tokens) together;
    False (and nothing written) when the marker exists already."""
    marker = CounterModel(key, n=n)
    return put_once(marker, CounterModel.key.does_not_exist(), [message, *extra])


def put_once(item: Model, new: Condition, messages: Sequence[Model]) -> bool:
    """Put ``item`` on the condition that it is ``new``, with the messages (and anything else)
    that go with it, in ONE transaction; False, and nothing written, when it exists already
    (a job's marker, a 舆情预警)."""
    try:
        with TransactWrite(connection=CounterModel._get_connection().connection) as tx:
            tx.save(item, condition=new)
            for message in messages:
                tx.save(message)
    except TransactWriteError as error:
        reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            return False
        raise _unavailable() from error
    except PynamoDBException as error:
        raise _unavailable() from error
    return True


def mark(key: str, n: int) -> None:
    try:
        CounterModel(key, n=n).save()
    except PynamoDBException as error:
        raise _unavailable() from error
