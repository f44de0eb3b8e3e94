"""舆情 storage: the cases new since the ``hotspots`` job's last run (a range of the
``queue-created`` index, both buckets: never a scan; then those cases by id), the day × place
term tallies, and the warnings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, PynamoDBException
from pynamodb.models import Model

from functions.domain.errors import Unavailable
from functions.storage.codec import iso
from functions.storage.job_markers import put_once
from functions.storage.models import CaseModel, HotspotWarningModel, TermTallyModel
from functions.storage.paging import models_in_order

BUCKETS = ("open", "done")  # the queue-created index's partitions: every case is in one
CURSOR = ("cursor", "hotspots")
ALL_CATEGORIES = "*"  # functions/domain/hotspots.py ALL_CATEGORIES: a district's every category
_CASE_FIELDS = ["case_id", "created_key", "created_at", "district", "category", "title", "content"]


def _unavailable() -> Unavailable:
    return Unavailable(
        "服务暂时繁忙，请稍后重试", "storage unavailable, retry later", "unavailable"
    )


@dataclass(frozen=True)
class NewCase:
    case_id: str
    created_key: str
    created_at: datetime
    district: str
    category: str
    title: str
    content: str


def _new_case(m: CaseModel) -> NewCase:
    return NewCase(
        m.case_id, m.created_key, m.created_at, m.district, m.category, m.title, m.content
    )


def cases_between(after: str, until: datetime, *, district: str | None = None) -> list[NewCase]:
    """Cases whose ``created_key`` is after ``after`` (exclusive) and created at or before
    ``until``, oldest first: one range Query of each queue bucket (and ``district`` as a
    filter, for the cases behind a warning), whose entries hold keys and filters, not the
    text; then those cases' fields the job reads (BatchGetItem)."""
    upper = f"{iso(until)}#~"
    condition = CaseModel.district == district if district else None
    found: list[tuple[str, str]] = []
    for bucket in BUCKETS:
        for m in CaseModel.queue_created.query(
            bucket,
            CaseModel.created_key.between(after or "0", upper),
            filter_condition=condition,
            attributes_to_get=["case_id", "created_key"],
        ):
            if m.created_key > after:
                found.append((m.created_key, m.case_id))
    ids = [case_id for _, case_id in sorted(found)]
    return [_new_case(m) for m in models_in_order(ids, _CASE_FIELDS)]


@dataclass(frozen=True)
class Tally:
    day: str
    place: str
    terms: dict[str, int]
    reports: int
    through: str
    exists: bool = True


def _tally(m: TermTallyModel) -> Tally:
    return Tally(m.day, m.place, json.loads(m.terms), int(m.reports), m.through)


def tallies(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Tally]:
    """The tallies of ``keys`` (day, place) that exist: BatchGetItem, 100 keys a request."""
    wanted = sorted(set(keys))
    try:
        return {(m.day, m.place): _tally(m) for m in TermTallyModel.batch_get(wanted)}
    except PynamoDBException as error:
        raise _unavailable() from error


def save_tally(tally: Tally, previous: Tally | None, expires_at: datetime) -> bool:
    """Write the tally if nobody moved it since ``previous`` was read (False: someone did)."""
    m = TermTallyModel(
        tally.day,
        tally.place,
        terms=json.dumps(tally.terms, ensure_ascii=False, separators=(",", ":")),
        reports=tally.reports,
        through=tally.through,
        expires_at=expires_at,
    )
    condition = (
        TermTallyModel.through == previous.through
        if previous is not None
        else TermTallyModel.day.does_not_exist()
    )
    try:
        m.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise _unavailable() from error
    except PynamoDBException as error:
        raise _unavailable() from error
    return True


def cursor() -> str:
    """Where the job got to: the ``created_key`` of the last case it counted ("": nothing)."""
    try:
        return str(TermTallyModel.get(*CURSOR, consistent_read=True).through)
    except TermTallyModel.DoesNotExist:
        return ""
    except PynamoDBException as error:
        raise _unavailable() from error


def move_cursor(through: str) -> None:
    try:
        TermTallyModel(*CURSOR, through=through).save()
    except PynamoDBException as error:
        raise _unavailable() from error


# --- warnings --------------------------------------------------------------------------


@dataclass(frozen=True)
class WarningRecord:
    month: str
    key: str
    day: str
    district: str
    category: str
    terms: tuple[str, ...]
    count: int
    baseline: float
    p_value: float
    trend: dict[str, Any]
    cases: list[dict[str, Any]]
    raised_at: datetime
    updated_at: datetime
    notified: int = 0


def _warning(m: HotspotWarningModel) -> WarningRecord:
    return WarningRecord(
        m.month,
        m.warning_key,
        m.day,
        m.district,
        m.category,
        tuple(m.terms),
        int(m.count),
        float(m.baseline),
        float(m.p_value),
        json.loads(m.trend),
        json.loads(m.cases),
        m.raised_at,
        m.updated_at,
        int(m.notified or 0),
    )


def _model(w: WarningRecord) -> HotspotWarningModel:
    return HotspotWarningModel(
        w.month,
        w.key,
        day=w.day,
        district=w.district,
        category=w.category,
        terms=list(w.terms),
        count=w.count,
        baseline=round(w.baseline, 4),
        p_value=float(f"{w.p_value:.3g}"),
        trend=json.dumps(w.trend, separators=(",", ":")),
        cases=json.dumps(w.cases, ensure_ascii=False, separators=(",", ":")),
        raised_at=w.raised_at,
        updated_at=w.updated_at,
        notified=w.notified,
    )


def warnings(month: str, start: str = "0", end: str = "~") -> list[WarningRecord]:
    """A month's warnings whose key lies in ``[start, end]`` (``<day>#<district>#…``)."""
    try:
        return [
            _warning(m)
            for m in HotspotWarningModel.query(
                month, HotspotWarningModel.warning_key.between(start, end)
            )
        ]
    except PynamoDBException as error:
        raise _unavailable() from error


def raise_once(warning: WarningRecord, messages: Sequence[Model]) -> bool:
    """Put the warning and its e-mails in ONE transaction, only if the warning is new
    (False, and nothing written, when it exists)."""
    new = HotspotWarningModel.warning_key.does_not_exist()
    return put_once(_model(warning), new, messages)


def update(warning: WarningRecord) -> None:
    """A later run's view of a raised warning (its count, terms, trend and cases): only if
    it exists; no e-mail."""
    try:
        _model(warning).save(condition=HotspotWarningModel.warning_key.exists())
    except PynamoDBException as error:
        raise _unavailable() from error
