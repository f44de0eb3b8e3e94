"""约谈 records (§16, issue 18 §5): a coordinator records the 约谈 of a unit the frozen ranking
flags (the city's coordinators any flagged unit or county, a county platform's coordinators
only the units of its own ranking); the unit reports its rectification through its desk link;
the rankings page, the desk and the next 通报 show the record and its outcome. The rules are
in functions/domain/talks.py, the records in functions/storage/talks_repo.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.domain import rankings
from functions.domain import talks as rules
from functions.domain.errors import FieldError, NotFound, invalid_fields
from functions.domain.platforms import CITY
from functions.storage import directory, rankings_repo, talks_repo

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

BULLETIN_MONTHS = 12  # the flag months a 通报 looks back over for records still open


def _no_unit() -> NotFound:
    return NotFound("没有这个单位", "no such unit on this platform", "unit_not_found")


def _ranking_of(unit: str, county: str | None) -> str:
    """Which ranking ranks ``unit``: a county platform's own (its units), else the city's (a
    city department, or a county as a whole). A county coordinator (``county``) may only act
    on its own units (anything else: 404, as for its cases)."""
    department = directory.department(unit)
    platforms = {p.id for p in directory.platforms()}
    if department is not None and department.platform in platforms:
        if county is not None and department.platform != county:
            raise _no_unit()
        return department.platform
    if county is not None:
        raise _no_unit()
    districts = {code for code, _ in directory.taxonomy().districts}
    if department is None and unit not in platforms and unit not in districts:
        raise _no_unit()
    return CITY


def _month(month: str | None) -> str:
    if not rankings.is_month(month):
        raise invalid_fields([FieldError("month", "月份格式应为 YYYY-MM", "month must be YYYY-MM")])
    assert month is not None
    return month


def record(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    """Record the 约谈 of ``body['unit']`` flagged by the frozen ranking of ``body['month']``:
    404 ``ranking_not_frozen`` / ``unit_not_found``, 409 ``not_flagged`` / ``talk_exists``."""
    month, unit = _month(body["month"]), body["unit"]
    ranking = _ranking_of(unit, session.county)
    document = rankings_repo.frozen(month, None if ranking == CITY else ranking)
    if document is None:
        raise NotFound(
            "该月排名尚未发布，不能记录约谈",
            "that month's ranking is not frozen yet",
            "ranking_not_frozen",
        )
    talk = rules.record(
        month=month,
        unit=unit,
        ranking=ranking,
        document=document,
        body=body,
        by=session.email,
        by_name=session.name,
        now=now,
    )
    talks_repo.save(talk)
    return rules.staff_view(talk, now)


def listing(month: str | None, session: StaffSession, now: datetime) -> dict[str, Any]:
    """The records of a flag month with their history; a county coordinator's, its units'."""
    wanted = _month(month or rankings.previous_month(_now_month(now)))
    found = talks_repo.of_month(wanted)
    if session.county is not None:
        found = [t for t in found if t.ranking == session.county]
    return {"month": wanted, "items": [rules.staff_view(t, now) for t in found]}


def _now_month(now: datetime) -> str:
    from functions.domain.cases import month_key

    return month_key(now)


def for_ranking(month: str, county: str | None, now: datetime) -> list[dict[str, Any]]:
    """The records a ranking page shows beside the month's flags: the city's ranking shows
    every record of the month, a county's its own units'."""
    found = talks_repo.of_month(month)
    if county is not None:
        found = [t for t in found if t.ranking == county]
    return [rules.public_view(t, now) for t in found]


def for_desk(unit: str, now: datetime) -> list[dict[str, Any]]:
    """The unit's records for its desk, the open ones (awaiting its report) first."""
    found = talks_repo.of_unit(unit)
    found.sort(key=lambda t: (t.rectification is not None, t.rectify_by))
    return [rules.public_view(t, now) for t in found]


def report(token: str | None, talk_id: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The unit reports its rectification through its desk link (401/410 as the desk): 404
    ``talk_not_found`` for a record that is not the unit's, 409 ``rectification_reported``
    for a second report."""
    from functions.services import desk

    unit = desk.unit_of(token, now)
    key = rules.parse_id(talk_id)
    talk = talks_repo.get(*key) if key is not None else None
    if talk is None or talk.unit != unit.id:
        raise NotFound("没有这条约谈记录", "no such 约谈 record for this unit", "talk_not_found")
    changed = rules.report_rectification(
        talk, body["text"], by=f"desk:{unit.id}", by_name=unit.name, now=now
    )
    talks_repo.save(changed)
    return rules.public_view(changed, now)


def for_bulletin(month: str, now: datetime) -> list[rules.Talk]:
    """The records the 通报 of ``month`` lists (functions/domain/talks.py ``in_bulletin``):
    one Query per flag month over the last year, in the monthly job only."""
    months = [month]
    for _ in range(BULLETIN_MONTHS - 1):
        months.append(rankings.previous_month(months[-1]))
    found = [t for m in months for t in talks_repo.of_month(m)]
    return rules.in_bulletin(found, month, now)
