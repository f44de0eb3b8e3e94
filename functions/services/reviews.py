"""监督评议 use cases (§16): a supervisor writes (or, while pending, rewrites) a review of a
closed public case; coordinators list and moderate them; the public case page shows the
approved ones with the supervisor's title, apart from the citizens' ratings.

A review is a record beside a finished case: it never changes the case, so it is written
alone (functions/storage/reviews_repo.py), not in the case's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.domain import reviews as rules
from functions.domain.cases import public_text, public_title
from functions.domain.errors import Forbidden, invalid_field
from functions.domain.reviews import REVIEW_STATE_LABELS, SUPERVISOR_KINDS, Review, ReviewState
from functions.storage import cases_repo, directory, reviews_repo
from functions.storage.codec import iso

if TYPE_CHECKING:
    from functions.domain.cases import Case
    from functions.services.staff_auth import StaffSession


def public_view(r: Review) -> dict[str, Any]:
    """What the public reads of an approved review: the title, never the account."""
    return {
        "review_id": r.review_id,
        "title": r.title,
        "supervisor_kind": r.supervisor_kind,
        "supervisor_kind_label": SUPERVISOR_KINDS.get(r.supervisor_kind, ""),
        "text": r.public_text,
        "written_at": iso(r.written_at),
    }


def staff_view(r: Review, *, moderator: bool) -> dict[str, Any]:
    """A review as its author or a moderator reads it: the text as written, the public
    version, the state and the moderator's note (the moderator's address for moderators)."""
    found = {
        **public_view(r),
        "case_id": r.case_id,
        "case_title": r.case_title,
        "text": r.text,
        "public_text": r.public_text,
        "state": r.state.value,
        "state_label": REVIEW_STATE_LABELS[r.state],
        "updated_at": iso(r.updated_at),
        "moderated_at": iso(r.moderated_at) if r.moderated_at else None,
        "note": r.note,
    }
    if moderator:
        found["author"] = r.author
        found["moderated_by"] = r.moderated_by
    return found


def for_public_case(case: Case) -> list[dict[str, Any]]:
    """The approved reviews of a public case (one Query; none asked for an open case, which
    cannot have any)."""
    if case.state not in rules.REVIEWABLE:
        return []
    return [public_view(r) for r in reviews_repo.approved_for_case(case.case_id)]


def write(
    case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """The supervisor's review of the case: new, or rewritten while still pending."""
    account = directory.staff_account(session.email)
    if account is None or not account.title or not account.supervisor_kind:
        raise Forbidden(
            "监督员账号缺少公开称谓，请联系管理员",
            "a supervisor account needs its public title and kind",
            "forbidden",
        )
    case = rules.check_reviewable(cases_repo.get(case_id) if len(case_id) <= 40 else None)
    text = str(body["text"]).strip()
    if len(text) < rules.TEXT_MIN:
        raise invalid_field(
            "text", f"评议至少 {rules.TEXT_MIN} 个字", f"at least {rules.TEXT_MIN} characters"
        )
    rid = rules.review_id(case_id, session.email)
    previous = reviews_repo.get(case_id, rid)
    rules.check_editable(previous)
    review = Review(
        case_id=case_id,
        review_id=rid,
        author=session.email,
        title=account.title,
        supervisor_kind=account.supervisor_kind,
        case_title=public_title(case),
        text=text,
        public_text=public_text(case, text),
        state=ReviewState.PENDING,
        written_at=previous.written_at if previous else now,
        updated_at=now,
    )
    reviews_repo.write(review, previous)
    return staff_view(review, moderator=False)


def mine(session: StaffSession, cursor: str | None) -> dict[str, Any]:
    items, next_cursor = reviews_repo.by_author(session.email, cursor)
    return {
        "items": [staff_view(r, moderator=False) for r in items],
        "next_cursor": next_cursor,
    }


def listing(state: str | None, cursor: str | None) -> dict[str, Any]:
    """The moderation lists: ``state`` pending (the default), approved or rejected."""
    try:
        wanted = ReviewState(state or ReviewState.PENDING.value)
    except ValueError as error:
        raise invalid_field("state", "状态无效", "state: pending, approved or rejected") from error
    items, next_cursor = reviews_repo.by_state(wanted, cursor)
    return {
        "items": [staff_view(r, moderator=True) for r in items],
        "next_cursor": next_cursor,
    }


def moderate(
    review_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """A coordinator approves (public from now on) or rejects (never public) a pending
    review, with a note (required to reject)."""
    found = reviews_repo.get(rules.case_of(review_id), review_id)
    if found is None:
        raise rules.no_such_review()
    note = str(body.get("note") or "").strip() or None
    state = rules.moderation(found, body["decision"], note)
    decided = reviews_repo.moderate(found, state, note, session.email, now)
    return staff_view(decided, moderator=True)
