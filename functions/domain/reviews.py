"""监督评议 (§16), pure: supervisors (人大代表, 政协委员, 特约监督员, media) write a short public
comment on a closed public case; a coordinator approves or rejects it; only approved reviews
are public, with the supervisor's title, apart from the citizens' ratings.

One review per supervisor per case. The supervisor may rewrite it while it waits for
moderation; once a coordinator has decided (approved or rejected) it is final: a rejected
review never becomes public, an approved one is not edited behind the moderator's back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from functions.domain.cases import Case
from functions.domain.errors import Conflict, NotFound, invalid_field
from functions.domain.lifecycle import STATE_LABELS, State

# The kinds of supervisor an account may be (``StaffModel.supervisor_kind``).
SUPERVISOR_KINDS = {
    "npc_deputy": "人大代表",
    "cppcc_member": "政协委员",
    "special_supervisor": "特约监督员",
    "media": "媒体",
}

# A review is a short comment: schemas/review.json holds it to 10–500 characters; the text
# is counted again once trimmed.
TEXT_MIN = 10

# Cases a supervisor may review: finished, and on the public board.
REVIEWABLE = frozenset({State.CLOSED, State.ARCHIVED})


class ReviewState(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已公开
    REJECTED = "rejected"  # 未通过


REVIEW_STATE_LABELS = {
    ReviewState.PENDING: "待审核",
    ReviewState.APPROVED: "已公开",
    ReviewState.REJECTED: "未通过",
}


@dataclass(frozen=True)
class Review:
    """One supervisor's 评议 of one case. ``text`` is as written (the supervisor and the
    moderator read it); ``public_text`` is what the public reads once approved, scrubbed
    with the case's contact names (§8) when written."""

    case_id: str
    review_id: str
    author: str  # the supervisor's e-mail: never public
    title: str  # public: e.g. "市人大代表 张建国"
    supervisor_kind: str
    case_title: str  # the case's public title, for the lists
    text: str
    public_text: str
    state: ReviewState
    written_at: datetime
    updated_at: datetime
    moderated_at: datetime | None = None
    moderated_by: str | None = None
    note: str | None = None  # the moderator's note (why rejected, or a remark)


def review_id(case_id: str, author: str) -> str:
    """The id of ``author``'s review of ``case_id``: one per supervisor per case, the case id
    readable in it (``<case_id>-<8 hex>``), the author not derivable across cases."""
    digest = hashlib.sha256(f"{case_id}|{author.strip().lower()}".encode()).hexdigest()
    return f"{case_id}-{digest[:8]}"


def case_of(review_id_: str) -> str:
    """The case id a review id names; 404 for anything that is not a review id."""
    case_id, sep, tail = review_id_.rpartition("-")
    if not sep or not case_id or len(tail) != 8 or len(case_id) > 40:
        raise no_such_review()
    return case_id


def no_such_review() -> NotFound:
    return NotFound("没有这条评议", "no such review", "no_such_review")


def check_reviewable(case: Case | None) -> Case:
    """The case, if a supervisor may review it: 404 unless it is on the public board (what a
    supervisor sees is what the public sees), 409 ``review_case_open`` unless finished."""
    if case is None or not case.is_public:
        raise NotFound("未找到该诉求，或该诉求未公开", "no such public case", "case_not_found")
    if case.state not in REVIEWABLE:
        raise Conflict(
            f"只能评议已办结的诉求，本件当前状态为“{STATE_LABELS[case.state]}”",
            f"only a closed case can be reviewed; this one is {case.state.value}",
            "review_case_open",
        )
    return case


def check_editable(existing: Review | None) -> None:
    """A review already decided by a coordinator is final (409 ``review_moderated``)."""
    if existing is not None and existing.state != ReviewState.PENDING:
        raise Conflict(
            "该评议已审核，不能再修改",
            "this review has been moderated and can no longer be changed",
            "review_moderated",
        )


def moderation(existing: Review, decision: str, note: str | None) -> ReviewState:
    """The state a coordinator's decision moves a pending review to. A rejection says why."""
    if existing.state != ReviewState.PENDING:
        raise Conflict("该评议已审核", "this review has already been moderated", "review_moderated")
    if decision == "reject" and not (note or "").strip():
        raise invalid_field("note", "不予公开时请说明理由", "a rejection needs a note")
    return ReviewState.APPROVED if decision == "approve" else ReviewState.REJECTED
