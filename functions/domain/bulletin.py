"""The monthly 通报 (§16, issue 18 §3): what the month's frozen ranking says, as one document
that the print page (bulletin.html) and the Word file (functions/services/bulletin_docx.py)
both render. Pure: every input is given, the result is plain JSON.

Contents: the headline figures with their month-on-month change, the top and bottom units at
each level (city departments, counties, each county platform's units), the 约谈 list (the
ranking's flags and the 约谈 records), the month's hotspots and a few 回音壁 cases.

The headline figures are the ranking's own (the sum of every unit's cohort counters as frozen,
docs/OPERATIONS.md "亮晒比"), except 受理 (cases received): the cases submitted in the month,
counted once by the job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from functions.domain.rankings import TALLY_FIELDS

LEVELS = (("departments", "市直部门"), ("counties", "区县"))
HEADLINE_LABELS = {
    "received": "受理诉求",
    "assigned": "交办",
    "replied": "答复",
    "closed": "办结",
    "replied_on_time_rate": "按时答复率",
    "satisfied_rate": "满意率",
}
SHOWCASE_COUNT = 3


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def headline(document: Mapping[str, Any] | None, received: int | None) -> dict[str, Any] | None:
    """The month's totals over every unit the ranking counts (its departments and counties
    rows: each county row is the sum of its units)."""
    if document is None:
        return None
    sums = dict.fromkeys(TALLY_FIELDS, 0)
    for group, _ in LEVELS:
        for row in document.get(group, []):
            for name in TALLY_FIELDS:
                sums[name] += int(row.get(name) or 0)
    return {
        "received": received,
        "assigned": sums["assigned"],
        "replied": sums["replied"],
        "closed": sums["closed"],
        "replied_on_time_rate": _rate(sums["replied_on_time"], sums["replied"]),
        "satisfied_rate": _rate(sums["satisfied"], sums["rated"]),
    }


def change(now: Mapping[str, Any] | None, before: Mapping[str, Any] | None) -> dict[str, Any]:
    """Month-on-month change of each headline figure (None where either month has none)."""
    out: dict[str, Any] = {}
    for name in HEADLINE_LABELS:
        a = (now or {}).get(name)
        b = (before or {}).get(name)
        out[name] = None if a is None or b is None else round(a - b, 4)
    return out


def _brief(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "rank": row.get("rank"),
        "score": row.get("score"),
        "assigned": row.get("assigned", 0),
        "talk": bool(row.get("talk")),
    }


def _level(label: str, rows: Sequence[Mapping[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "label": label,
        "top": [_brief(r) for r in rows if r.get("position") == "top"],
        "bottom": [_brief(r) for r in rows if r.get("position") == "bottom"],
        "ranked": sum(1 for r in rows if r.get("rank") is not None),
        **more,
    }


def compose(
    *,
    month: str,
    title: str,
    city: Mapping[str, Any],
    counties: Sequence[Mapping[str, Any]],
    previous: Mapping[str, Any] | None,
    received: int | None,
    previous_received: int | None,
    talks: Sequence[Mapping[str, Any]],
    hotspots: Sequence[Mapping[str, Any]],
    showcase: Sequence[Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The 通报 of ``month`` from its frozen rankings (the city's and each county platform's
    own), last month's city ranking (``previous``), the cases received in both months, the 约谈
    records (public views), the hotspots and the 回音壁 cases."""
    figures = headline(city, received)
    earlier = headline(previous, previous_received)
    levels = [_level(label, city.get(group, []), level=group) for group, label in LEVELS]
    for county in counties:
        about = county.get("county") or {}
        levels.append(
            _level(
                f"{about.get('name', '')}所属单位",
                county.get("units", []),
                level="units",
                county=dict(about),
            )
        )
    flags = [
        {**_brief(row), "level": level["label"]}
        for level, source in zip(
            levels,
            [city.get("departments", []), city.get("counties", [])]
            + [c.get("units", []) for c in counties],
            strict=True,
        )
        for row in source
        if row.get("talk")
    ]
    return {
        "month": month,
        "title": title,
        "produced_at": now.isoformat().replace("+00:00", "Z"),
        "ranking_frozen_at": city.get("frozen_at"),
        "method": city.get("method"),
        "headline": figures,
        "previous_headline": earlier,
        "change": change(figures, earlier),
        "levels": levels,
        "talk_flags": flags,
        "talks": list(talks),
        "hotspots": list(hotspots),
        "showcase": list(showcase[:SHOWCASE_COUNT]),
    }


def title_of(city_name: str, month: str) -> str:
    return f"{city_name}网络问政工作月度通报（{int(month[:4])}年{int(month[5:7])}月）"


def filename(month: str) -> str:
    """The Word file's name as downloaded."""
    return f"网络问政月度通报-{month}.docx"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def signed_change(value: float | None, *, rate: bool) -> str:
    """``+3`` / ``−1.2 个百分点`` / ``—``: a change as the 通报 prints it."""
    if value is None:
        return "—"
    if rate:
        points = round(value * 100, 1)
        return f"{'+' if points > 0 else ''}{points:.1f} 个百分点" if points else "持平"
    return f"{'+' if value > 0 else ''}{int(value)}" if value else "持平"
