"""领导驾驶舱 storage: the daily tallies and the entries of the cases behind them (written by
``case_commit.commit_all``, functions/domain/dashboard.py), read by whole months: a window of
days costs one Query per month it touches (more pages only past 1 MB), never a read of cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pynamodb.expressions.condition import Condition

from functions.storage.models import CaseModel, DailyCaseModel, DailyTallyModel

Place = tuple[str, str]  # (day, district)
KEYS = ("month", "day_district")


def tallies(months: Sequence[str], start: str, end: str) -> dict[Place, dict[str, int]]:
    """Every (day, district) tally from ``start`` to ``end`` (``YYYY-MM-DD``, inclusive): one
    Query per month (the series are the items' attributes, read raw: they are open-ended)."""
    connection = DailyTallyModel._get_connection()
    condition = DailyTallyModel.day_district.between(f"{start}#", f"{end}#\uffff")
    out: dict[Place, dict[str, int]] = {}
    for month in months:
        last: dict[str, Any] | None = None
        while True:
            data = connection.query(month, range_key_condition=condition, exclusive_start_key=last)
            for item in data.get("Items", []):
                day, _, district = item["day_district"]["S"].partition("#")
                out[(day, district)] = {
                    name: int(value["N"])
                    for name, value in item.items()
                    if name not in KEYS and "N" in value
                }
            last = data.get("LastEvaluatedKey")
            if not last:
                break
    return out


def entries(
    days: Sequence[str],
    family: str,
    series: str,
    districts: Sequence[str] | None,
    *,
    after: tuple[str, str] | None,
    limit: int,
    max_queries: int,
) -> tuple[list[str], tuple[str, str] | None]:
    """The ids of the cases counted in ``series`` on ``days`` (oldest day first, by case id
    within a day), in ``districts`` (None: all), from just after ``after`` (day, case id):
    one Query per day partition, at most ``max_queries``. Returns the ids and where the next
    page starts (None at the end)."""
    condition: Condition = DailyCaseModel.series.contains(series)
    if districts is not None:
        condition &= DailyCaseModel.district.is_in(*districts)
    found: list[str] = []
    queries = 0
    for day in days:
        if after is not None and day < after[0]:
            continue
        start = (
            {"day_family": {"S": f"{day}#{family}"}, "case_id": {"S": after[1]}}
            if after is not None and day == after[0] and after[1]
            else None
        )
        while True:
            if queries >= max_queries:
                return found, (day, start["case_id"]["S"] if start else "")
            results = DailyCaseModel.query(
                f"{day}#{family}",
                filter_condition=condition,
                last_evaluated_key=start,
                limit=limit - len(found),
                page_size=100,
            )
            queries += 1
            for item in results:
                found.append(item.case_id)
            last = results.last_evaluated_key
            if len(found) >= limit:
                return found, (day, found[-1]) if last or day != days[-1] else None
            if not last:
                break
            start = last
    return found, None


CARD_CAP = 2000  # overdue cases read per card (the index items, keys and lead only)


def overdue_by_lead(
    card: str, *, holder: str | None, districts: Sequence[str] | None
) -> tuple[Counter[str], bool]:
    """How many cases each lead unit holds ``card`` ("yellow" | "red") on: one Query of the
    sparse ``cards`` index partition (the overdue lists' own), up to ``CARD_CAP`` cases; and
    whether it stopped there."""
    condition: Condition | None = None
    if holder is not None:
        condition = CaseModel.holder == holder
    if districts is not None:
        clause = CaseModel.district.is_in(*districts)
        condition = clause if condition is None else condition & clause
    counts: Counter[str] = Counter()
    seen = 0
    for model in CaseModel.cards.query(
        card, filter_condition=condition, attributes_to_get=["lead_id"], limit=CARD_CAP
    ):
        seen += 1
        if model.lead_id:
            counts[model.lead_id] += 1
    return counts, seen >= CARD_CAP
