"""The monthly 通报 (§16, issue 18 §3), made once by the ``rankings`` job right after it freezes
the month (:func:`produce`) and kept as published:

- the content, one JSON document beside the frozen ranking in the ``rankings`` table (key
  ``bulletin#YYYY-MM``), which ``GET /api/rankings/{month}/bulletin`` serves to the print page
  (bulletin.html);
- the Word file, written by python-docx (functions/services/bulletin_docx.py) into the export
  bucket (``exports/bulletin-YYYY-MM/…``), which ``GET /api/rankings/{month}/bulletin.docx``
  reads back.

Made in the job rather than on request: python-docx and lxml cost a cold start a second and
more, a frozen month never changes, and a 通报 is a record of what was known when it was
published (a 约谈's outcome reported later appears in the next month's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import bulletin as rules
from functions.domain import rankings
from functions.domain import talks as talk_rules
from functions.domain.errors import FieldError, NotFound, invalid_fields

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def month_hotspots(month: str) -> list[dict[str, Any]]:
    """The month's 舆情 hotspots as the 通报 lists them (the warnings the ``hotspots`` job
    raised, one Query of the month's partition), each ``{"label", "summary"}``: its terms and
    place, its day and how many reports, the largest first."""
    from functions.storage import directory, hotspots_repo

    tax = directory.taxonomy()
    found = sorted(hotspots_repo.warnings(month), key=lambda w: (-w.count, w.day))
    return [
        {
            "label": f"{tax.district_label(w.district)} · {'、'.join(w.terms[:3])}",
            "summary": f"{w.day} 当日 {w.count} 件相关诉求（此前 28 日日均 {w.baseline:.1f} 件）",
        }
        for w in found
    ]


def received(month: str) -> int:
    """The cases submitted in the month (Shanghai): the sum of the dashboard's daily intake
    tallies (functions/domain/dashboard.py), one Query of the month, never a read of cases."""
    from functions.storage import dashboard_repo

    days = dashboard_repo.tallies([month], f"{month}-01", f"{month}-31")
    return sum(t.get("intake", 0) for t in days.values())


def _showcase() -> list[dict[str, Any]]:
    from functions.services import presenters
    from functions.storage import showcase_repo

    entries, _ = showcase_repo.page(None)
    return [presenters.showcase_item(e) for e in entries[: rules.SHOWCASE_COUNT]]


def _docx_key(month: str) -> str:
    from functions.storage import export_store

    return export_store.key(f"bulletin-{month}", f"bulletin-{month}.docx")


def produce(month: str, now: datetime) -> bool:
    """Make and keep the 通报 of a frozen month, once (False: it exists already, or the
    month is not frozen). The Word file is written first: a run cut short before the content
    is kept is redone whole by the next run."""
    from functions.services import bulletin_docx, talks
    from functions.storage import directory, export_store, rankings_repo

    if rankings_repo.bulletin(month) is not None:
        return False
    city = rankings_repo.frozen(month)
    if city is None:
        return False
    counties = [
        found for p in directory.platforms() if (found := rankings_repo.frozen(month, p.id))
    ]
    before = rankings.previous_month(month)
    earlier = rankings_repo.bulletin(before)
    previous_received = (
        earlier["headline"]["received"] if earlier and earlier.get("headline") else None
    )
    content = rules.compose(
        month=month,
        title=rules.title_of(directory.taxonomy().city_name, month),
        city=city,
        counties=counties,
        previous=rankings_repo.frozen(before),
        received=received(month),
        previous_received=previous_received if earlier else received(before),
        talks=[talk_rules.public_view(t, now) for t in talks.for_bulletin(month, now)],
        hotspots=month_hotspots(month),
        showcase=_showcase(),
        now=now,
    )
    export_store.put(_docx_key(month), bulletin_docx.write(content), DOCX_TYPE)
    return rankings_repo.keep_bulletin(month, content, now)


def _month(month: str) -> str:
    if not rankings.is_month(month):
        raise invalid_fields([FieldError("month", "月份格式应为 YYYY-MM", "month must be YYYY-MM")])
    return month


def _missing() -> NotFound:
    return NotFound(
        "该月通报尚未发布（排名冻结后生成）",
        "no 通报 for that month (made when it is frozen)",
        "bulletin_not_found",
    )


def content(month: str) -> dict[str, Any]:
    """The 通报 of a frozen month as published (404 ``bulletin_not_found`` otherwise)."""
    from functions.storage import rankings_repo

    found = rankings_repo.bulletin(_month(month))
    if found is None:
        raise _missing()
    return found


def docx(month: str) -> tuple[bytes, str]:
    """The Word file of a frozen month's 通报 and its file name (404 as :func:`content`)."""
    from functions.storage import export_store, rankings_repo

    if rankings_repo.bulletin(_month(month)) is None:
        raise _missing()
    body = export_store.get(_docx_key(month))
    if body is None:
        raise _missing()
    return body, rules.filename(month)
