"""Public routes: taxonomy, departments, schemas, submission, board, case page, tracking,
rating. No contact data ever leaves through these except to the tracking-code holder."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.http import body, header, ip, now, query, route
from functions.domain.errors import NotFound
from functions.domain.lifecycle import STATE_LABELS
from functions.domain.taxonomy import (
    KIND_HINTS,
    KIND_LABELS,
    OUTCOME_LABELS,
    RATING_LABELS,
    URGENCY_LABELS,
    pairs,
)

public = Blueprint(__name__)

BOARD_FILTERS = ("state", "kind", "category", "district", "department")


@route(public, "/api/taxonomy", cache_seconds=60)
def taxonomy() -> dict[str, Any]:
    from functions.services.common import clock
    from functions.services.views import time_limits
    from functions.storage import directory

    tax = directory.taxonomy()
    return {
        "platform_name": tax.platform_name,
        "city_name": tax.city_name,
        "kinds": [
            {"code": str(k), "label": v, "hint": KIND_HINTS[k]} for k, v in KIND_LABELS.items()
        ],
        "categories": [{"code": c, "label": label} for c, label in tax.categories],
        "districts": [{"code": c, "label": label} for c, label in tax.districts],
        "states": pairs(dict(STATE_LABELS)),  # type: ignore[arg-type]
        "urgencies": pairs(dict(URGENCY_LABELS)),  # type: ignore[arg-type]
        "outcomes": pairs(dict(OUTCOME_LABELS)),  # type: ignore[arg-type]
        "ratings": pairs(dict(RATING_LABELS)),  # type: ignore[arg-type]
        "time_limits": time_limits(clock().policy),  # the figures pages state
    }


@route(public, "/api/lifecycle", cache_seconds=300)
def lifecycle() -> dict[str, Any]:
    """The lifecycle as the pages render it: states, actions (label, from/to, who, where) and
    event labels, all derived from the registry of action modules."""
    from functions.domain import actions

    return actions.describe()


@route(public, "/api/departments", cache_seconds=60)
def departments() -> dict[str, Any]:
    from functions.storage import directory

    tax = directory.taxonomy()
    return {
        "items": [
            {
                "id": d.id,
                "name": d.name,
                "district": d.district,
                "district_label": tax.district_label(d.district),
                "categories": list(d.categories),
            }
            for d in directory.departments().values()
        ]
    }


@route(public, "/api/schemas/{name}", cache_seconds=300)
def schema(name: str) -> dict[str, Any]:
    import schemas

    try:
        return schemas.load(name)
    except KeyError:
        raise NotFound("没有这个数据格式", "no such schema", "schema_not_found") from None


@route(public, "/api/cases", methods=("POST",), status=201)
def submit() -> dict[str, Any]:
    from functions.domain.rate_limits import contact_subjects
    from functions.services import citizen, rate_limits

    data = body(public, "case-submission")
    data.pop("channel", None)  # only staff enter hotline or mailbox cases
    at, contact, client = now(), data.get("contact") or {}, ip(public)

    def limits() -> None:  # counted only for a new submission, never for a replay
        rate_limits.hit("submit_ip", client, at, route="/api/cases")
        subjects = contact_subjects(contact.get("phone"), contact.get("email"))
        rate_limits.hit_all("submit_contact", subjects, at, route="/api/cases")

    return citizen.submit(
        data, idempotency_key=header(public, "idempotency-key"), now=at, limits=limits
    )


@route(public, "/api/cases")
def board() -> dict[str, Any]:
    from functions.services import citizen

    filters = query(public, *BOARD_FILTERS, "cursor")
    cursor = filters.pop("cursor", None)
    return citizen.board(filters, cursor, now())


@route(public, "/api/overdue")
def overdue() -> dict[str, Any]:
    """红牌: public cases past a deadline by the policy's red rung and still not answered."""
    from functions.services import sla

    filters = query(public, "department", "cursor")
    cursor = filters.pop("cursor", None)
    return sla.carded("red", filters, cursor, now(), public=True)


@route(public, "/api/showcase")
def showcase() -> dict[str, Any]:
    """回音壁: featured closed cases, newest first, 10 a page (``cursor``)."""
    from functions.services import showcase as service

    return service.wall(query(public, "cursor").get("cursor"))


@route(public, "/api/cases/{case_id}")
def case(case_id: str) -> dict[str, Any]:
    from functions.services import citizen

    return citizen.public_case(case_id, now())


@route(public, "/api/cases/{case_id}/track", methods=("POST",))
def track(case_id: str) -> dict[str, Any]:
    from functions.services import citizen, rate_limits

    code, at = body(public, "tracking")["tracking_code"], now()
    with rate_limits.code_attempt(case_id, ip(public), at, route="/api/cases/{case_id}/track"):
        return citizen.track(case_id, code, at)


@route(public, "/api/cases/{case_id}/{action}", methods=("POST",))
def act(case_id: str, action: str) -> dict[str, Any]:
    """The citizen's lifecycle action with the tracking code (评价, 补充材料, …, as its module
    declares it), counted like every attempt with a code. An unknown one is a 404."""
    from functions.domain import actions
    from functions.services import citizen, rate_limits

    declared = actions.by_suffix("citizen", action)
    assert declared.route is not None
    data, at = body(public, declared.route.schema), now()
    route_path = f"/api/cases/{{case_id}}/{action}"
    with rate_limits.code_attempt(case_id, ip(public), at, route=route_path):
        return citizen.act(action, case_id, data, at)


@route(public, "/api/rankings", cache_seconds=60)
def rankings() -> dict[str, Any]:
    """亮晒比: ``month=YYYY-MM`` (default: last month), departments and counties ranked."""
    from functions.services import rankings as service

    return service.ranking(query(public, "month").get("month"), now())


@route(public, "/api/rankings/cases", cache_seconds=60)
def ranking_cases() -> dict[str, Any]:
    """The public cases behind a ranking figure: ``month``, ``unit``, ``metric``."""
    from functions.services import rankings as service

    q = query(public, "month", "unit", "metric")
    return service.cases_behind(q.get("month"), q.get("unit"), q.get("metric"), now(), public=True)


@route(public, "/api/rankings.csv", cache_seconds=60)
def rankings_csv() -> Response:
    from functions.services import rankings as service

    month = query(public, "month").get("month")
    document = service.ranking(month, now())
    return Response(
        body=service.as_csv(document),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="rankings-{document["month"]}.csv"',
            "Cache-Control": "public, max-age=60",
        },
    )


@route(public, "/api/cases/{case_id}/support", methods=("POST",))
def support(case_id: str) -> dict[str, Any]:
    """附议 (我也遇到): one per client address, case and day; answers the new count."""
    from functions.services import citizen

    body(public, "empty")
    return citizen.support(case_id, ip(public), now())
