"""领导驾驶舱 (§16): the city's figures for a window of days, from the pre-aggregated daily
tallies (functions/domain/dashboard.py; no case is read), the overdue cases by unit from the
overdue lists' own index, and the current 舆情 hotspots; and the cases behind any figure.

Who sees what: coordinators, admins and leaders the whole city (or one district); a county
coordinator its platform's districts (another district: 404, as for its cases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from functions.domain import dashboard as series_rules
from functions.domain.calendar import local_date
from functions.domain.errors import FieldError, NotFound, invalid_field, invalid_fields
from functions.domain.taxonomy import CHANNEL_LABELS, KIND_LABELS
from functions.storage import cases_repo, dashboard_repo, directory
from functions.storage.paging import PAGE_SIZE

DEFAULT_DAYS = 30
WEEKLY_AFTER = 62  # a window longer than this many days is charted by week
DRILL_QUERIES = 60  # day-partition Queries one page of the cases behind a figure may read
CASES_PATH = "/api/staff/dashboard/cases"

SERIES_LABELS = {
    "intake": "受理量",
    "replied": "答复",
    "replied_on_time": "按时答复",
    "replied_late": "超时答复",
    "closed": "办结",
    "closed_resolved": "办结（已解决）",
    "closed_satisfied": "办结（满意）",
    "closed_unsatisfied": "办结（不满意）",
    "reopened": "重办",
}


def _day(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_field(name, "日期格式应为 YYYY-MM-DD", f"{name}: a date YYYY-MM-DD") from None


def _window(start: str | None, end: str | None, now: datetime) -> tuple[date, date]:
    """``from``/``to`` (inclusive, Shanghai days); by default the last 30 days to today."""
    to = _day("to", end) or local_date(now)
    frm = _day("from", start) or to - timedelta(days=DEFAULT_DAYS - 1)
    problems = []
    if frm > to:
        problems.append(FieldError("from", "开始日期不能晚于结束日期", "from must not be after to"))
    elif (to - frm).days + 1 > series_rules.MAX_DAYS:
        problems.append(
            FieldError("from", "一次最多查看 366 天", f"at most {series_rules.MAX_DAYS} days")
        )
    if problems:
        raise invalid_fields(problems)
    return frm, to


def _districts(district: str | None, scope: str | None) -> tuple[list[str] | None, list[str]]:
    """The districts the figures cover (None: the whole city) and those the caller may pick."""
    known = [code for code, _ in directory.taxonomy().districts]
    allowed = known
    if scope is not None:
        platform = directory.platform(scope)
        allowed = [d for d in known if platform is not None and d in platform.districts]
    if district:
        if district not in known:
            raise invalid_field("district", "没有这个区域", "unknown district")
        if district not in allowed:
            raise NotFound(
                "没有这个区域", "no such district on this platform", "district_not_found"
            )
        return [district], allowed
    return (None if scope is None else allowed), allowed


def _link(**params: str | None) -> str:
    return f"{CASES_PATH}?{urlencode({k: v for k, v in params.items() if v})}"


def _hotspots(now: datetime, districts: Sequence[str] | None) -> list[dict[str, Any]]:
    """The current 舆情 hotspots (the warnings of the last 7 days: terms, district, trend and
    the cases behind each), read from the stored warnings, never computed here."""
    from functions.services import hotspot_warnings

    return hotspot_warnings.current(now, districts=districts)


def figures(
    start: str | None,
    end: str | None,
    district: str | None,
    now: datetime,
    *,
    scope: str | None = None,
) -> dict[str, Any]:
    frm, to = _window(start, end, now)
    chosen, allowed = _districts(district, scope)
    tax = directory.taxonomy()
    days = series_rules.days(frm, to)
    tallies = dashboard_repo.tallies(series_rules.months(frm, to), days[0], days[-1])
    by_day: dict[str, dict[str, int]] = {d: {} for d in days}
    by_district: dict[str, int] = {}
    totals: dict[str, int] = {}
    for (day, where), counts in tallies.items():
        if day not in by_day or (chosen is not None and where not in chosen):
            continue
        series_rules.add_into(by_day[day], counts)
        series_rules.add_into(totals, counts)
        by_district[where] = by_district.get(where, 0) + counts.get("intake", 0)
    weekly = len(days) > WEEKLY_AFTER
    by_week: dict[str, dict[str, int]] = {}
    for day in days:
        series_rules.add_into(by_week.setdefault(series_rules.week_start(day), {}), by_day[day])
    window = {"from": frm.isoformat(), "to": to.isoformat(), "district": district}

    def breakdown(dimension: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        codes = dict(labels)
        prefix = f"{dimension}:"
        for name in totals:
            if name.startswith(prefix):
                codes.setdefault(name[len(prefix) :], name[len(prefix) :])
        return [
            {
                "code": code,
                "label": label,
                "n": totals.get(prefix + code, 0),
                "cases": _link(**window, series=prefix + code),
            }
            for code, label in codes.items()
        ]

    def row(key: str, name: str, counts: dict[str, int]) -> dict[str, Any]:
        return {key: name, "counts": counts, "rates": series_rules.rates(counts)}

    overdue = _overdue(scope, chosen)
    return {
        **window,
        "districts": [{"code": c, "label": tax.district_label(c)} for c in allowed],
        "granularity": "week" if weekly else "day",
        "series_labels": SERIES_LABELS,
        "totals": {
            "counts": {name: totals.get(name, 0) for name in series_rules.FIXED_SERIES},
            "rates": series_rules.rates(totals),
            "cases": {name: _link(**window, series=name) for name in series_rules.FIXED_SERIES},
        },
        "days": [row("day", d, by_day[d]) for d in days],
        "weeks": [row("week", w, counts) for w, counts in by_week.items()],
        "intake": {
            "channel": breakdown("channel", {str(k): v for k, v in CHANNEL_LABELS.items()}),
            "kind": breakdown("kind", {str(k): v for k, v in KIND_LABELS.items()}),
            "category": breakdown("category", dict(tax.categories)),
            "district": [
                {
                    "code": code,
                    "label": tax.district_label(code),
                    "n": by_district.get(code, 0),
                    "cases": _link(**{**window, "district": code}, series="intake"),
                }
                for code in (chosen if chosen is not None else allowed)
            ],
        },
        "overdue": overdue,
        "hotspots": _hotspots(now, chosen),
        "cases_path": CASES_PATH,
    }


def _overdue(scope: str | None, districts: list[str] | None) -> dict[str, Any]:
    """Overdue cases by lead unit (黄牌 and 红牌 on a running deadline), from the sparse
    ``cards`` index the 督办 lists read: as many index items as overdue cases, never a scan."""
    yellow, cut_y = dashboard_repo.overdue_by_lead("yellow", holder=scope, districts=districts)
    red, cut_r = dashboard_repo.overdue_by_lead("red", holder=scope, districts=districts)
    units = directory.departments()
    rows: list[dict[str, Any]] = [
        {
            "id": unit,
            "name": units[unit].name if unit in units else unit,
            "yellow": yellow.get(unit, 0),
            "red": red.get(unit, 0),
            "cases": {
                "yellow": f"/api/staff/overdue?{urlencode({'card': 'yellow', 'department': unit})}",
                "red": f"/api/staff/overdue?{urlencode({'card': 'red', 'department': unit})}",
            },
        }
        for unit in {*yellow, *red}
    ]
    rows.sort(key=lambda r: (-(r["yellow"] + r["red"]), -r["red"], r["name"]))
    return {"units": rows, "truncated": cut_y or cut_r}


def _cursor(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    day, sep, case_id = value.partition("|")
    try:
        date.fromisoformat(day)
    except ValueError:
        sep = ""
    if not sep:
        raise invalid_field("cursor", "分页参数无效", "cursor: <day>|<case id>")
    return day, case_id


def cases(
    start: str | None,
    end: str | None,
    district: str | None,
    series: str | None,
    cursor: str | None,
    now: datetime,
    *,
    scope: str | None = None,
) -> dict[str, Any]:
    """The cases behind a figure: those counted in ``series`` on the window's days (in the
    district, or the caller's districts), oldest day first; a page of case summaries
    (``StaffCaseSummary``: no contact data) and the cursor of the next."""
    from functions.services import presenters

    family = series_rules.family(series or "")
    if family is None:
        raise invalid_field("series", "请选择要查看的数字", "series: a series of the dashboard")
    frm, to = _window(start, end, now)
    chosen, _ = _districts(district, scope)
    assert series is not None
    ids, following = dashboard_repo.entries(
        series_rules.days(frm, to),
        family,
        series,
        chosen,
        after=_cursor(cursor),
        limit=PAGE_SIZE,
        max_queries=DRILL_QUERIES,
    )
    found = cases_repo.get_many(ids)
    tax = directory.taxonomy()
    return {
        "series": series,
        "items": [presenters.staff_summary(found[i], tax, now) for i in ids if i in found],
        "next_cursor": f"{following[0]}|{following[1]}" if following else None,
    }
