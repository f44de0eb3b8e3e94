"""1+8+N (§15): one city platform (总平台), a platform in each county or district (分平台), and
the handling units under the city or one county. A case is held by one platform at a time
(``Case.holder``: ``CITY`` or a county platform's id); a county coordinator's scope is their
platform, and the cases it holds are all they see.

Where a new case goes first (``route``): to the county platform of its district, unless that
county leaves triage to the city (``city_triage``) or the city keeps triage of the case's
category; otherwise, and where no county platform covers the district, to the city."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from functions.domain.cases import Case

CITY = "city"  # the city platform: the holder of every case no county platform holds
CITY_LABEL = "市级平台"


class TriageMode(StrEnum):
    COUNTY = "county_triage"  # the county platform triages its districts' cases
    CITY = "city_triage"  # the city triages them and hands them down


@dataclass(frozen=True)
class Platform:
    """A county platform (分平台): its unit id, name, the districts it covers, who triages its
    districts' new cases, and the categories whose triage the city keeps anyway."""

    id: str
    name: str
    districts: tuple[str, ...]
    triage: TriageMode = TriageMode.COUNTY
    city_categories: frozenset[str] = frozenset()


def platform_of_district(platforms: Iterable[Platform], district: str) -> Platform | None:
    return next((p for p in platforms if district in p.districts), None)


def route(platforms: Iterable[Platform], district: str, category: str) -> str:
    """The platform a new case in ``district`` and ``category`` goes to (its holder)."""
    county = platform_of_district(platforms, district)
    if county is None or county.triage == TriageMode.CITY or category in county.city_categories:
        return CITY
    return county.id


def in_scope(holder: str, scope: str | None) -> bool:
    """Whether someone scoped to ``scope`` (a county platform; None: the whole city) may see
    and act on a case ``holder`` holds."""
    return scope is None or holder == scope


# What the platform's own 受理 ladder calls a platform in its events and lists (the domain
# does not know a county platform's name; the service layer does).
PLATFORM_LABELS = {CITY: "总平台"}
COUNTY_LABEL = "县（区）平台"


def holding_platform(case: Case) -> str:
    """The platform that holds ``case``: whose coordinators must 受理 it, whose own 受理
    deadline runs (functions/services/platforms.py ``holder_coordinators``)."""
    return case.holder


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, COUNTY_LABEL)
