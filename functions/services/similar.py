"""Similar cases (§14): the public cases like the one a citizen is typing, and the open cases
like a new one that the coordinator may merge. Both read the band keys of the report's
MinHash signature in one district and the window (functions/storage/similar_repo.py), then
the candidate cases in one BatchGetItem, and score each exactly
(functions/domain/similarity.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from functions.domain import similarity
from functions.domain.cases import Case
from functions.domain.errors import FieldError, invalid_fields
from functions.domain.lifecycle import OPEN, PUBLIC_STATE_LABELS, STATE_LABELS
from functions.domain.platforms import in_scope
from functions.domain.similarity import Match, Report
from functions.storage import cases_repo, directory, similar_repo
from functions.storage.codec import iso

QUERY_FIELDS = ("title", "content", "district", "category", "lat", "lng")


def index_items(case: Case) -> list[Any]:
    """The index items of a new case (its band keys, and its place key when it has a
    point), written in its submission's transaction."""
    keys = similarity.keys_of(case.title, case.content)
    report = _report_of(case)
    if report.point is not None:
        keys.append(similarity.place_key(*report.point))
    return similar_repo.items(case.case_id, case.district, case.created_at, keys, report.sketch())


def _report_of(case: Case) -> Report:
    where = case.location
    return Report(
        case.title,
        case.content,
        where.lat if where is not None else None,
        where.lng if where is not None else None,
    )


def _matches(
    report: Report, district: str, now: datetime, keep: Callable[[Case], bool]
) -> list[tuple[Case, Match]]:
    """The cases most like ``report`` in ``district`` filed within the window that ``keep``
    lets through, best first, at most MAX_SUGGESTIONS."""
    keys = similarity.keys_of(report.title, report.content)
    if not keys:
        return []
    if report.point is not None:
        keys += similarity.place_keys_around(*report.point)
    since = now - timedelta(days=similarity.WINDOW_DAYS)
    mine = report.sketch()
    scored = []
    for case_id, sketch in similar_repo.candidates(district, keys, since).items():
        match = similarity.compare(mine, sketch)
        if match is not None:
            scored.append((similarity.rank_key(match), case_id, match))
    scored.sort()
    best = scored[: similarity.MAX_CANDIDATES]
    cases = cases_repo.get_many([case_id for _, case_id, _ in best])
    found = [
        (cases[case_id], match)
        for _, case_id, match in best
        if case_id in cases and keep(cases[case_id])
    ]
    return found[: similarity.MAX_SUGGESTIONS]


def _number(
    raw: str | None, field: str, low: float, high: float, bad: list[FieldError]
) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails too
        bad.append(
            FieldError(
                field, f"应为 {low:g} 到 {high:g} 之间的数", f"a number in [{low:g}, {high:g}]"
            )
        )
        return None
    return value


def _district(params: dict[str, str], lat: float | None, lng: float | None) -> str | None:
    """The district to look in: the one named, else the one the point lies in."""
    if params.get("district"):
        return params["district"]
    if lat is None or lng is None:
        return None
    from functions.domain import geo
    from functions.storage import boundaries

    return geo.district_at(boundaries.current()[0], lat, lng)


def public(params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Up to five public cases like the report being typed (title, and the content so far;
    the district, or a point that places it), open or filed within the window: what the
    submit page offers to support instead."""
    bad: list[FieldError] = []
    title = params.get("title", "").strip()
    if not title:
        bad.append(FieldError("title", "请填写标题", "title is required"))
    lat = _number(params.get("lat"), "lat", -90, 90, bad)
    lng = _number(params.get("lng"), "lng", -180, 180, bad)
    if (lat is None) != (lng is None) and not any(f.field in ("lat", "lng") for f in bad):
        bad.append(
            FieldError(
                "lng" if lng is None else "lat", "经纬度需成对填写", "lat and lng go together"
            )
        )
    tax = directory.taxonomy()
    if params.get("district") and params["district"] not in dict(tax.districts):
        bad.append(FieldError("district", "请选择有效的区县", "unknown district"))
    if bad:
        raise invalid_fields(bad)
    district = _district(params, lat, lng)
    if district is None:  # nowhere to look yet: the page asks again once a place is known
        return {"items": [], "district": None}
    report = Report(title, params.get("content", ""), lat, lng)
    found = _matches(report, district, now, keep=lambda c: c.is_public)
    counts = _supports([c.case_id for c, _ in found])
    return {
        "district": district,
        "items": [
            {
                "case_id": case.case_id,
                "title": case.public_version.title if case.public_version else case.title,
                "state": case.state.value,
                "state_label": PUBLIC_STATE_LABELS[case.state],
                "district": case.district,
                "district_label": tax.district_label(case.district),
                "created_at": iso(case.created_at),
                "distance_m": round(match.distance_m) if match.distance_m is not None else None,
                "similarity": round(match.similarity, 2),
                "supports": counts.get(case.case_id, 0),
                "url": f"/case.html?id={case.case_id}",
            }
            for case, match in found
        ],
    }


def _supports(case_ids: list[str]) -> dict[str, int]:
    if not case_ids:
        return {}
    from functions.storage import supports_repo

    return {case_id: supports_repo.count(case_id) for case_id in case_ids}


def for_case(case: Case, now: datetime, scope: str | None = None) -> list[dict[str, Any]]:
    """The open cases most like ``case`` in its district (public or not): the duplicates a
    coordinator may merge it into; a county coordinator's (``scope``) among their own."""
    found = _matches(
        _report_of(case),
        case.district,
        now,
        keep=lambda c: c.case_id != case.case_id and c.state in OPEN and in_scope(c.holder, scope),
    )
    return [
        {
            "case_id": other.case_id,
            "title": other.title,
            "state": other.state.value,
            "state_label": STATE_LABELS[other.state],
            "created_at": iso(other.created_at),
            "lead": other.lead.name if other.lead else None,
            "distance_m": round(match.distance_m) if match.distance_m is not None else None,
            "similarity": round(match.similarity, 2),
        }
        for other, match in found
    ]
