"""The leaders' dashboard (§16): the city's daily series, pre-aggregated.

Every transition adds to one tally per (Shanghai day, district) the counts it moves
(:func:`deltas`), in the transition's own transaction (functions/storage/case_commit.py), and
records the case once per (day, family) it counts in (:func:`entries`), so that each figure
opens the cases behind it. Reading a window costs one item per day and district, whatever the
number of cases. Pure: the same transition always yields the same increments.

Series (the attribute names of a day's tally; one tally per day and district):

- ``intake``: cases submitted that day, and by ``channel:<code>``, ``kind:<code>``,
  ``category:<code>`` (as submitted);
- ``replied``, ``replied_on_time``, ``replied_late``: replies published that day (a reviewed
  reply counts on the day it is published, and on time by when the unit wrote it, as the
  亮晒比 counts it: functions/domain/rankings.py);
- ``closed``, ``closed_resolved`` (the last reply said 已解决), ``closed_satisfied`` /
  ``closed_unsatisfied`` (the citizen's latest rating: 满意 or 基本满意 / 不满意; a case
  closed unrated counts in neither);
- ``reopened``: 重办 that day.

Rates (:func:`rates`): on time = replied_on_time / replied; resolution = closed_resolved /
closed; satisfaction = closed_satisfied / (closed_satisfied + closed_unsatisfied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from functions.domain.calendar import local_date
from functions.domain.cases import Case, TransitionResult, latest_rating
from functions.domain.lifecycle import EventType, State
from functions.domain.taxonomy import Outcome, Rating

INTAKE, REPLIED, CLOSED, REOPENED = "intake", "replied", "closed", "reopened"
FAMILIES = (INTAKE, REPLIED, CLOSED, REOPENED)
DIMENSIONS = ("channel", "kind", "category")  # intake's breakdowns (district: the tally's key)
FIXED_SERIES = (
    INTAKE,
    REPLIED,
    "replied_on_time",
    "replied_late",
    CLOSED,
    "closed_resolved",
    "closed_satisfied",
    "closed_unsatisfied",
    REOPENED,
)
GOOD = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
MAX_DAYS = 366  # the longest window one read covers (a year, leap or not)

Place = tuple[str, str]  # (day "YYYY-MM-DD", district)


def day_key(instant: datetime) -> str:
    return local_date(instant).isoformat()


def family(series: str) -> str | None:
    """The family a series belongs to (``kind:complaint`` → intake), or None if unknown."""
    if series in FIXED_SERIES:
        return series.split("_", 1)[0]
    name, _, code = series.partition(":")
    return INTAKE if name in DIMENSIONS and code else None


@dataclass(frozen=True)
class Entry:
    """A case counted in one family on one day: the series of that family it adds to (what a
    figure's drill-down filters on) and its district."""

    day: str
    family: str
    case_id: str
    district: str
    series: frozenset[str]


def _closing_series(case: Case) -> list[str]:
    out = [CLOSED]
    last = case.last_reply
    if last is not None and last.outcome == Outcome.RESOLVED:
        out.append("closed_resolved")
    rated = latest_rating(case)
    if rated is not None and rated.rating is not None:
        out.append("closed_satisfied" if rated.rating in GOOD else "closed_unsatisfied")
    return out


def entries(result: TransitionResult) -> list[Entry]:
    """The (day, family) entries a transition adds: a submission, a published reply, a
    closing, a reopening. Each carries the series it adds to."""
    case = result.case
    found: list[Entry] = []

    def add(at: datetime, name: str, series: Iterable[str]) -> None:
        found.append(Entry(day_key(at), name, case.case_id, case.district, frozenset(series)))

    for event in result.events:
        if event.type == EventType.SUBMITTED:
            add(
                event.at,
                INTAKE,
                [
                    INTAKE,
                    f"channel:{case.channel.value}",
                    f"kind:{case.kind.value}",
                    f"category:{case.category}",
                ],
            )
        elif event.type == EventType.REPLIED and case.assignment is not None:
            submitted = event.data.get("submitted_at")
            written = datetime.fromisoformat(submitted) if submitted else event.at
            on_time = written <= case.assignment.reply_due_at
            add(event.at, REPLIED, [REPLIED, "replied_on_time" if on_time else "replied_late"])
        elif event.type == EventType.REOPENED:
            add(event.at, REOPENED, [REOPENED])
    if case.state == State.CLOSED and result.expected_state not in (State.CLOSED, None):
        closing = next((e for e in reversed(result.events) if e.to_state == State.CLOSED), None)
        at = closing.at if closing else (case.closed_at or case.updated_at)
        if at is not None:
            add(at, CLOSED, _closing_series(case))
    # One entry per (day, family) and case: a transition replying twice in a day is not a
    # thing, but the item is keyed so; keep the first.
    unique: dict[tuple[str, str], Entry] = {}
    for entry in found:
        unique.setdefault((entry.day, entry.family), entry)
    return list(unique.values())


def deltas(result: TransitionResult) -> dict[Place, dict[str, int]]:
    """The increments a transition adds to the daily tallies, per (day, district)."""
    out: dict[Place, dict[str, int]] = {}
    for entry in entries(result):
        slot = out.setdefault((entry.day, entry.district), {})
        for series in sorted(entry.series):
            slot[series] = slot.get(series, 0) + 1
    return out


# --- reading ------------------------------------------------------------------------------


def days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def months(start: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month the window touches: the partitions a read queries."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    rated = counts.get("closed_satisfied", 0) + counts.get("closed_unsatisfied", 0)
    return {
        "on_time_rate": _rate(counts.get("replied_on_time", 0), counts.get(REPLIED, 0)),
        "resolution_rate": _rate(counts.get("closed_resolved", 0), counts.get(CLOSED, 0)),
        "satisfaction_rate": _rate(counts.get("closed_satisfied", 0), rated),
    }


def week_start(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def add_into(total: dict[str, int], counts: Mapping[str, Any]) -> dict[str, int]:
    for name, n in counts.items():
        total[name] = total.get(name, 0) + int(n)
    return total
