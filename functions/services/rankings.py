"""亮晒比: the month's ranking (frozen when published, month-to-date otherwise), its CSV, and
the job that freezes last month's ranking on the 1st."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from functions.domain import rankings
from functions.domain.calendar import local_date
from functions.domain.errors import NotFound, invalid_field
from functions.storage import config_repo, directory, rankings_repo

POLICY: rankings.RankingPolicy | None = None  # tests may pin one; else the settings document


def _policy() -> rankings.RankingPolicy:
    return POLICY or config_repo.ranking_policy()


def _this_month(now: datetime) -> str:
    day = local_date(now)
    return f"{day.year:04d}-{day.month:02d}"


def _computed(
    month: str, previous: dict[str, Any] | None, frozen_at: datetime | None = None
) -> dict[str, Any]:
    tax = directory.taxonomy()
    units = [rankings.Unit(d.id, d.name, d.district) for d in directory.departments().values()]
    return rankings.ranking(
        month,
        rankings_repo.month_tallies(month),
        units,
        dict(tax.districts),
        policy=_policy(),
        previous=previous,
        frozen_at=frozen_at,
    )


def _previous(month: str) -> dict[str, Any] | None:
    before = rankings.previous_month(month)
    return rankings_repo.frozen(before) or _computed(before, None)


def ranking(month: str | None, now: datetime) -> dict[str, Any]:
    """``month`` (YYYY-MM) or, by default, last month. A frozen month is served as it was
    published; the current month (and a past month not yet frozen) is computed from the
    counters, month to date."""
    current = _this_month(now)
    wanted = month or rankings.previous_month(current)
    if rankings.parse_month(wanted) is None or len(wanted) != 7:
        raise invalid_field("month", "月份格式应为 YYYY-MM", "month must be YYYY-MM")
    if wanted > current:
        raise NotFound("该月份尚未开始", "that month has not begun", "month_not_started")
    document = rankings_repo.frozen(wanted)
    if document is None:
        document = _computed(wanted, _previous(wanted))
    document["month_to_date"] = wanted == current
    return document


def freeze_last_month(now: datetime) -> dict[str, Any]:
    """The ``rankings`` job: publish last month's ranking once (re-runs change nothing)."""
    month = rankings.previous_month(_this_month(now))
    if rankings_repo.frozen(month) is not None:
        return {"month": month, "frozen": False, "already": True}
    document = _computed(month, _previous(month), frozen_at=now)
    return {"month": month, "frozen": rankings_repo.freeze(month, document, now)}


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
    for group, label in (("departments", "部门"), ("counties", "区县")):
        for row in document[group]:
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
