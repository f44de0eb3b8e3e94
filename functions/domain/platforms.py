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

CITY = "city"  # the city platform: the holder of every case no county platform holds
CITY_LABEL = "市级平台"


class Triage(StrEnum):
    COUNTY = "county_triage"  # the county platform triages its districts' cases
    CITY = "city_triage"  # the city triages them and hands them down


@dataclass(frozen=True)
class Platform:
    """A county platform (分平台): its unit id, name, the districts it covers, who triages its
    districts' new cases, and the categories whose triage the city keeps anyway."""

    id: str
    name: str
    districts: tuple[str, ...]
    triage: Triage = Triage.COUNTY
    city_categories: frozenset[str] = frozenset()


def platform_of_district(platforms: Iterable[Platform], district: str) -> Platform | None:
    return next((p for p in platforms if district in p.districts), None)


def route(platforms: Iterable[Platform], district: str, category: str) -> str:
    """The platform a new case in ``district`` and ``category`` goes to (its holder)."""
    county = platform_of_district(platforms, district)
    if county is None or county.triage == Triage.CITY or category in county.city_categories:
        return CITY
    return county.id


def in_scope(holder: str, scope: str | None) -> bool:
    """Whether someone scoped to ``scope`` (a county platform; None: the whole city) may see
    and act on a case ``holder`` holds."""
    return scope is None or holder == scope
