"""AWS failures that mean "a dependency is unavailable, retry later", told apart from bugs.

DynamoDB throttling, a timeout or an unreachable endpoint, a 5xx from DynamoDB or S3, a
transaction cancelled by a conflicting transaction: the request did not complete and a retry
may succeed, so the client gets 503 ``unavailable``. A bad request (validation, a condition
the code should have handled, a missing item) is a bug, not an outage: it is left alone.
"""

from __future__ import annotations

from typing import Any

from functions.domain.errors import Unavailable

# Error codes that mean "slow down" or "try again", whatever the HTTP status.
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "LimitExceededException",
        "SlowDown",
        "TransactionConflictException",
        "TransactionInProgressException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# Reasons a transaction was cancelled that are not the caller's condition failing.
_RETRYABLE_REASONS = frozenset(
    {"ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded"}
)


def describe(error: BaseException) -> str:
    """A log-safe name of a failure: class and AWS error code, never its message (which may
    quote key values or request parameters)."""
    cause = _aws_cause(error)
    code = _code(cause) if cause is not None else ""
    name = type(cause).__name__ if cause is not None else type(error).__name__
    return f"{name}:{code}" if code else name


def unavailable(error: BaseException) -> Unavailable | None:
    """``Unavailable`` when ``error`` (or what it wraps) is a transient AWS failure."""
    if not _transient(error):
        return None
    return Unavailable(
        "服务暂时繁忙，请稍后重试", "a dependency is unavailable, retry later", "unavailable"
    )


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(found) < 5 and current not in found:
        found.append(current)
        current = current.__cause__ or getattr(current, "cause", None)
    return found


def _aws_cause(error: BaseException) -> BaseException | None:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    for link in _chain(error):
        if isinstance(link, BotoCoreError | ClientError):
            return link
    for link in _chain(error):
        if isinstance(link, PynamoDBException):
            return link
    return None


def _code(error: BaseException) -> str:
    response: Any = getattr(error, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def _index_rebuilding(error: Any, code: str) -> bool:
    """An index being made again by a deploy (docs/OPERATIONS.md, "Changing an index"): gone
    between its delete and its create, unreadable while it fills. Try again later."""
    message = str((error.response.get("Error") or {}).get("Message", ""))
    return code == "ValidationException" and (
        "specified index" in message or "backfilling" in message
    )


def _transient(error: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
    from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError

    chain = _chain(error)
    if any(isinstance(link, DoesNotExist | ParamValidationError) for link in chain):
        return False
    for link in chain:
        if isinstance(link, TransactWriteError) and link.cancellation_reasons:
            reasons = {r.code for r in link.cancellation_reasons if r}
            if reasons - _RETRYABLE_REASONS - {"None"}:
                return False  # a condition failed (a conflict the caller should have mapped)
            if reasons:
                return True
        if isinstance(link, ClientError):
            code = _code(link)
            metadata: Any = link.response.get("ResponseMetadata") or {}
            status = int(metadata.get("HTTPStatusCode") or 0)
            return (
                status >= 500
                or code in _RETRYABLE_CODES
                or code.startswith("Throttl")
                or _index_rebuilding(link, code)
            )
        if isinstance(link, BotoCoreError):
            return True  # connection refused, timeouts, endpoint unreachable
    # A PynamoDB failure without an AWS cause is its own give-up after retries (unprocessed
    # batch items under throttling).
    return any(isinstance(link, PynamoDBException) for link in chain)
