"""Tests for functions.domain.calendar (working days, working hours, deadlines)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.domain.calendar import (
    SHANGHAI,
    Deadline,
    OfficeHours,
    WorkCalendar,
    local_date,
    to_utc,
)

CAL = WorkCalendar()
ROOT = Path(__file__).resolve().parents[2]
PROPS = settings(max_examples=200, deadline=None, database=None)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An Asia/Shanghai wall-clock instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def eod(y: int, mo: int, d: int) -> datetime:
    """23:59:59 Asia/Shanghai of the given day, in UTC."""
    return sh(y, mo, d, 23, 59, 59).astimezone(UTC)


# -- independent brute-force reference -----------------------------------------

_REF = holidays.country_holidays("CN", years=range(2022, 2031))  # holidays.China


def ref_is_working(day: date) -> bool:
    """Reference: make-up workdays on, statutory days off, weekends off."""
    if day in _REF.weekend_workdays:
        return True
    if day in _REF:
        return False
    return day.weekday() < 5


def ref_add_working_days(start: date, n: int) -> date:
    """Reference: step day by day until n working days after start were seen."""
    day, seen = start, 0
    while seen < n:
        day += timedelta(days=1)
        if ref_is_working(day):
            seen += 1
    return day


# -- the official 2026 schedule (State Council notice for 2026) ---------------

OFFICIAL_2026_OFF = (
    [date(2026, 1, d) for d in (1, 2, 3)]  # New Year
    + [date(2026, 2, d) for d in range(15, 24)]  # Spring Festival, Feb 15-23
    + [date(2026, 4, d) for d in (4, 5, 6)]  # Qingming
    + [date(2026, 5, d) for d in range(1, 6)]  # Labour Day, May 1-5
    + [date(2026, 6, d) for d in (19, 20, 21)]  # Dragon Boat
    + [date(2026, 9, d) for d in (25, 26, 27)]  # Mid-Autumn
    + [date(2026, 10, d) for d in range(1, 8)]  # National Day, Oct 1-7
)
OFFICIAL_2026_MAKEUP = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def test_every_day_of_2026_matches_official_schedule() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        if day in OFFICIAL_2026_MAKEUP:
            expected = True
        elif day in OFFICIAL_2026_OFF:
            expected = False
        else:
            expected = day.weekday() < 5
        assert CAL.is_working_day(day) is expected, day
        day += timedelta(days=1)


def test_spring_festival_2026() -> None:
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday make-up workday
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday make-up workday
    for d in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, d))
    assert CAL.is_working_day(date(2026, 2, 24))


def test_national_day_2026_is_oct_1_to_7() -> None:
    # The holidays package and the official 2026 notice agree: Oct 1-7 off,
    # Sun Sep 20 and Sat Oct 10 are make-up workdays, Thu Oct 8 is a working day.
    # (Oct 1-8 was the *2025* arrangement.)
    for d in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, d))
    assert CAL.is_working_day(date(2026, 10, 8))
    assert CAL.is_working_day(date(2026, 10, 10))
    assert CAL.is_working_day(date(2026, 9, 20))
    assert not CAL.is_working_day(date(2026, 10, 11))


def test_national_day_2025_is_oct_1_to_8() -> None:
    for d in range(1, 9):
        assert not CAL.is_working_day(date(2025, 10, d))
    assert CAL.is_working_day(date(2025, 9, 28))
    assert CAL.is_working_day(date(2025, 10, 11))


def test_ordinary_weekend_and_weekday() -> None:
    assert CAL.is_working_day(date(2026, 3, 10))  # Tuesday
    assert not CAL.is_working_day(date(2026, 3, 14))  # Saturday
    assert not CAL.is_working_day(date(2026, 3, 15))  # Sunday


def test_is_working_day_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(sh(2026, 3, 10, 10))


# -- add_working_days: known answers ------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        sh(2026, 9, 30, 0, 0, 0),
        sh(2026, 9, 30, 10, 0, 0),
        sh(2026, 9, 30, 23, 59, 59),
        datetime(2026, 9, 29, 16, 0, 0, tzinfo=UTC),  # = Sep 30 00:00 Shanghai
        datetime(2026, 9, 30, 9, 0, 0, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_five_working_days_after_2026_09_30(start: datetime) -> None:
    # Oct 1-7 off; Oct 8 (1), Oct 9 (2), Sat Oct 10 make-up (3), Oct 12 (4), Oct 13 (5).
    result = CAL.add_working_days(start, 5)
    assert result == Deadline(at=datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC), provisional=False)
    assert result.at.astimezone(SHANGHAI) == sh(2026, 10, 13, 23, 59, 59)


def test_local_date_of_start_is_used_not_utc_date() -> None:
    # 2026-09-29T15:59:59Z is still Sep 29 in Shanghai: Sep 30, Oct 8, 9, 10, 12.
    start = datetime(2026, 9, 29, 15, 59, 59, tzinfo=UTC)
    assert CAL.add_working_days(start, 5).at == eod(2026, 10, 12)


def test_two_working_days_after_2026_02_13() -> None:
    # Sat Feb 14 is a make-up workday (1), Feb 15-23 Spring Festival, Tue Feb 24 (2).
    result = CAL.add_working_days(sh(2026, 2, 13, 15, 30), 2)
    assert result.at == eod(2026, 2, 24)
    assert result.at == datetime(2026, 2, 24, 15, 59, 59, tzinfo=UTC)
    assert not result.provisional


def test_zero_days_is_end_of_start_local_day_even_on_holiday() -> None:
    assert CAL.add_working_days(sh(2026, 10, 3, 8), 0).at == eod(2026, 10, 3)
    assert CAL.add_working_days(sh(2026, 3, 10, 8), 0).at == eod(2026, 3, 10)


def test_start_day_never_counts() -> None:
    # Start on a holiday: first working day after Sun Oct 4 is Thu Oct 8.
    assert CAL.add_working_days(sh(2026, 10, 4, 12), 1).at == eod(2026, 10, 8)
    # Start on a working day: that day does not count either.
    assert CAL.add_working_days(sh(2026, 3, 10, 8), 1).at == eod(2026, 3, 11)


def test_result_is_utc() -> None:
    at = CAL.add_working_days(sh(2026, 3, 10, 8), 3).at
    assert at.utcoffset() == timedelta(0)


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(sh(2026, 3, 10), -1)


# -- overrides and provisional years -------------------------------------------


def test_extra_holiday_pushes_deadline() -> None:
    cal = WorkCalendar(extra_holidays=[date(2026, 10, 9)])
    assert not cal.is_working_day(date(2026, 10, 9))
    assert cal.add_working_days(sh(2026, 9, 30), 5).at == eod(2026, 10, 14)


def test_extra_workday_pulls_deadline() -> None:
    cal = WorkCalendar(extra_workdays=[date(2026, 10, 3)])
    assert cal.is_working_day(date(2026, 10, 3))
    # Oct 3 (1), Oct 8 (2), Oct 9 (3), Oct 10 (4), Oct 12 (5).
    assert cal.add_working_days(sh(2026, 9, 30), 5).at == eod(2026, 10, 12)


def test_extra_overrides_beat_official_makeup_day_and_each_other() -> None:
    assert not WorkCalendar(extra_holidays=[date(2026, 10, 10)]).is_working_day(date(2026, 10, 10))
    both = WorkCalendar(extra_holidays=[date(2026, 3, 14)], extra_workdays=[date(2026, 3, 14)])
    assert both.is_working_day(date(2026, 3, 14))  # extra_workdays win


def test_future_year_is_provisional_and_does_not_raise() -> None:
    start = sh(2028, 3, 1, 10)
    assert CAL.is_provisional(date(2028, 3, 1))
    assert not CAL.is_provisional(date(2026, 12, 31))
    assert CAL.add_working_days(start, 10).provisional
    assert CAL.add_working_hours(start, 10).provisional
    assert not WorkCalendar(confirmed_through=2028).add_working_days(start, 10).provisional


def test_provisional_only_when_crossing_into_unconfirmed_year() -> None:
    assert not CAL.add_working_days(sh(2026, 12, 28), 1).provisional
    assert CAL.add_working_days(sh(2026, 12, 30), 3).provisional


# -- add_working_hours -----------------------------------------------------------


def test_eight_working_hours_from_2026_09_30_1000() -> None:
    # Product spec: "8 working hours from 2026-09-30 10:00 end at 2026-10-08 10:00".
    # Consistent with the holidays package / official 2026 notice: National Day
    # is Oct 1-7 and Thu Oct 8 is a working day (7 h on Sep 30, 1 h on Oct 8).
    result = CAL.add_working_hours(sh(2026, 9, 30, 10), 8)
    assert result.at == sh(2026, 10, 8, 10).astimezone(UTC)
    assert result.at == datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    assert not result.provisional


def test_working_hours_ending_exactly_at_closing() -> None:
    result = CAL.add_working_hours(sh(2026, 9, 30, 10), 7)
    assert result.at == sh(2026, 9, 30, 17).astimezone(UTC)


def test_working_hours_start_outside_office_hours() -> None:
    assert CAL.add_working_hours(sh(2026, 9, 30, 7), 1).at == to_utc(sh(2026, 9, 30, 10))
    assert CAL.add_working_hours(sh(2026, 9, 30, 18), 1).at == to_utc(sh(2026, 10, 8, 10))
    assert CAL.add_working_hours(sh(2026, 10, 4, 12), 0.5).at == to_utc(sh(2026, 10, 8, 9, 30))
    # Sat Oct 10 is a make-up workday, so office hours count.
    assert CAL.add_working_hours(sh(2026, 10, 9, 16), 2).at == to_utc(sh(2026, 10, 10, 10))


def test_working_hours_custom_office_hours() -> None:
    cal = WorkCalendar(office_hours=OfficeHours(opens=time(8, 30), closes=time(12, 0)))
    assert cal.add_working_hours(sh(2026, 3, 10, 11), 2).at == to_utc(sh(2026, 3, 11, 9, 30))


def test_working_hours_rejects_bad_hours() -> None:
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            CAL.add_working_hours(sh(2026, 3, 10, 10), bad)


def test_office_hours_validation() -> None:
    with pytest.raises(ValueError):
        OfficeHours(opens=time(17, 0), closes=time(9, 0))


# -- working_seconds_between -----------------------------------------------------


def test_working_seconds_same_day() -> None:
    assert CAL.working_seconds_between(sh(2026, 3, 10, 10), sh(2026, 3, 10, 12)) == 7200
    assert CAL.working_seconds_between(sh(2026, 3, 10, 7), sh(2026, 3, 10, 20)) == 8 * 3600


def test_working_seconds_across_weekend_and_holidays() -> None:
    # Fri 16:00 -> Mon 10:00 = 1 h + 1 h.
    assert CAL.working_seconds_between(sh(2026, 3, 6, 16), sh(2026, 3, 9, 10)) == 7200
    # Sep 30 10:00 -> Oct 8 10:00 across National Day = 8 h.
    assert CAL.working_seconds_between(sh(2026, 9, 30, 10), sh(2026, 10, 8, 10)) == 8 * 3600
    # Make-up Saturday counts; an ordinary Sunday does not.
    assert CAL.working_seconds_between(sh(2026, 10, 10, 0), sh(2026, 10, 12, 0)) == 8 * 3600


def test_working_seconds_empty_and_mixed_timezones() -> None:
    assert CAL.working_seconds_between(sh(2026, 3, 10, 12), sh(2026, 3, 10, 10)) == 0
    assert CAL.working_seconds_between(sh(2026, 3, 10, 12), sh(2026, 3, 10, 12)) == 0
    start = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
    end = datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=10)))  # 10:00
    assert CAL.working_seconds_between(start, end) == 0
    assert CAL.working_seconds_between(start, end + timedelta(minutes=90)) == 5400


# -- overdue_working_days --------------------------------------------------------


def test_overdue_next_working_day_is_one() -> None:
    due = eod(2026, 3, 10)  # Tue 23:59:59
    assert CAL.overdue_working_days(due, sh(2026, 3, 11, 0, 0, 0)) == 1
    assert CAL.overdue_working_days(due, sh(2026, 3, 11, 10)) == 1
    assert CAL.overdue_working_days(due, sh(2026, 3, 14, 10)) == 3  # Saturday
    assert CAL.overdue_working_days(due, sh(2026, 3, 16, 10)) == 4  # Monday


def test_not_overdue() -> None:
    due = eod(2026, 3, 10)
    assert CAL.overdue_working_days(due, due) == 0
    assert CAL.overdue_working_days(due, sh(2026, 3, 10, 12)) == 0
    # Past an intraday due time but still the same local date.
    assert CAL.overdue_working_days(sh(2026, 3, 10, 10), sh(2026, 3, 10, 11)) == 0


def test_overdue_across_national_day() -> None:
    due = eod(2026, 9, 30)  # Wed before National Day 2026
    assert CAL.overdue_working_days(due, sh(2026, 10, 7, 18)) == 0
    assert CAL.overdue_working_days(due, sh(2026, 10, 8, 9)) == 1
    assert CAL.overdue_working_days(due, sh(2026, 10, 11, 9)) == 3  # incl. Sat Oct 10
    # Fri Sep 26 2025: Sun Sep 28 (make-up), Sep 29, Sep 30, Oct 1-8 off, Oct 9.
    assert CAL.overdue_working_days(eod(2025, 9, 26), sh(2025, 10, 9, 9)) == 4


# -- helpers and validation ------------------------------------------------------


def test_local_date_and_to_utc() -> None:
    instant = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
    assert local_date(instant) == date(2026, 3, 11)
    assert to_utc(sh(2026, 3, 11, 0, 30)) == instant
    assert to_utc(sh(2026, 3, 11, 0, 30)).tzinfo is UTC


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 3, 10, 10)
    aware = sh(2026, 3, 10, 10)
    with pytest.raises(ValueError):
        local_date(naive)
    with pytest.raises(ValueError):
        to_utc(naive)
    with pytest.raises(ValueError):
        CAL.add_working_days(naive, 1)
    with pytest.raises(ValueError):
        CAL.add_working_hours(naive, 1)
    with pytest.raises(ValueError):
        CAL.working_seconds_between(naive, aware)
    with pytest.raises(ValueError):
        CAL.working_seconds_between(aware, naive)
    with pytest.raises(ValueError):
        CAL.overdue_working_days(naive, aware)
    with pytest.raises(ValueError):
        CAL.overdue_working_days(aware, naive)
    with pytest.raises(ValueError):
        Deadline(at=naive, provisional=False)


def test_next_working_day_and_between() -> None:
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert CAL.working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == -5
    assert CAL.working_days_between(date(2026, 10, 13), date(2026, 10, 13)) == 0


def test_holidays_not_imported_at_module_import() -> None:
    code = (
        "import sys, functions.domain.calendar; "
        "assert 'holidays' not in sys.modules, 'holidays imported eagerly'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


# -- properties -------------------------------------------------------------------

TIMEZONES = st.sampled_from(
    [UTC, SHANGHAI, timezone(timedelta(hours=-5)), ZoneInfo("Europe/London")]
)
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59, 59),
    timezones=TIMEZONES,
)
DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
DAYS = st.integers(min_value=0, max_value=30)
# Whole seconds up to ~60 working hours, as float hours.
HOURS = st.integers(min_value=0, max_value=60 * 3600).map(lambda s: s / 3600)


@PROPS
@given(start=INSTANTS, a=DAYS, b=DAYS)
def test_prop_monotonic_in_days(start: datetime, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    r_lo, r_hi = CAL.add_working_days(start, lo).at, CAL.add_working_days(start, hi).at
    assert r_lo <= r_hi
    if lo < hi:
        assert r_lo < r_hi


@PROPS
@given(s1=INSTANTS, s2=INSTANTS, n=DAYS)
def test_prop_monotonic_in_start(s1: datetime, s2: datetime, n: int) -> None:
    early, late = sorted((s1, s2))
    assert CAL.add_working_days(early, n).at <= CAL.add_working_days(late, n).at


@PROPS
@given(start=INSTANTS, n=st.integers(min_value=1, max_value=30))
def test_prop_result_is_working_day_end_of_day(start: datetime, n: int) -> None:
    at = CAL.add_working_days(start, n).at
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
    local = at.astimezone(SHANGHAI)
    assert local.time() == time(23, 59, 59)
    assert CAL.is_working_day(local.date())


@PROPS
@given(start=INSTANTS, n=DAYS)
def test_prop_round_trip_with_working_days_between(start: datetime, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert CAL.working_days_between(local_date(start), local_date(result.at)) == n
    assert CAL.working_days_between(local_date(result.at), local_date(start)) == -n


@PROPS
@given(start=INSTANTS, n=DAYS)
def test_prop_matches_brute_force_reference(start: datetime, n: int) -> None:
    expected_day = ref_add_working_days(start.astimezone(SHANGHAI).date(), n)
    result = CAL.add_working_days(start, n)
    assert result.at == eod(expected_day.year, expected_day.month, expected_day.day)
    assert result.provisional == (expected_day.year > 2026)


@PROPS
@given(day=DATES)
def test_prop_is_working_day_matches_reference(day: date) -> None:
    assert CAL.is_working_day(day) == ref_is_working(day)


@PROPS
@given(a=DATES, b=DATES, c=DATES)
def test_prop_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    assert CAL.working_days_between(a, b) + CAL.working_days_between(
        b, c
    ) == CAL.working_days_between(a, c)


@PROPS
@given(start=INSTANTS, n=DAYS, k=DAYS)
def test_prop_overdue_counts_working_days_past_due(start: datetime, n: int, k: int) -> None:
    due = CAL.add_working_days(start, n).at
    now = CAL.add_working_days(start, n + k).at
    assert CAL.overdue_working_days(due, now) == k


@PROPS
@given(start=INSTANTS, hours=HOURS)
def test_prop_working_hours_inside_office_hours(start: datetime, hours: float) -> None:
    result = CAL.add_working_hours(start, hours)
    local = result.at.astimezone(SHANGHAI)
    assert result.at.utcoffset() == timedelta(0)
    assert CAL.is_working_day(local.date())
    assert time(9, 0) <= local.time() <= time(17, 0)
    assert result.at >= start
    assert result.provisional == (local.year > 2026)


@PROPS
@given(start=INSTANTS, hours=HOURS)
def test_prop_working_hours_round_trip(start: datetime, hours: float) -> None:
    result = CAL.add_working_hours(start, hours)
    assert abs(CAL.working_seconds_between(start, result.at) - hours * 3600) < 1


@PROPS
@given(a=INSTANTS, b=INSTANTS, c=INSTANTS)
def test_prop_working_seconds_additive(a: datetime, b: datetime, c: datetime) -> None:
    lo, mid, hi = sorted((a, b, c))
    total = CAL.working_seconds_between(lo, hi)
    parts = CAL.working_seconds_between(lo, mid) + CAL.working_seconds_between(mid, hi)
    assert abs(total - parts) < 1e-6
