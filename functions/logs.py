"""Structured logs: every line the platform writes is one JSON object, a short event name as
``message`` plus keys (``request_id``, ``case_id``, ``route``, ``code``, ``job`` …), so
CloudWatch Logs Insights can filter on them (``filter message = "rate_limited"``).

A call site names its event and what it knows::

    log.warning("tracking_code_rejected", extra={"case_id": case_id, "ip": client})

and what the request or job is (``request_id``, ``route``, ``method``, ``case_id`` from the
path, ``job``) comes from a scope opened once per request (``request_context``, HTTP
middleware) or per job run (``functions.jobs.run``), added to every line written inside it.

Never a token, a tracking code, contact data, or a request body: a key's value is something
the platform made (ids, codes, counts, names of fields), and a case id taken from a path is
kept only if it has the shape of one.

The JSON is written by Powertools' formatter, imported on the first line written, not at
cold start: ``import aws_lambda_powertools`` takes ~33 ms (a third of ``import boto3``, two
thirds of ``import app``) and loads botocore, which the request path keeps lazy
(tests/bench/test_cold_start.py)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalice.app import Request, Response

# Where each line's request and job keys come from: one scope per request or job run (a
# thread of the local server or the local timer starts with none).
_scope: ContextVar[dict[str, Any]] = ContextVar("wenzheng_log_scope")

_CASE_ID = re.compile(r"WZ\d{8}-[0-9A-Z]{6}")


def case_id_shown(case_id: str | None) -> str | None:
    """``case_id`` if it has the shape of a case id, else None: a path or a body may carry
    anything (a phone number typed into the URL), and only ids the platform makes are logged."""
    return case_id if case_id and _CASE_ID.fullmatch(case_id) else None


@contextlib.contextmanager
def scope(**keys: Any) -> Iterator[None]:
    """Add ``keys`` (None values left out) to every line written inside the block."""
    token = _scope.set({**_scope.get({}), **{k: v for k, v in keys.items() if v is not None}})
    try:
        yield
    finally:
        _scope.reset(token)


def request_id_of(request: Request) -> str | None:
    """API Gateway's request id (what the client sees as ``x-amzn-RequestId``), else the
    Lambda invocation's (the local gateway makes one per request)."""
    given = (request.context or {}).get("requestId")
    if given:
        return str(given)
    context = getattr(request, "lambda_context", None)
    return getattr(context, "aws_request_id", None)


def request_context(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: the request's keys on every line written while it is handled."""
    params = event.uri_params or {}
    with scope(
        request_id=request_id_of(event),
        route=event.path,  # the resource (/api/cases/{case_id}/track), never the raw URL
        method=event.method,
        case_id=case_id_shown(params.get("case_id")),
    ):
        return get_response(event)


def failure(error: BaseException) -> dict[str, Any]:
    """The keys for a line about an unexpected ``error``, in place of ``log.exception``: its
    class (and AWS error code) and where it was raised, never its message, which may quote
    what was being handled (botocore quotes a parameter's value: a phone number)."""
    import traceback

    from functions.storage.failures import describe

    frames = traceback.extract_tb(error.__traceback__)[-8:]
    where = ["/".join(f.filename.rsplit("/", 2)[-2:]) + f":{f.lineno} {f.name}" for f in frames]
    return {"error": describe(error), "trace": where}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (Powertools' ``LambdaPowertoolsFormatter``): timestamp (UTC,
    RFC 3339), level, logger, message, the scope's keys, the call's keys, and for an exception
    its type and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._json: logging.Formatter | None = None

    def _formatter(self) -> logging.Formatter:
        if self._json is None:
            from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

            self._json = LambdaPowertoolsFormatter(
                utc=True,
                use_rfc3339=True,
                log_record_order=["timestamp", "level", "logger", "message"],
            )
        return self._json

    def format(self, record: logging.LogRecord) -> str:
        record.logger = record.name
        for key, value in _scope.get({}).items():
            if key not in record.__dict__:  # what the call site says wins
                setattr(record, key, value)
        return self._formatter().format(record)


def configure(logger: logging.Logger) -> None:
    """Once, on the app's logger (Chalice's, ``wenzheng``: every ``wenzheng.*`` logger's
    parent, writing to stdout): INFO and up, as JSON lines. Chalice leaves it at ERROR; the
    outbox's retries, bounces and the security log are warnings operators must see."""
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler())
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
