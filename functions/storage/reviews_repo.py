"""监督评议 in DynamoDB (``ReviewModel``, §16): one item per supervisor per case, keyed by the
case and the review id. The public case page reads a case's approved reviews with one Query
of the case's partition; a supervisor's own list is one Query of ``by-author``; the
moderation lists one Query of ``by-state``. No scans.

Every write states its invariant as a condition: a new review is put only where none is; a
rewrite and a moderation only while the review is still pending and unchanged since it was
read. A lost race is a 409, never a silent overwrite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from functions.domain.errors import Conflict, invalid_field
from functions.domain.reviews import Review, ReviewState
from functions.storage.codec import iso
from functions.storage.models import ReviewModel
from functions.storage.paging import decode_cursor, encode_cursor

PAGE_SIZE = 20
# A case shows at most this many approved reviews (a handful of supervisors per city).
CASE_LIMIT = 50


def _from_model(m: ReviewModel) -> Review:
    return Review(
        case_id=m.case_id,
        review_id=m.review_id,
        author=m.author,
        title=m.title,
        supervisor_kind=m.supervisor_kind,
        case_title=m.case_title,
        text=m.text,
        public_text=m.public_text,
        state=ReviewState(m.state),
        written_at=m.written_at,
        updated_at=m.updated_at,
        moderated_at=m.moderated_at,
        moderated_by=m.moderated_by,
        note=m.note,
    )


def _state_key(at: datetime, review_id: str) -> str:
    return f"{iso(at)}#{review_id}"


def get(case_id: str, review_id: str) -> Review | None:
    try:
        return _from_model(ReviewModel.get(case_id, review_id))
    except ReviewModel.DoesNotExist:
        return None


def _conflict() -> Conflict:
    return Conflict(
        "该评议刚刚已被修改或审核，请刷新后重试",
        "the review changed meanwhile; reload and try again",
        "review_changed",
    )


def write(review: Review, previous: Review | None) -> None:
    """Put ``review``: new (no item yet), or rewriting ``previous`` while it is still the
    pending version that was read."""
    m = ReviewModel(
        review.case_id,
        review.review_id,
        author=review.author,
        title=review.title,
        supervisor_kind=review.supervisor_kind,
        case_title=review.case_title,
        text=review.text,
        public_text=review.public_text,
        state=review.state.value,
        state_key=_state_key(review.updated_at, review.review_id),
        written_key=f"{iso(review.written_at)}#{review.case_id}",
        written_at=review.written_at,
        updated_at=review.updated_at,
    )
    if previous is None:
        condition = ReviewModel.review_id.does_not_exist()
    else:
        condition = (ReviewModel.state == ReviewState.PENDING.value) & (
            ReviewModel.updated_at == previous.updated_at
        )
    try:
        m.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise _conflict() from error
        raise


def moderate(
    review: Review, state: ReviewState, note: str | None, by: str, now: datetime
) -> Review:
    """Record a coordinator's decision on a pending review, unchanged since it was read."""
    m = ReviewModel(review.case_id, review.review_id)
    actions: list[Any] = [
        ReviewModel.state.set(state.value),
        ReviewModel.state_key.set(_state_key(now, review.review_id)),
        ReviewModel.moderated_at.set(now),
        ReviewModel.moderated_by.set(by),
        ReviewModel.updated_at.set(now),
    ]
    actions.append(ReviewModel.note.set(note) if note else ReviewModel.note.remove())
    try:
        m.update(
            actions=actions,
            condition=(ReviewModel.state == ReviewState.PENDING.value)
            & (ReviewModel.updated_at == review.updated_at),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise _conflict() from error
        raise
    return _from_model(m)


def approved_for_case(case_id: str) -> list[Review]:
    """The case's approved reviews, oldest first: one Query of its partition."""
    found = ReviewModel.query(
        case_id,
        filter_condition=ReviewModel.state == ReviewState.APPROVED.value,
        limit=CASE_LIMIT,
    )
    return sorted((_from_model(m) for m in found), key=lambda r: r.written_at)


def _page(
    query: Any, keys: tuple[str, ...], cursor: str | None, check: Any
) -> tuple[list[Review], str | None]:
    start = decode_cursor(cursor, keys)
    if start is not None and not check(start):
        raise invalid_field("cursor", "分页参数无效", "cursor from another listing")
    models = list(query(start))
    more = len(models) > PAGE_SIZE
    models = models[:PAGE_SIZE]
    next_cursor = None
    if more:
        last = models[-1]
        next_cursor = encode_cursor({k: {"S": str(getattr(last, k))} for k in keys})
    return [_from_model(m) for m in models], next_cursor


def by_author(author: str, cursor: str | None) -> tuple[list[Review], str | None]:
    """A supervisor's reviews, newest first, a page of PAGE_SIZE."""
    return _page(
        lambda start: ReviewModel.by_author.query(
            author,
            scan_index_forward=False,
            last_evaluated_key=start,
            limit=PAGE_SIZE + 1,
            page_size=PAGE_SIZE + 1,
        ),
        ("case_id", "review_id", "author", "written_key"),
        cursor,
        lambda start: start["author"]["S"] == author,
    )


def by_state(state: ReviewState, cursor: str | None) -> tuple[list[Review], str | None]:
    """Reviews in ``state``: pending ones oldest first (the moderation queue), decided ones
    newest first."""
    return _page(
        lambda start: ReviewModel.by_state.query(
            state.value,
            scan_index_forward=state == ReviewState.PENDING,
            last_evaluated_key=start,
            limit=PAGE_SIZE + 1,
            page_size=PAGE_SIZE + 1,
        ),
        ("case_id", "review_id", "state", "state_key"),
        cursor,
        lambda start: start["state"]["S"] == state.value,
    )
