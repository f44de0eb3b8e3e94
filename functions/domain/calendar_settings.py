"""A deployment's overrides of the working-day calendar (§4), as the JSON document admins read
and write (``calendar`` in the settings table):

    {"extra_holidays": ["2026-11-20"], "extra_workdays": ["2026-11-21"],
     "confirmed_through": 2026, "office_hours": {"opens": "09:00", "closes": "17:00"}}

``parse_calendar`` checks a document; an admin's PUT is refused with the problems as field
errors, a document already stored is read leniently (what has a problem is left out and the
default holds). Without ``confirmed_through`` the deployment setting decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from functions.domain.calendar import OfficeHours, WorkCalendar
from functions.domain.errors import FieldError

CONFIRMED_LIMITS = (2000, 2100)
MAX_DATES = 400  # per list: a year of single-day overrides is far below this
_LISTS = {"extra_holidays": "增加的休息日", "extra_workdays": "增加的工作日"}


@dataclass(frozen=True)
class CalendarSettings:
    extra_holidays: tuple[date, ...] = ()  # days off the official calendar does not know
    extra_workdays: tuple[date, ...] = ()  # days worked the official calendar does not know
    confirmed_through: int | None = None  # last year with a published schedule; None: setting
    office_hours: OfficeHours = field(default_factory=OfficeHours)

    def calendar(self, default_confirmed_through: int) -> WorkCalendar:
        confirmed = self.confirmed_through
        return WorkCalendar(
            extra_holidays=self.extra_holidays,
            extra_workdays=self.extra_workdays,
            confirmed_through=default_confirmed_through if confirmed is None else confirmed,
            office_hours=self.office_hours,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "extra_holidays": [d.isoformat() for d in self.extra_holidays],
            "extra_workdays": [d.isoformat() for d in self.extra_workdays],
            "office_hours": {
                "opens": self.office_hours.opens.strftime("%H:%M"),
                "closes": self.office_hours.closes.strftime("%H:%M"),
            },
        }
        if self.confirmed_through is not None:
            out["confirmed_through"] = self.confirmed_through
        return out


def _dates(raw: Any, name: str, problems: list[FieldError]) -> tuple[date, ...]:
    label = _LISTS[name]
    if not isinstance(raw, list) or len(raw) > MAX_DATES:
        problems.append(
            FieldError(name, f"{label}应为不超过 {MAX_DATES} 个日期的列表", "must be a list")
        )
        return ()
    found: set[date] = set()
    for i, value in enumerate(raw):
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError(value)
            found.add(date.fromisoformat(value))
        except ValueError:
            problems.append(
                FieldError(f"{name}.{i}", f"{label}中的日期无效：{value}", "must be YYYY-MM-DD")
            )
    return tuple(sorted(found))


def _time(raw: Any, path: str, label: str, problems: list[FieldError]) -> time | None:
    try:
        if not isinstance(raw, str) or len(raw) != 5:
            raise ValueError(raw)
        return time.fromisoformat(raw)
    except ValueError:
        problems.append(FieldError(path, f"{label}格式应为 HH:MM", "must be a time HH:MM"))
        return None


def _office_hours(raw: Any, problems: list[FieldError]) -> OfficeHours | None:
    if not isinstance(raw, Mapping):
        problems.append(FieldError("office_hours", "办公时间格式不正确", "must be an object"))
        return None
    opens = _time(raw.get("opens", "09:00"), "office_hours.opens", "上班时间", problems)
    closes = _time(raw.get("closes", "17:00"), "office_hours.closes", "下班时间", problems)
    if opens is None or closes is None:
        return None
    if not opens < closes:
        problems.append(
            FieldError("office_hours.closes", "下班时间应晚于上班时间", "must be after opens")
        )
        return None
    return OfficeHours(opens, closes)


def parse_calendar(data: Mapping[str, Any]) -> tuple[CalendarSettings, list[FieldError]]:
    """The overrides a document describes, and every problem found in it."""
    problems: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in _LISTS:
        if name in data:
            values[name] = _dates(data[name], name, problems)
    both = set(values.get("extra_holidays", ())) & set(values.get("extra_workdays", ()))
    for day in sorted(both):
        problems.append(
            FieldError(
                "extra_workdays",
                f"{day.isoformat()} 不能既是休息日又是工作日",
                f"{day.isoformat()} is both an extra holiday and an extra workday",
            )
        )
    if both:  # read leniently, such a day keeps the official calendar's verdict
        for name in _LISTS:
            values[name] = tuple(d for d in values[name] if d not in both)
    if data.get("confirmed_through") is not None:
        year = data["confirmed_through"]
        lo, hi = CONFIRMED_LIMITS
        if isinstance(year, bool) or not isinstance(year, int) or not lo <= year <= hi:
            problems.append(
                FieldError(
                    "confirmed_through",
                    f"已确认年度应为 {lo}–{hi} 之间的年份",
                    f"must be a year {lo}–{hi}",
                )
            )
        else:
            values["confirmed_through"] = year
    if "office_hours" in data:
        hours = _office_hours(data["office_hours"], problems)
        if hours is not None:
            values["office_hours"] = hours
    return CalendarSettings(**values), problems
