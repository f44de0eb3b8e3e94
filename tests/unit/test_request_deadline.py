"""Request paths answer inside API Gateway's 29 s (§10). One DynamoDB call may take three
attempts of (connect + read timeout) plus backoff, and a request makes several in a row
(a transition 7-8 when the directory cache is cold, an audit export one per page), so the
per-call timeouts alone cannot keep the sum under 29 s: each request has a storage
deadline, and an attempt that could not end before it is refused (``functions/storage/
deadline.py``). These tests read the real model and client settings."""

from __future__ import annotations

import pytest

from functions.domain.errors import Unavailable
from functions.settings import settings
from functions.storage import deadline

MARGIN_SECONDS = 3.0  # left for the Lambda's own work after the last storage attempt
# What a transition costs when the directory cache is cold (sign, reply, accept, assign:
# measured 7-8 DynamoDB calls, rate limits included; docs/PERFORMANCE.md).
TRANSITION_CALLS = 8
JSON = {"Content-Type": "application/json"}


def _dynamodb_call_bound() -> float:
    """One PynamoDB call at worst: every attempt times out, with the longest (throttling)
    backoff of botocore's standard retry mode between them: rand × min(1 s × 2^i, 20 s)."""
    from botocore.retries.standard import ExponentialBackoff

    from functions.storage.models import CaseModel

    meta = CaseModel.Meta
    attempts = 1 + meta.max_retry_attempts
    per_attempt = meta.connect_timeout_seconds + meta.read_timeout_seconds
    throttling = ExponentialBackoff._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"]
    backoff = sum(
        min(throttling * 2**i, ExponentialBackoff._MAX_BACKOFF) for i in range(attempts - 1)
    )
    return float(attempts * per_attempt + backoff)


def test_every_model_times_out_attempts_as_the_deadline_assumes() -> None:
    from functions.storage.models import ALL_MODELS

    for model in ALL_MODELS:
        meta = model.Meta
        assert meta.connect_timeout_seconds + meta.read_timeout_seconds == (
            deadline.attempt_seconds()
        ), model.__name__
        assert meta.max_retry_attempts == 2, model.__name__


def test_the_deadline_not_the_timeouts_keeps_a_request_inside_29_seconds() -> None:
    per_call = _dynamodb_call_bound()
    # Why the deadline exists: a cold transition's calls, each at its worst, add up to minutes.
    assert per_call * TRANSITION_CALLS > deadline.API_GATEWAY_SECONDS
    budget = settings().request_budget_seconds
    # Every attempt a request makes ends by its deadline, which leaves the margin...
    assert budget + MARGIN_SECONDS < deadline.API_GATEWAY_SECONDS
    # ...and a request may still start attempts for most of its budget (a whole worst-case
    # call fits, so one slow call does not doom the next).
    assert budget - deadline.attempt_seconds() >= 2 * deadline.attempt_seconds()


def test_an_attempt_that_could_outlast_the_deadline_is_refused_as_unavailable() -> None:
    with deadline.bounded(deadline.attempt_seconds() - 0.5), pytest.raises(Unavailable) as refused:
        deadline.refuse_late_attempt(request=None)
    assert refused.value.code == "unavailable"


def test_attempts_that_fit_and_work_outside_a_request_go_ahead() -> None:
    with deadline.bounded(settings().request_budget_seconds):
        deadline.refuse_late_attempt(request=None)
    deadline.refuse_late_attempt(request=None)  # a scheduled job: no deadline
    with deadline.bounded(1.0):
        pass
    deadline.refuse_late_attempt(request=None)  # the deadline ends with its request


def test_dynamodb_and_s3_clients_check_the_deadline_before_every_attempt() -> None:
    from botocore import handlers

    from functions.storage import export_store, models

    assert models.ALL_MODELS
    assert ("before-send.dynamodb", deadline.refuse_late_attempt) in handlers.BUILTIN_HANDLERS
    export_store.reset_client()
    try:
        s3 = export_store._s3()
        config = s3.meta.config
        assert config.connect_timeout + config.read_timeout == deadline.attempt_seconds()
        assert config.retries["total_max_attempts"] == 3
        with deadline.bounded(1.0), pytest.raises(Unavailable):
            s3.head_bucket(Bucket=settings().export_bucket)
    finally:
        export_store.reset_client()


def test_the_handler_answers_503_when_no_attempt_fits_the_request_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the whole handler: the middleware sets the budget; every DynamoDB attempt is
    refused before it is sent (no AWS here at all: a sent attempt could only fail with a
    connection error and a 500), and the client gets the usual envelope."""
    import dataclasses
    import json

    from chalice.test import Client

    from app import app
    from functions.api import deadline as middleware
    from tests.api.helpers import submission

    short = dataclasses.replace(settings(), request_budget_seconds=deadline.attempt_seconds() - 1)
    monkeypatch.setattr(middleware, "settings", lambda: short)
    body = json.dumps(submission())
    with Client(app, stage_name="local") as client:
        for answer in (
            client.http.get("/api/cases/WZ20261201-ABC234"),
            client.http.post("/api/cases", body=body, headers=JSON),
        ):
            assert answer.status_code == 503, answer.body
            error = json.loads(answer.body)["error"]
            assert error["code"] == "unavailable" and error["message"] and error["message_en"]
