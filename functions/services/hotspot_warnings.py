"""舆情预警 as the console lists them (``GET /api/staff/hotspots``): the warnings the
``hotspots`` job raised (functions/services/hotspots.py), by day, district and category. Reads
only the warnings table (one Query per month of the window) and never imports the
segmentation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from functions.domain.calendar import SHANGHAI
from functions.domain.errors import invalid_field
from functions.storage import directory, hotspots_repo
from functions.storage.codec import iso
from functions.storage.hotspots_repo import ALL_CATEGORIES, WarningRecord

MAX_SPAN_DAYS = 93  # the longest window
SEVERAL = "多个类别"  # a burst spread over categories (the district's all-categories series)


def _date(name: str, value: str | None, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_field(name, "日期格式应为 YYYY-MM-DD", "expected YYYY-MM-DD") from None


def _months(start: date, end: date) -> list[str]:
    months, d = [], start.replace(day=1)
    while d <= end:
        months.append(d.isoformat()[:7])
        d = (d + timedelta(days=32)).replace(day=1)
    return months


def warnings_between(
    filters: dict[str, str], now: datetime, *, scope: str | None
) -> dict[str, Any]:
    """舆情预警 raised in ``[from, to]`` (days, Shanghai; default the last 7 days), of one
    ``district`` / ``category`` when given; a county coordinator (``scope``) sees its
    platform's districts only. One Query per month of the window."""
    today = now.astimezone(SHANGHAI).date()
    end = _date("to", filters.get("to"), today)
    start = _date("from", filters.get("from"), end - timedelta(days=6))
    if start > end:
        raise invalid_field("from", "开始日期晚于结束日期", "from is after to")
    if (end - start).days >= MAX_SPAN_DAYS:
        raise invalid_field(
            "to", f"时间跨度不超过 {MAX_SPAN_DAYS} 天", f"at most {MAX_SPAN_DAYS} days"
        )
    allowed: set[str] | None = None
    if scope is not None:
        county = directory.platform(scope)
        allowed = set(county.districts) if county else set()
    taxonomy = directory.taxonomy()
    items = []
    for month in _months(start, end):
        for w in hotspots_repo.warnings(month, start.isoformat(), f"{end.isoformat()}#~"):
            if allowed is not None and w.district not in allowed:
                continue
            if filters.get("district") and w.district != filters["district"]:
                continue
            if filters.get("category") and w.category != filters["category"]:
                continue
            items.append(_view(w, taxonomy))
    items.sort(key=lambda w: (w["day"], w["raised_at"]), reverse=True)
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items}


def current(now: datetime, *, districts: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The 舆情预警 of the last 7 days (the dashboard's current hotspots), of ``districts``
    when given (a county coordinator's), newest first."""
    found = warnings_between({}, now, scope=None)["items"]
    return [w for w in found if districts is None or w["district"] in districts]


def _view(w: WarningRecord, taxonomy: directory.Taxonomy) -> dict[str, Any]:
    from functions.services.common import staff_case_url

    return {
        "id": f"{w.month}/{w.key}",
        "day": w.day,
        "district": w.district,
        "district_label": taxonomy.district_label(w.district),
        "category": w.category,
        "category_label": (
            SEVERAL if w.category == ALL_CATEGORIES else taxonomy.category_label(w.category)
        ),
        "terms": list(w.terms),
        "count": w.count,
        "baseline": round(w.baseline, 2),
        "p_value": w.p_value,
        "trend": w.trend,
        "cases": [{**c, "url": staff_case_url(c["case_id"])} for c in w.cases],
        "raised_at": iso(w.raised_at),
        "updated_at": iso(w.updated_at),
    }
