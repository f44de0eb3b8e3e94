"""监督评议 routes (§16): a supervisor reviews closed public cases and reads their own reviews;
coordinators moderate them. The public reads approved reviews inside ``GET /api/cases/{id}``.
Every route names its roles in ``ROUTE_ROLES`` (walked by the authorisation test)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, query, route
from functions.api.spec import CURSOR, STAFF, Spec, answer, page, path_param, query_param
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

reviews = Blueprint(__name__)

SUPERVISORS = frozenset({Role.SUPERVISOR})
MODERATORS = frozenset({Role.COORDINATOR, Role.ADMIN})
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/api/staff/cases/{case_id}/reviews"): SUPERVISORS,
    ("GET", "/api/staff/reviews/mine"): SUPERVISORS,
    ("GET", "/api/staff/reviews"): MODERATORS,
    ("POST", "/api/staff/reviews/{review_id}/moderation"): MODERATORS,
}
REVIEW_ID = path_param("review_id", "review id (`<case_id>-<8 hex>`)")


def _session(roles: frozenset[Role]) -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(header(reviews, "authorization"), now(), roles)


@route(
    reviews,
    "/api/staff/cases/{case_id}/reviews",
    methods=("POST",),
    spec=Spec(
        summary="监督员评议已办结诉求",
        operation_id="staffWriteReview",
        tags=("staff",),
        security=STAFF,
        description=(
            "A supervisor's 评议 of a closed or archived public case: pending until a "
            "coordinator approves it (then public with the supervisor's title) or rejects it. "
            "One per supervisor per case: writing again replaces it while it is pending; 409 "
            "`review_moderated` once decided, 409 `review_case_open` for a case not finished, "
            "404 for a case not on the public board."
        ),
        request="review",
        responses={200: answer("Review")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def write(case_id: str) -> dict[str, Any]:
    from functions.services import reviews as service

    s = _session(SUPERVISORS)
    return service.write(case_id, body(reviews, "review"), s, now())


@route(
    reviews,
    "/api/staff/reviews/mine",
    spec=Spec(
        summary="我的评议",
        operation_id="staffMyReviews",
        tags=("staff",),
        security=STAFF,
        description="The supervisor's own reviews, newest first, each with its state and note.",
        parameters=(CURSOR,),
        responses={200: answer(page("Review"))},
        errors=(400, 401, 403, 503),
    ),
)
def mine() -> dict[str, Any]:
    from functions.services import reviews as service

    s = _session(SUPERVISORS)
    return service.mine(s, query(reviews, "cursor").get("cursor"))


@route(
    reviews,
    "/api/staff/reviews",
    spec=Spec(
        summary="评议审核列表",
        operation_id="staffReviews",
        tags=("staff",),
        security=STAFF,
        description=(
            "Supervisors' reviews in one state: `pending` (the default; oldest first, the "
            "moderation queue), `approved` or `rejected` (newest first)."
        ),
        parameters=(
            query_param(
                "state", "default `pending`", {"enum": ["pending", "approved", "rejected"]}
            ),
            CURSOR,
        ),
        responses={200: answer(page("Review"))},
        errors=(400, 401, 403, 503),
    ),
)
def listing() -> dict[str, Any]:
    from functions.services import reviews as service

    _session(MODERATORS)
    q = query(reviews, "state", "cursor")
    return service.listing(q.get("state"), q.get("cursor"))


@route(
    reviews,
    "/api/staff/reviews/{review_id}/moderation",
    methods=("POST",),
    spec=Spec(
        summary="审核监督评议",
        operation_id="staffModerateReview",
        tags=("staff",),
        security=STAFF,
        description=(
            "Approve a pending review (public from then on, on the case page) or reject it "
            "(never public) with a note, required to reject. 404 `no_such_review`; 409 "
            "`review_moderated` once decided."
        ),
        parameters=(REVIEW_ID,),
        request="review-moderation",
        responses={200: answer("Review")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def moderate(review_id: str) -> dict[str, Any]:
    from functions.services import reviews as service

    s = _session(MODERATORS)
    return service.moderate(review_id, body(reviews, "review-moderation"), s, now())
