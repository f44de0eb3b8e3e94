"""约谈 records (the ``talks`` table): one item per flag month and unit, the record a JSON
document written on its version (a new record only if none exists for that unit and month)."""

from __future__ import annotations

import json

from pynamodb.exceptions import PutError

from functions.domain.errors import Conflict
from functions.domain.talks import Talk, from_json, to_json
from functions.storage.models import TalkModel

UNIT_LIMIT = 24  # a unit's desk shows its records of the last two years at most


def _talk(item: TalkModel) -> Talk:
    return from_json(json.loads(item.document), int(item.version))


def get(month: str, unit: str) -> Talk | None:
    try:
        return _talk(TalkModel.get(month, unit))
    except TalkModel.DoesNotExist:
        return None


def of_month(month: str) -> list[Talk]:
    """Every record of a flag month: one Query."""
    return [_talk(item) for item in TalkModel.query(month)]


def of_unit(unit: str) -> list[Talk]:
    """A unit's records, newest flag month first: one Query of ``by-unit``."""
    found = TalkModel.by_unit.query(unit, scan_index_forward=False, limit=UNIT_LIMIT)
    return [_talk(item) for item in found]


def save(talk: Talk) -> None:
    """Write a new record (none for its unit and month yet: else 409 ``talk_exists``) or a
    change to one (on the version it was read at: else 409 ``stale_talk``)."""
    item = TalkModel(
        talk.month,
        talk.unit,
        version=talk.version,
        document=json.dumps(to_json(talk), ensure_ascii=False),
    )
    first = talk.version == 1
    condition = TalkModel.month.does_not_exist() if first else TalkModel.version == talk.version - 1
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        if first:
            raise Conflict(
                "该单位本月的约谈已经记录",
                "a 约谈 is already recorded for this unit and month",
                "talk_exists",
            ) from error
        raise Conflict(
            "约谈记录已被他人更新，请刷新后重试",
            "the record changed meanwhile; reload and retry",
            "stale_talk",
        ) from error
