"""亮晒比 storage: the per unit-month counters (added by ``case_commit.commit``) and the frozen
monthly rankings: the city's under its month (``2026-11``), each county platform's own under
the month and the platform (``2026-11#jiangcheng-platform``), one item each; the month's 通报
content under ``bulletin#2026-11``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from functions.domain.rankings import TALLY_FIELDS, Tally
from functions.storage.codec import iso
from functions.storage.models import CohortCaseModel, RankingModel, TallyModel


def month_tallies(month: str) -> dict[str, Tally]:
    """Every unit's counters for a cohort month: one query, one item per unit."""
    return {
        m.unit: Tally.of({name: getattr(m, name) for name in TALLY_FIELDS})
        for m in TallyModel.query(month)
    }


def _key(month: str, county: str | None) -> str:
    return f"{month}#{county}" if county else month


def frozen(month: str, county: str | None = None) -> dict[str, Any] | None:
    """The month's published ranking (the city's, or county platform ``county``'s own), if
    the ``rankings`` job has frozen it."""
    try:
        item = RankingModel.get(_key(month, county))
    except RankingModel.DoesNotExist:
        return None
    document: dict[str, Any] = json.loads(item.document)
    return document


def freeze(month: str, document: dict[str, Any], now: datetime, county: str | None = None) -> bool:
    """Publish the month's ranking (the city's, or ``county``'s own) once; False when it was
    already frozen (the first freeze stands, so a re-run of the job never rewrites what was
    published)."""
    try:
        RankingModel(
            _key(month, county),
            frozen_at=iso(now),
            document=json.dumps(document, ensure_ascii=False),
        ).save(condition=RankingModel.month.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def bulletin(month: str) -> dict[str, Any] | None:
    """The month's 通报 content as published (functions/services/bulletin.py), kept beside
    its frozen ranking under ``bulletin#YYYY-MM``."""
    return frozen(f"bulletin#{month}")


def keep_bulletin(month: str, content: dict[str, Any], now: datetime) -> bool:
    """Keep the month's 通报 content once (False: it was kept already)."""
    return freeze(f"bulletin#{month}", content, now)


def cohort_cases(unit: str, month: str) -> dict[str, Tally]:
    """Each case's share of a unit-month's counters: one query of that cohort."""
    return {
        m.case_id: Tally.of({name: getattr(m, name) for name in TALLY_FIELDS})
        for m in CohortCaseModel.query(f"{unit}#{month}")
    }
