"""Idempotency records (``Idempotency-Key``) for submissions and for staff and department
actions on a case.

Submissions: a claim taken before anything is counted or written, completed in the case's own
transaction.

A client that lost the answer to its POST sends it again with the same key and gets the first
answer back; requests racing with the same key do not each create a case, nor each count
against the rate limits. The first request claims the key (a conditional put of a pending
record); the others find the claim and wait briefly for its answer. A claim whose request
died holds the key only for ``HOLD``; after that a retry takes it over.

Actions: no claim (nothing is counted, and the case's version already lets only one of two
racing requests through). The record is written in the transition's own transaction, by
whichever case commit runs first inside ``joining``; the answer is added to it afterwards. A
retry finds the record and gets that answer back, or, when the first request ended before
storing its answer (a 503 after the change was stored), an answer made from the case now.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PutError
from pynamodb.expressions.condition import Condition

from functions.domain.errors import Unavailable
from functions.storage import failures
from functions.storage.models import IdempotencyModel

log = logging.getLogger("wenzheng.idempotency")

PENDING = "pending"
DONE = "done"
APPLIED = "applied"  # an action's change is stored, its answer not (yet)
HOLD = timedelta(seconds=30)  # how long a claim stands without its request finishing
KEEP = timedelta(hours=24)  # how long an answer can be replayed
MAX_ANSWER_BYTES = 300_000  # compressed; an item holds at most 400 KB


def request_hash(body: Mapping[str, Any]) -> str:
    """What tells a retry (same body) from another request reusing its key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


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
    case's own transaction (``case_commit.commit``): the claim must still be ours."""
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


# --- staff and department actions ----------------------------------------------------------


def action_key(key: str, scope: Sequence[str]) -> str:
    """The record's key for ``key`` as sent by one actor to one action on one case (``scope``):
    the same key from another actor, or for another case or action, is another record and
    never replays this one's answer. Apart from submission keys by construction."""
    return hashlib.sha256(json.dumps(["action", *scope, key]).encode()).hexdigest()


@dataclass(frozen=True)
class Action:
    request_hash: str
    answer: dict[str, Any] | None  # None: the change is stored, its answer is not


def action(key_hash: str, now: datetime) -> Action | None:
    """The action recorded under the key, if any (an expired record, which TTL deletes only
    eventually, counts as none)."""
    try:
        model = IdempotencyModel.get(key_hash, consistent_read=True)
    except IdempotencyModel.DoesNotExist:
        return None
    if model.expires_at <= now:
        return None
    answer = json.loads(zlib.decompress(model.answer)) if model.answer else None
    return Action(model.request_hash, answer)


def _free(now: datetime) -> Condition:
    """The key is unused, or its record has expired (TTL deletes it only eventually)."""
    free: Condition = IdempotencyModel.key_hash.does_not_exist() | (
        IdempotencyModel.expires_at < now
    )
    return free


@dataclass
class Joining:
    """An action's record, waiting to join the first case transaction made while it is open
    (``case_commit.commit_all``), which sets ``joined`` once that transaction is in."""

    key_hash: str
    request_hash: str
    now: datetime
    joined: bool = False

    def record(self) -> tuple[IdempotencyModel, Condition]:
        """The record and its condition: the key is free (unused, or expired)."""
        model = IdempotencyModel(
            self.key_hash,
            request_hash=self.request_hash,
            state=APPLIED,
            created_at=self.now,
            expires_at=self.now + KEEP,
        )
        return model, _free(self.now)


_joining: ContextVar[Joining | None] = ContextVar("wenzheng_idempotency_joining", default=None)


@contextmanager
def joining(key_hash: str, request_hash: str, now: datetime) -> Iterator[Joining]:
    """While open, the first case commit writes the action's record with it."""
    opened = Joining(key_hash, request_hash, now)
    token = _joining.set(opened)
    try:
        yield opened
    finally:
        _joining.reset(token)


def joining_now() -> Joining | None:
    return _joining.get()


def answered(joining: Joining, answer: Mapping[str, Any]) -> None:
    """Keep the action's answer for its retries: on the record its transaction wrote, or, for
    an action that wrote no case, on a record of its own. Best effort: the change is stored
    whatever happens here, and without the answer a retry answers from the case as it is."""
    data = zlib.compress(json.dumps(answer, ensure_ascii=False).encode())
    if len(data) > MAX_ANSWER_BYTES:
        return
    model = IdempotencyModel(
        joining.key_hash,
        request_hash=joining.request_hash,
        state=DONE,
        answer=data,
        created_at=joining.now,
        expires_at=joining.now + KEEP,
    )
    condition = (
        IdempotencyModel.request_hash == joining.request_hash
        if joining.joined
        else _free(joining.now)
    )
    try:
        model.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return  # another request with this key was recorded first: its answer stands
        if failures.unavailable(error) is None:
            raise
        log.warning("action answer not kept: %s", failures.describe(error))
    except Unavailable as error:  # the request's storage deadline (functions/storage/deadline.py)
        log.warning("action answer not kept: %s", error.code)
