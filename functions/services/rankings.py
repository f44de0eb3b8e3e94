"""亮晒比: the month's ranking (frozen when published, month-to-date otherwise), its CSV, and
the job that freezes last month's ranking on the 1st."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from functions.domain import rankings
from functions.domain.cases import month_key
from functions.domain.errors import FieldError, NotFound, invalid_fields
from functions.domain.platforms import CITY, Platform
from functions.services import presenters
from functions.storage import cases_repo, config_repo, directory, rankings_repo

BAD_MONTH = FieldError("month", "月份格式应为 YYYY-MM", "month must be YYYY-MM")


def _refuse(problems: list[FieldError]) -> None:
    if problems:
        raise invalid_fields(problems)


def _units(platforms: list[Platform]) -> list[rankings.Unit]:
    """The directory's handling units with the platform each counts under: a county
    platform's, the city's, or None (a unit in a district no platform covers counts in that
    district's county, as before county platforms)."""
    covered = {d for p in platforms for d in p.districts}
    return [
        rankings.Unit(
            d.id,
            d.name,
            d.district,
            d.platform
            if d.platform != CITY or d.district in covered or d.district == rankings.CITY_LEVEL
            else None,
        )
        for d in directory.departments().values()
    ]


def _computed(
    month: str,
    previous: dict[str, Any] | None,
    frozen_at: datetime | None = None,
    county: Platform | None = None,
) -> dict[str, Any]:
    """The month's ranking from its counters: one query of the month's tallies (one item per
    unit of the city) whichever ranking is asked for."""
    platforms = directory.platforms()
    policy = config_repo.ranking_policy()
    tallies = rankings_repo.month_tallies(month)
    if county is not None:
        return rankings.county_ranking(
            month,
            tallies,
            _units(platforms),
            county,
            policy=policy,
            previous=previous,
            frozen_at=frozen_at,
        )
    return rankings.ranking(
        month,
        tallies,
        _units(platforms),
        dict(directory.taxonomy().districts),
        policy=policy,
        previous=previous,
        frozen_at=frozen_at,
        platforms=platforms,
    )


def _previous(month: str, county: Platform | None = None) -> dict[str, Any] | None:
    before = rankings.previous_month(month)
    key = county.id if county else None
    return rankings_repo.frozen(before, key) or _computed(before, None, county=county)


def _county(county: str | None) -> Platform | None:
    if county is None:
        return None
    found = directory.platform(county)
    _refuse(
        []
        if found is not None
        else [FieldError("county", "没有这个区县平台", "county: a county platform's id")]
    )
    return found


def ranking(month: str | None, now: datetime, county: str | None = None) -> dict[str, Any]:
    """``month`` (YYYY-MM) or, by default, last month; the city's ranking, or with ``county``
    (a county platform's id) that county's own ranking of its units. A frozen month is served
    as it was published; the current month (and a past month not yet frozen) is computed
    from the counters, month to date."""
    current = month_key(now)
    wanted = month or rankings.previous_month(current)
    _refuse([] if rankings.is_month(wanted) else [BAD_MONTH])
    platform = _county(county)
    if wanted > current:
        raise NotFound("该月份尚未开始", "that month has not begun", "month_not_started")
    document = rankings_repo.frozen(wanted, county)
    if document is None:
        document = _computed(wanted, _previous(wanted, platform), county=platform)
    document["month_to_date"] = wanted == current
    # The county pages there are today (a frozen month's document names none).
    document["platforms"] = [{"id": p.id, "name": p.name} for p in directory.platforms()]
    return document


def freeze_last_month(now: datetime) -> dict[str, Any]:
    """The ``rankings`` job: publish last month's ranking once, the city's and each county
    platform's own (re-runs change nothing; a run cut short is finished by the next)."""
    month = rankings.previous_month(month_key(now))
    counties = []
    for platform in directory.platforms():
        if rankings_repo.frozen(month, platform.id) is None:
            document = _computed(month, _previous(month, platform), now, platform)
            if rankings_repo.freeze(month, document, now, platform.id):
                counties.append(platform.id)
    more = {"counties": counties} if counties else {}
    if rankings_repo.frozen(month) is not None:
        return {"month": month, "frozen": False, "already": True, **more}
    document = _computed(month, _previous(month), frozen_at=now)
    return {"month": month, "frozen": rankings_repo.freeze(month, document, now), **more}


CSV_COLUMNS = (
    ("group", "分组"),
    ("rank", "名次"),
    ("id", "单位编码"),
    ("name", "单位"),
    ("assigned", "办理量"),
    ("signed_on_time_rate", "按时签收率"),
    ("replied_on_time_rate", "按时答复率"),
    ("closed_rate", "办结率"),
    ("satisfied_rate", "满意率"),
    ("reopened_rate", "重办率"),
    ("returned_rate", "退回率"),
    ("average_reply_days", "平均答复用时（工作日）"),
    ("score", "综合得分"),
    ("sample_too_small", "样本不足"),
    ("talk", "约谈"),
)


def as_csv(document: dict[str, Any]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # spreadsheet programs read the BOM as "this is UTF-8"
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for group, label in (("departments", "部门"), ("counties", "区县"), ("units", "单位")):
        for row in document.get(group, []):
            values = {**row, "group": label}
            writer.writerow(
                [
                    ("是" if values[k] else "")
                    if isinstance(values.get(k), bool)
                    else ("" if values.get(k) is None else values[k])
                    for k, _ in CSV_COLUMNS
                ]
            )
    return out.getvalue()


# --- drill-down: the cases behind a figure ---------------------------------------------------

METRICS: dict[str, tuple[str, Any]] = {
    "assigned": ("交办", lambda t: t.assigned > 0),
    "signed_on_time": ("按时签收", lambda t: t.signed_on_time > 0),
    "signed_late": ("超时签收", lambda t: t.signed > t.signed_on_time),
    "replied_on_time": ("按时答复", lambda t: t.replied_on_time > 0),
    "replied_late": ("超时答复", lambda t: t.replied > t.replied_on_time),
    "closed": ("已办结", lambda t: t.closed > 0),
    "not_closed": ("未办结", lambda t: t.assigned > 0 and t.closed == 0),
    "satisfied": ("满意或基本满意", lambda t: t.satisfied > 0),
    "unsatisfied": ("不满意", lambda t: t.rated > t.satisfied),
    "reopened": ("重办", lambda t: t.reopened > 0),
    "returned": ("退回改派", lambda t: t.returned > 0),
}
DRILL_LIMIT = 200


def cases_behind(
    month: str | None,
    unit: str | None,
    metric: str | None,
    now: datetime,
    *,
    public: bool,
    county: str | None = None,
) -> dict[str, Any]:
    """The cases a unit-month figure counts: a unit's cohort (a city department, or a unit of
    a county's own ranking), or a county's (its units' cohorts: a county platform's units, or
    a district's as before platforms). The public sees the public cases among them; staff
    see all; a county platform's coordinator (``county``) only its platform's and its units'
    figures (any other: 404, as for its cases)."""
    departments = directory.departments()
    if county is not None and unit != county:
        own = departments.get(unit or "")
        if own is None or own.platform != county:
            raise NotFound("没有这个单位", "no such unit on this platform", "unit_not_found")
    tax = directory.taxonomy()
    platforms = {p.id: p for p in directory.platforms()}
    counties = {code for code, _ in tax.districts if code != rankings.CITY_LEVEL} | {*platforms}
    _refuse(
        ([] if rankings.is_month(month) else [BAD_MONTH])
        + (
            []
            if metric in METRICS
            else [FieldError("metric", "请选择要查看的指标", f"metric: one of {list(METRICS)}")]
        )
        + (
            []
            if unit in departments or unit in counties
            else [FieldError("unit", "没有这个单位或区县", "unknown department or county")]
        )
    )
    assert month is not None and unit is not None and metric is not None
    label, counts = METRICS[metric]
    if unit in departments:
        members, name = [unit], departments[unit].name
    elif unit in platforms:
        members = [d.id for d in departments.values() if d.platform == unit]
        name = rankings.county_label(platforms[unit], dict(tax.districts))
    else:
        members = [d.id for d in departments.values() if d.district == unit]
        name = tax.district_label(unit)
    chosen: list[str] = []
    for member in members:
        shares = rankings_repo.cohort_cases(member, month)
        chosen += [case_id for case_id, share in shares.items() if counts(share)]
    found = cases_repo.get_many(sorted(chosen)[: DRILL_LIMIT * (3 if public else 1)])
    shown = [c for c in found.values() if c.is_public] if public else list(found.values())
    shown.sort(key=lambda c: c.created_at, reverse=True)
    shape = presenters.summary if public else presenters.staff_summary
    return {
        "month": month,
        "unit": {"id": unit, "name": name},
        "metric": metric,
        "metric_label": label,
        "total": len(chosen),  # every case behind the figure, public or not
        "items": [shape(c, tax, now) for c in shown[:DRILL_LIMIT]],
        "truncated": len(shown) > DRILL_LIMIT,
    }
