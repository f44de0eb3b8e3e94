"""Working-day calendar for petition deadlines (mainland China, Asia/Shanghai).

Official days off and weekend make-up workdays (调休) come from the
``holidays`` package's China calendar: for the years of ``calendar_table``, as
that table holds what the pinned package computes (so a request does not import
the package); for any other year, from the package, imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "Deadline",
    "OfficeHours",
    "WorkCalendar",
    "local_date",
    "to_utc",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

_END_OF_DAY = time(23, 59, 59)
_ONE_DAY = timedelta(days=1)


def _require_aware(instant: datetime, name: str = "instant") -> None:
    """Raise ValueError unless ``instant`` is timezone-aware."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")


def to_utc(instant: datetime) -> datetime:
    """Return the aware ``instant`` converted to UTC."""
    _require_aware(instant)
    return instant.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """Return the Asia/Shanghai calendar date of the aware ``instant``."""
    _require_aware(instant)
    return instant.astimezone(SHANGHAI).date()


@cache
def _official_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Return (days off, make-up workdays) in ``year`` per the holidays package: from the
    generated table when it holds the year, else computed."""
    from functions.domain.calendar_table import YEARS

    if year not in YEARS:
        return computed_year(year)
    days_off, workdays = YEARS[year]
    return _dates(year, days_off), _dates(year, workdays)


def _dates(year: int, days: str) -> frozenset[date]:
    return frozenset(date(year, int(d[:2]), int(d[2:])) for d in days.split())


def computed_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Return (days off, make-up workdays) in ``year`` as the holidays package computes them
    (what ``calendar_table`` holds for its years)."""
    from holidays import country_holidays  # lazy: hundreds of modules

    # Neighbouring years are included because a year's arrangement can place
    # days off / make-up workdays across the new-year boundary.
    years = [y for y in (year - 1, year, year + 1) if MINYEAR <= y <= MAXYEAR]
    china = country_holidays("CN", years=years)  # == holidays.China
    days_off = frozenset(d for d in china if d.year == year)
    workdays = frozenset(d for d in china.weekend_workdays if d.year == year)
    return days_off, workdays


def _as_date_set(days: Iterable[date], name: str) -> frozenset[date]:
    """Freeze ``days`` into a set of plain dates (datetimes are rejected)."""
    result = frozenset(days)
    for day in result:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"{name} must contain datetime.date values, got {day!r}")
    return result


@dataclass(frozen=True)
class Deadline:
    """A computed deadline; ``provisional`` if it relies on unconfirmed years."""

    at: datetime  # timezone-aware, UTC
    provisional: bool

    def __post_init__(self) -> None:
        _require_aware(self.at, "at")
        if self.at.utcoffset() != timedelta(0):
            raise ValueError(f"at must be in UTC, got {self.at!r}")


@dataclass(frozen=True)
class OfficeHours:
    """Daily office hours (Asia/Shanghai wall-clock), ``opens`` < ``closes``."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours must be naive local times")
        if not self.opens < self.closes:
            raise ValueError("office hours must open before they close")


class WorkCalendar:
    """Mainland-China working-day calendar with local overrides."""

    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        confirmed_through: int = 2026,
        office_hours: OfficeHours = OfficeHours(),
    ) -> None:
        self._extra_holidays = _as_date_set(extra_holidays, "extra_holidays")
        self._extra_workdays = _as_date_set(extra_workdays, "extra_workdays")
        self._confirmed_through = confirmed_through
        self._office_hours = office_hours

    @property
    def confirmed_through(self) -> int:
        """Last year whose official holiday schedule is treated as confirmed."""
        return self._confirmed_through

    @property
    def office_hours(self) -> OfficeHours:
        """Office hours used by the working-hours functions."""
        return self._office_hours

    # -- days ---------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day (overrides win)."""
        if isinstance(day, datetime):
            raise TypeError("is_working_day expects a date, not a datetime")
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        days_off, workdays = _official_year(day.year)
        if day in workdays:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5

    def is_provisional(self, day: date) -> bool:
        """Return whether ``day`` lies after the last confirmed year."""
        return day.year > self._confirmed_through

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days d with start < d <= end (negated if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """Return 23:59:59 Shanghai of the days-th working day after start's date."""
        _require_aware(start, "start")
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = local_date(start)
        for _ in range(days):
            day = self.next_working_day(day)
        end = datetime.combine(day, _END_OF_DAY, tzinfo=SHANGHAI)
        return Deadline(at=to_utc(end), provisional=self.is_provisional(day))

    def overdue_working_days(self, due: datetime, now: datetime) -> int:
        """Return working days d with local(due) < d <= local(now); 0 if not overdue."""
        _require_aware(due, "due")
        _require_aware(now, "now")
        if now <= due:
            return 0
        return self.working_days_between(local_date(due), local_date(now))

    # -- hours --------------------------------------------------------------

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self._office_hours.opens, tzinfo=SHANGHAI)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, self._office_hours.closes, tzinfo=SHANGHAI)

    def add_working_hours(self, start: datetime, hours: float) -> Deadline:
        """Return start plus ``hours`` of office time on working days, in UTC."""
        _require_aware(start, "start")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours}")
        remaining = timedelta(microseconds=round(hours * 3_600_000_000))
        # Shanghai has had no DST since 1991, so wall-clock arithmetic is exact.
        cursor = start.astimezone(SHANGHAI)
        day = cursor.date()
        if not self.is_working_day(day) or cursor > self._closing(day):
            day = self.next_working_day(day)
            cursor = self._opening(day)
        elif cursor < self._opening(day):
            cursor = self._opening(day)
        while True:
            available = self._closing(day) - cursor
            if remaining <= available:
                cursor += remaining
                break
            remaining -= available
            day = self.next_working_day(day)
            cursor = self._opening(day)
        return Deadline(at=to_utc(cursor), provisional=self.is_provisional(day))

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Return office-hours seconds on working days within [start, end)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        lo = start.astimezone(SHANGHAI)
        hi = end.astimezone(SHANGHAI)
        total = timedelta(0)
        day = lo.date()
        while day <= hi.date():
            if self.is_working_day(day):
                span = min(hi, self._closing(day)) - max(lo, self._opening(day))
                if span > timedelta(0):
                    total += span
            day += _ONE_DAY
        return total.total_seconds()
