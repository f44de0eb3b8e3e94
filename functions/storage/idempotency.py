"""Idempotency records for submissions (``Idempotency-Key``): a claim taken before anything
is counted or written, completed in the case's own transaction.

A client that lost the answer to its POST sends it again with the same key and gets the first
answer back; requests racing with the same key do not each create a case, nor each count
against the rate limits. The first request claims the key (a conditional put of a pending
record); the others find the claim and wait briefly for its answer. A claim whose request
died holds the key only for ``HOLD``; after that a retry takes it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError
from pynamodb.expressions.condition import Condition

from functions.storage.models import IdempotencyModel

PENDING = "pending"
DONE = "done"
HOLD = timedelta(seconds=30)  # how long a claim stands without its request finishing
KEEP = timedelta(hours=24)  # how long an answer can be replayed


@dataclass(frozen=True)
class Record:
    request_hash: str
    case_id: str | None  # None while the claim's request is still running
    tracking_code: str | None

    @property
    def done(self) -> bool:
        return self.case_id is not None


def _record(model: IdempotencyModel) -> Record:
    done = model.state != PENDING  # records from before claims have no state: done
    return Record(
        model.request_hash,
        model.case_id if done else None,
        model.tracking_code if done else None,
    )


def get(key_hash: str) -> Record | None:
    try:
        return _record(IdempotencyModel.get(key_hash, consistent_read=True))
    except IdempotencyModel.DoesNotExist:
        return None


def claim(key_hash: str, request_hash: str, now: datetime) -> Record | None:
    """Claim the key for this request: None when it is ours now, else the record that holds
    it (done, or another request's claim still running)."""
    try:
        IdempotencyModel(
            key_hash,
            request_hash=request_hash,
            state=PENDING,
            held_until=now + HOLD,
            created_at=now,
            expires_at=now + KEEP,
        ).save(
            condition=IdempotencyModel.key_hash.does_not_exist()
            | ((IdempotencyModel.state == PENDING) & (IdempotencyModel.held_until < now))
        )
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        found = get(key_hash)
        if found is None:  # released meanwhile: try once more
            return claim(key_hash, request_hash, now)
        return found
    return None


def release(key_hash: str, request_hash: str) -> None:
    """Give up our claim (the request failed before its case was written): a retry with the
    same key may try again at once."""
    try:
        IdempotencyModel(key_hash).delete(
            condition=(IdempotencyModel.state == PENDING)
            & (IdempotencyModel.request_hash == request_hash)
        )
    except DeleteError:
        return  # taken over or completed meanwhile: nothing of ours to release


def completed(
    key_hash: str, request_hash: str, *, case_id: str, tracking_code: str, now: datetime
) -> tuple[IdempotencyModel, Condition]:
    """The record that completes our claim, and the condition it is written on, for the
    case's own transaction (``cases_repo.commit``): the claim must still be ours."""
    model = IdempotencyModel(
        key_hash,
        request_hash=request_hash,
        state=DONE,
        case_id=case_id,
        tracking_code=tracking_code,
        created_at=now,
        expires_at=now + KEEP,
    )
    condition = IdempotencyModel.key_hash.does_not_exist() | (
        (IdempotencyModel.state == PENDING) & (IdempotencyModel.request_hash == request_hash)
    )
    return model, condition
