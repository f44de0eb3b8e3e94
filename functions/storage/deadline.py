"""A per-request deadline for storage calls (§10). API Gateway gives up on a request after 29 s
whatever the Lambda is doing, and one DynamoDB call alone may take (connect + read timeout)
× 3 attempts plus backoff, ~24 s; a request makes several calls in a row (a transition, an
export's pages). So each HTTP request gets a budget (``WZ_REQUEST_BUDGET_SECONDS``, 25 s),
and a botocore ``before-send`` hook, which runs before every attempt including retries,
refuses an attempt that could not time out before the deadline: the request answers 503
(``unavailable``, retry later) instead of the gateway's bare 504, and every DynamoDB and S3
attempt it made has ended by the deadline. Scheduled jobs set no deadline: no check.

Pure and cheap to import (the handler imports it): no botocore here until ``watch``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from functions.domain.errors import Unavailable
from functions.settings import settings

API_GATEWAY_SECONDS = 29.0
CONNECT_TIMEOUT_SECONDS = 2.0

_deadline: ContextVar[float | None] = ContextVar("wenzheng_storage_deadline", default=None)


def attempt_seconds() -> float:
    """The longest one attempt can take before botocore gives up on it."""
    return CONNECT_TIMEOUT_SECONDS + settings().request_timeout_seconds


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Storage attempts inside must be able to end within ``seconds`` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def refuse_late_attempt(**_: Any) -> None:
    """botocore ``before-send`` handler: fail the call rather than start an attempt that could
    outlast the request's deadline. Not a botocore error, so it is neither retried nor
    wrapped by PynamoDB: it reaches the route as a 503."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() + attempt_seconds() > deadline:
        raise Unavailable(
            "服务暂时繁忙，请稍后重试",
            "storage did not answer in time; retry later",
            "unavailable",
        )


def watch(service: str) -> None:
    """Check the deadline before every attempt of every ``service`` client created after this
    call, in every botocore session (PynamoDB makes its own sessions and clients, one per
    connection and thread, so the hook goes into the handlers each new session starts with)."""
    from botocore import handlers

    entry = (f"before-send.{service}", refuse_late_attempt)
    if entry not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(entry)


def s3_client(make: Callable[[Any], Any], **options: Any) -> Any:
    """An S3 client for request paths: attempts as short as DynamoDB's and checked against the
    request's deadline. ``make`` builds it from the botocore ``Config`` (boto3 or botocore
    alone, whichever its caller may import); ``options`` add to the config."""
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=settings().request_timeout_seconds,
        retries={"total_max_attempts": 3, "mode": "standard"},
        **options,
    )
    client = make(config)
    client.meta.events.register("before-send.s3", refuse_late_attempt)
    return client
