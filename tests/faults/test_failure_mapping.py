"""Which AWS failures become a 503 ``unavailable`` on request paths and which stay bugs: a
transient dependency failure is the client's cue to retry; a failed condition, a bad request
or a missing item is the code's mistake and must not hide behind "retry later"."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from pynamodb.exceptions import (
    CancellationReason,
    DoesNotExist,
    GetError,
    PutError,
    QueryError,
    TransactWriteError,
    UpdateError,
    VerboseClientError,
)

from functions.domain.errors import Unavailable
from functions.storage import failures


def client_error(code: str, status: int = 400, operation: str = "GetItem") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "13912345678 ouyang@example.com"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def cancelled(*codes: str | None) -> TransactWriteError:
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    cause = VerboseClientError(
        response,
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code=c) if c else None for c in codes],
    )
    return TransactWriteError("Failed to write transaction items", cause)


TRANSIENT = [
    GetError("Failed to get item", client_error("ProvisionedThroughputExceededException")),
    QueryError("Failed to query items", client_error("ThrottlingException")),
    UpdateError("Failed to update item", client_error("InternalServerError", 500)),
    PutError("Failed to put item", EndpointConnectionError(endpoint_url="http://x")),
    GetError("Failed to get item", ConnectTimeoutError(endpoint_url="http://x")),
    QueryError("Failed to query items", ReadTimeoutError(endpoint_url="http://x")),
    client_error("SlowDown", 503, "PutObject"),  # S3, raw boto3
    cancelled(None, "ThrottlingError"),
    cancelled("TransactionConflict", None),
]
BUGS = [
    UpdateError("Failed to update item", client_error("ConditionalCheckFailedException")),
    PutError("Failed to put item", client_error("ValidationException")),
    DoesNotExist(),
    ParamValidationError(report="bad"),
    cancelled("ConditionalCheckFailed", None),
    client_error("AccessDenied", 403, "GetObject"),
    ValueError("not an AWS failure"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: failures.describe(e))
def test_transient_aws_failures_are_unavailable(error: Exception) -> None:
    mapped = failures.unavailable(error)
    assert isinstance(mapped, Unavailable) and mapped.code == "unavailable"
    assert "稍后重试" in mapped.message


@pytest.mark.parametrize("error", BUGS, ids=lambda e: type(e).__name__)
def test_condition_validation_and_missing_item_errors_stay_bugs(error: Exception) -> None:
    assert failures.unavailable(error) is None


def test_a_wrapped_failure_is_found_and_described_without_its_message() -> None:
    try:
        try:
            raise GetError("Failed to get item", client_error("ThrottlingException"))
        except GetError as inner:
            raise RuntimeError("counter unavailable") from inner
    except RuntimeError as outer:
        assert failures.unavailable(outer) is not None
        described = failures.describe(outer)
    assert described == "ClientError:ThrottlingException"
    assert "13912345678" not in described and "example.com" not in described
