"""The deployment settings deadlines are computed from: the working-day calendar's overrides
(``calendar``) and the SLA policy (``sla-policy``), two JSON documents of the settings table.

Every transition reads them, so :func:`deadline_rules` keeps them for a minute per process
(one ``BatchGetItem`` per process and minute); a write here forgets them at once, other
processes pick a change up within the minute. Admin pages read the documents directly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.domain.calendar import WorkCalendar
from functions.domain.calendar_settings import CalendarSettings, parse_calendar
from functions.domain.errors import FieldError
from functions.domain.policy import SlaPolicy, parse_policy, policy_to_dict
from functions.domain.rankings import RankingPolicy
from functions.domain.rankings import parse_policy as parse_ranking_policy
from functions.domain.support import SupportThresholds, parse_thresholds, thresholds_to_dict
from functions.settings import settings
from functions.storage import directory
from functions.storage.codec import iso
from functions.storage.models import SettingModel

log = logging.getLogger("wenzheng.settings")

CALENDAR = "calendar"
POLICY = "sla-policy"
RANKINGS = "rankings"  # 亮晒比 weights and minimum sample
SUPPORT_THRESHOLDS = "support-thresholds"  # 附议 that counts: 群众关注 and the leader's
_RULES = "deadline-rules"  # the cache key of the parsed pair
_TTL_SECONDS = 60
_META = ("updated_by", "updated_at")


@dataclass(frozen=True)
class Document:
    """A settings document as stored: its value without the write record, and who wrote it
    when (None for a document never written: the defaults hold)."""

    value: dict[str, Any]
    updated_by: str | None = None
    updated_at: str | None = None


def _document(raw: dict[str, Any] | None) -> Document:
    if raw is None:
        return Document({})
    value = {k: v for k, v in raw.items() if k not in _META}
    return Document(value, raw.get("updated_by"), raw.get("updated_at"))


def _read(*names: str) -> dict[str, Document]:
    found = {
        item.name: _document(item.value.as_dict())  # type: ignore[no-untyped-call]
        for item in SettingModel.batch_get(list(names))
    }
    return {name: found.get(name, Document({})) for name in names}


def _warn(name: str, problems: list[FieldError]) -> None:
    for p in problems:
        log.warning(  # the field's default is used
            "setting_invalid", extra={"document": name, "field": p.field, "error": p.message_en}
        )


def _rules() -> tuple[WorkCalendar, SlaPolicy]:
    docs = _read(CALENDAR, POLICY)
    overrides, problems = parse_calendar(docs[CALENDAR].value)
    _warn(CALENDAR, problems)
    policy, problems = parse_policy(docs[POLICY].value)
    _warn(POLICY, problems)
    return overrides.calendar(settings().calendar_confirmed_through), policy


def deadline_rules() -> tuple[WorkCalendar, SlaPolicy]:
    """The working-day calendar and the SLA policy in force (defaults where no document)."""
    return directory.cached(_RULES, _rules, ttl=_TTL_SECONDS)


def calendar_document() -> tuple[CalendarSettings, Document]:
    doc = _read(CALENDAR)[CALENDAR]
    overrides, problems = parse_calendar(doc.value)
    _warn(CALENDAR, problems)
    return overrides, doc


def policy_document() -> tuple[SlaPolicy, Document]:
    doc = _read(POLICY)[POLICY]
    policy, problems = parse_policy(doc.value)
    _warn(POLICY, problems)
    return policy, doc


def _put(name: str, value: dict[str, Any], by: str, now: datetime) -> Document:
    record = {**value, "updated_by": by, "updated_at": iso(now)}
    SettingModel(name, value=record).save()
    directory.forget(_RULES)
    return _document(record)


def put_calendar(overrides: CalendarSettings, *, by: str, now: datetime) -> Document:
    """Replace the calendar document (a checked value) and record who wrote it when."""
    return _put(CALENDAR, overrides.to_dict(), by, now)


def put_policy(policy: SlaPolicy, *, by: str, now: datetime) -> Document:
    """Replace the policy document (a checked value) and record who wrote it when."""
    return _put(POLICY, policy_to_dict(policy), by, now)


def _ranking_policy() -> RankingPolicy:
    policy, problems = parse_ranking_policy(_read(RANKINGS)[RANKINGS].value)
    for problem in problems:
        log.warning("setting_invalid", extra={"document": RANKINGS, "error": problem})
    return policy


def ranking_policy() -> RankingPolicy:
    """The 亮晒比 weights and minimum sample in force, kept for a minute per process."""
    return directory.cached(RANKINGS, _ranking_policy, ttl=_TTL_SECONDS)


def put_rankings(value: dict[str, Any], *, by: str, now: datetime) -> Document:
    """Replace the rankings document; the value must parse without problems."""
    _, problems = parse_ranking_policy(value)
    if problems:
        raise ValueError("; ".join(problems))
    document = _put(RANKINGS, value, by, now)
    directory.forget(RANKINGS)
    return document


def _support_thresholds() -> SupportThresholds:
    thresholds, problems = parse_thresholds(_read(SUPPORT_THRESHOLDS)[SUPPORT_THRESHOLDS].value)
    _warn(SUPPORT_THRESHOLDS, problems)
    return thresholds


def support_thresholds() -> SupportThresholds:
    """The 附议 thresholds in force (defaults where no document), kept for a minute per
    process: a support that may have crossed one, and the board's cards, read them."""
    return directory.cached(SUPPORT_THRESHOLDS, _support_thresholds, ttl=_TTL_SECONDS)


def support_thresholds_document() -> tuple[SupportThresholds, Document]:
    doc = _read(SUPPORT_THRESHOLDS)[SUPPORT_THRESHOLDS]
    thresholds, problems = parse_thresholds(doc.value)
    _warn(SUPPORT_THRESHOLDS, problems)
    return thresholds, doc


def put_support_thresholds(thresholds: SupportThresholds, *, by: str, now: datetime) -> Document:
    """Replace the thresholds document (a checked value) and record who wrote it when."""
    document = _put(SUPPORT_THRESHOLDS, thresholds_to_dict(thresholds), by, now)
    directory.forget(SUPPORT_THRESHOLDS)
    return document
