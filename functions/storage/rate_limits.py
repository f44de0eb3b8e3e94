"""Fixed-window counters for the rate limits: one conditional, atomic UpdateItem ADD per check
on the item ``<limit>#<sha256(subject)>#<window start>``, which expires by TTL."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException, UpdateError

from functions.domain.rate_limits import Limit, item_key, window_start
from functions.storage.models import RateLimitModel


class CounterUnavailable(Exception):
    """The counters' table could not be reached; the caller decides to fail open or closed."""


def _conditional_failed(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def take(limit: Limit, subject: str, now: datetime) -> bool:
    """Count one request against ``limit`` for ``subject``: True if it was under the limit
    (and is now counted), False if the window is already full (nothing is counted)."""
    key = item_key(limit, subject, now)
    expires = datetime.fromtimestamp(window_start(limit, now) + limit.window, now.tzinfo)
    try:
        RateLimitModel(key).update(
            actions=[
                RateLimitModel.n.add(1),
                RateLimitModel.expires_at.set(expires + timedelta(hours=1)),
            ],
            # ``n`` missing: a new item (or one another writer is creating at this moment).
            condition=RateLimitModel.key.does_not_exist()
            | RateLimitModel.n.does_not_exist()
            | (RateLimitModel.n < limit.max),
        )
    except UpdateError as error:
        if _conditional_failed(error):
            return False
        raise CounterUnavailable(str(error)) from error
    except PynamoDBException as error:
        raise CounterUnavailable(str(error)) from error
    return True


def used(limit: Limit, subject: str, now: datetime) -> int:
    """How many ``subject`` has used of ``limit`` in the current window (one strongly
    consistent read; nothing is counted)."""
    try:
        found = RateLimitModel.get(item_key(limit, subject, now), consistent_read=True)
    except RateLimitModel.DoesNotExist:
        return 0
    except PynamoDBException as error:
        raise CounterUnavailable(str(error)) from error
    return int(found.n or 0)
