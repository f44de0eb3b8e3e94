"""The admin's use cases on the deployment settings deadlines follow: the working-day
calendar's overrides and the SLA policy. A read shows what is in force (defaults where
nothing is stored); a write checks the whole document, replaces it and records who wrote it
when. New deadlines follow at once in this process and within a minute everywhere; deadlines
already set stay as they were computed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain.calendar_settings import CalendarSettings, parse_calendar
from functions.domain.errors import FieldError, InvalidRequest
from functions.domain.policy import DEFAULT_POLICY, SlaPolicy, parse_policy, policy_to_dict
from functions.domain.support import (
    DEFAULT_THRESHOLDS,
    MAX_WINDOW_DAYS,
    SupportThresholds,
    parse_thresholds,
    thresholds_to_dict,
)
from functions.services.staff_auth import StaffSession
from functions.settings import settings
from functions.storage import config_repo
from functions.storage.config_repo import Document


def _refuse(problems: list[FieldError]) -> InvalidRequest:
    return InvalidRequest(
        "请求内容有误，请检查标出的字段", "The request is invalid", "validation_failed", problems
    )


def _record(doc: Document) -> dict[str, Any]:
    return {"updated_by": doc.updated_by, "updated_at": doc.updated_at}


def official_data(now: datetime) -> dict[str, Any]:
    """What the installed ``holidays`` package knows: the last year (of the few around now)
    with published make-up workdays (调休), the sign that the State Council's schedule for
    that year is in the package. Read from the calendar table generated from the pinned
    package (tests/unit/test_calendar_table.py keeps the two equal) when it holds those
    years, so this page does not import the package either."""
    from functions.domain.calendar_table import HOLIDAYS_VERSION, YEARS

    years = range(now.year - 1, now.year + 3)
    if not all(year in YEARS for year in years):
        return official_data_from_package(now)
    published = [year for year in years if YEARS[year][1]]
    return {
        "holidays_version": HOLIDAYS_VERSION,
        "make_up_workdays_through": max(published) if published else None,
    }


def official_data_from_package(now: datetime) -> dict[str, Any]:
    """``official_data`` as the installed package answers it."""
    from importlib.metadata import version

    import holidays  # lazy: only this admin page needs it

    years = list(range(now.year - 1, now.year + 3))
    china = holidays.country_holidays("CN", years=years)
    published = [d.year for d in getattr(china, "weekend_workdays", ())]
    return {
        "holidays_version": version("holidays"),
        "make_up_workdays_through": max(published) if published else None,
    }


def _calendar(overrides: CalendarSettings, doc: Document, now: datetime) -> dict[str, Any]:
    default = settings().calendar_confirmed_through
    confirmed = overrides.confirmed_through
    return {
        **overrides.to_dict(),
        "confirmed_through": default if confirmed is None else confirmed,
        "confirmed_through_default": default,  # the setting, when the document names no year
        "official": official_data(now),
        **_record(doc),
    }


def calendar_view(now: datetime) -> dict[str, Any]:
    return _calendar(*config_repo.calendar_document(), now)


def update_calendar(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    overrides, problems = parse_calendar(body)
    if problems:
        raise _refuse(problems)
    return _calendar(overrides, config_repo.put_calendar(overrides, by=session.email, now=now), now)


def _policy(policy: SlaPolicy, doc: Document) -> dict[str, Any]:
    return {**policy_to_dict(policy), "defaults": policy_to_dict(DEFAULT_POLICY), **_record(doc)}


def policy_view() -> dict[str, Any]:
    return _policy(*config_repo.policy_document())


def update_policy(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    policy, problems = parse_policy(body)
    if problems:
        raise _refuse(problems)
    return _policy(policy, config_repo.put_policy(policy, by=session.email, now=now))


def _thresholds(thresholds: SupportThresholds, doc: Document) -> dict[str, Any]:
    return {
        **thresholds_to_dict(thresholds),
        "defaults": thresholds_to_dict(DEFAULT_THRESHOLDS),
        "max_window_days": MAX_WINDOW_DAYS,
        **_record(doc),
    }


def support_thresholds_view() -> dict[str, Any]:
    return _thresholds(*config_repo.support_thresholds_document())


def update_support_thresholds(
    body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """附议 thresholds: the whole document, checked (each category one of the taxonomy, the
    leader's threshold above the 群众关注 one); 400 naming each field that is wrong."""
    from functions.storage import directory

    known = {code for code, _ in directory.taxonomy().categories}
    thresholds, problems = parse_thresholds(body, known)
    if problems:
        raise _refuse(problems)
    doc = config_repo.put_support_thresholds(thresholds, by=session.email, now=now)
    return _thresholds(thresholds, doc)


BOUNDARIES_STORED_MAX = 350 * 1024  # a settings item must stay under DynamoDB's 400 KB


def update_boundaries(
    collection: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """Check the FeatureCollection (each feature a district of the taxonomy, once, with a
    readable polygon), name each feature after its district, and store it."""
    import json

    from functions.domain import geo
    from functions.domain.errors import TooLarge
    from functions.storage import boundaries, directory

    known = dict(directory.taxonomy().districts)
    problems: list[FieldError] = []
    seen: set[str] = set()
    for n, feature in enumerate(collection["features"]):
        code = feature["properties"]["code"]
        field = f"features[{n}].properties.code"
        if code not in known or code == "city":
            problems.append(
                FieldError(field, f"区县代码 {code} 不在区县列表中", f"unknown district {code}")
            )
        elif code in seen:
            problems.append(FieldError(field, f"区县 {code} 重复", f"district {code} twice"))
        else:
            feature["properties"]["name"] = known[code]
        seen.add(code)
        named = {**feature, "properties": {"code": code, "name": known.get(code, code)}}
        try:
            geo.boundaries({"type": "FeatureCollection", "features": [named]})
        except ValueError as bad:
            problems.append(
                FieldError(
                    f"features[{n}].geometry",
                    "边界坐标不正确：应为 [经度, 纬度] 组成的闭合环",
                    str(bad),
                )
            )
    if problems:
        raise _refuse(problems)
    if len(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()) > (
        BOUNDARIES_STORED_MAX
    ):
        raise TooLarge(
            "边界数据过大（超过 350 KB），请先简化边界（如用 mapshaper 简化）后再上传",
            "the boundaries exceed 350 KB stored: simplify them first",
            "too_large",
        )
    boundaries.put(collection, by=session.email, now=now)
    return collection


def _place_categories(record: dict[str, Any]) -> dict[str, Any]:
    from functions.storage import directory

    tax = directory.taxonomy()
    return {
        "categories": [
            {"code": code, "label": label, "needs_place": code in tax.place_categories}
            for code, label in tax.categories
        ],
        "updated_by": record.get("by"),
        "updated_at": record.get("at"),
    }


def place_categories_view() -> dict[str, Any]:
    from functions.storage import directory

    return _place_categories(directory.place_categories_record())


def update_place_categories(
    body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """Which categories' 投诉 and 求助 need a place (an address or a point): the whole list,
    replacing the marks; each a category of the taxonomy."""
    from functions.storage import directory
    from functions.storage.codec import iso

    known = {code for code, _ in directory.taxonomy().categories}
    problems = [
        FieldError(
            f"categories[{n}]", f"分类代码 {code} 不在分类列表中", f"unknown category {code}"
        )
        for n, code in enumerate(body["categories"])
        if code not in known
    ]
    if problems:
        raise _refuse(problems)
    stored = directory.put_place_categories(
        frozenset(body["categories"]), by=session.email, at=iso(now)
    )
    return _place_categories(stored["place_categories_updated"])
