"""知识库 entries and units' reply templates in DynamoDB (``KnowledgeModel``, §16).

Every entry lives in one partition ("entry"), so the whole set is one paged Query, never a
scan; each change is written with its record (who, when, before, after) in one transaction
whose condition is the entry's version as read, so two editors cannot overwrite each other
unseen (409 ``stale_entry``). A unit's templates are one item, read with one GetItem."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Conflict
from functions.domain.knowledge import Entry, Template
from functions.storage.codec import decode, encode, iso
from functions.storage.models import KnowledgeModel

ENTRY = "entry"
TEMPLATES = "templates"


def _entry(m: KnowledgeModel) -> Entry:
    data = dict(m.body.as_dict() if hasattr(m.body, "as_dict") else m.body)  # type: ignore[no-untyped-call]
    data["version"] = int(m.version)
    return decode(Entry, data)


def _body(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = encode(entry)
    data.pop("version", None)
    return data


def all_entries() -> list[Entry]:
    """Every entry, retired ones too: one Query of the entries' partition (paged by
    PynamoDB), in id order."""
    return [_entry(m) for m in KnowledgeModel.query(ENTRY)]


def get(kb_id: str) -> Entry | None:
    if not kb_id or len(kb_id) > 40:
        return None
    try:
        return _entry(KnowledgeModel.get(ENTRY, kb_id))
    except KnowledgeModel.DoesNotExist:
        return None


def history(kb_id: str) -> list[dict[str, Any]]:
    """The entry's changes, newest first."""
    return [
        {
            "at": iso(m.at) if m.at else None,
            "by": m.actor,
            "version": int(m.version),
            "before": json.loads(m.before or "null"),
            "after": json.loads(m.after or "null"),
        }
        for m in KnowledgeModel.query(f"change#{kb_id}", scan_index_forward=False)
    ]


def save(entry: Entry, before: Entry | None, *, by: str, at: datetime) -> None:
    """Write ``entry`` (its ``version`` already the new one) with the record of the change,
    on the condition that the stored entry is still ``before`` (absent when new)."""
    item = KnowledgeModel(ENTRY, entry.kb_id, body=_body(entry), version=entry.version)
    record = KnowledgeModel(
        f"change#{entry.kb_id}",
        f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{entry.version:06d}",
        at=at,
        actor=by,
        version=entry.version,
        before=json.dumps(encode(before) if before else None, ensure_ascii=False),
        after=json.dumps(encode(entry), ensure_ascii=False),
    )
    condition = (
        KnowledgeModel.pk.does_not_exist()
        if before is None
        else KnowledgeModel.version == before.version
    )
    try:
        with TransactWrite(connection=KnowledgeModel._get_connection().connection) as tx:
            tx.save(item, condition=condition)
            tx.save(record, condition=KnowledgeModel.pk.does_not_exist())
    except TransactWriteError as err:
        raise Conflict(
            "该条目已被他人修改，请刷新后重试",
            "the entry changed meanwhile",
            "stale_entry",
        ) from err


def templates(unit_id: str) -> list[Template]:
    try:
        m = KnowledgeModel.get(TEMPLATES, unit_id)
    except KnowledgeModel.DoesNotExist:
        return []
    raw = m.body.as_dict() if hasattr(m.body, "as_dict") else dict(m.body)  # type: ignore[no-untyped-call]
    return [Template(t["name"], t["text"]) for t in raw.get("items", [])]


def put_templates(unit_id: str, items: list[Template], *, by: str, at: datetime) -> None:
    """Replace the unit's templates (the whole list: a unit has a handful)."""
    KnowledgeModel(
        TEMPLATES,
        unit_id,
        body={"items": [{"name": t.name, "text": t.text} for t in items]},
        at=at,
        actor=by,
    ).save()
