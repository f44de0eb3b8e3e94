"""知识库 (§16): coordinators and admins keep the entries; the public searches the public
ones valid today (``GET /api/kb``); staff search all of them to answer a 咨询 directly; units
keep their reply templates through their desk link and pick them on the handling page.

Search: the whole set is read by one Query of the entries' partition and indexed in memory
(functions/domain/knowledge.py ``Index``), kept for ``CACHE_SECONDS`` per process; a write in
this process drops it at once, other processes see it within the minute."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from functions.domain import knowledge as kb
from functions.domain.calendar import local_date
from functions.domain.errors import Conflict, NotFound, invalid_field
from functions.storage import directory, knowledge_repo
from functions.storage.codec import iso

if TYPE_CHECKING:
    from functions.domain.cases import Case
    from functions.services.staff_auth import StaffSession

CACHE_SECONDS = 60.0
_cache: dict[str, tuple[float, kb.Index]] = {}


def _index() -> kb.Index:
    held = _cache.get("all")
    if held and time.monotonic() - held[0] < CACHE_SECONDS:
        return held[1]
    index = kb.Index.of(knowledge_repo.all_entries())
    _cache["all"] = (time.monotonic(), index)
    return index


def forget() -> None:
    """Drop the cached set (after a write here; tests between stacks)."""
    _cache.clear()


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _labels() -> dict[str, str]:
    return dict(directory.taxonomy().categories)


def staff_view(e: kb.Entry, now: datetime, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels if labels is not None else _labels()
    return {
        "id": e.kb_id,
        "question": e.question,
        "answer": e.answer,
        "category": e.category,
        "category_label": labels.get(e.category, e.category),
        "source_unit": e.source_unit,
        "public": e.public,
        "valid_from": _day(e.valid_from),
        "valid_until": _day(e.valid_until),
        "retired": e.retired,
        "live": e.live(now),
        "version": e.version,
        "created_at": iso(e.created_at),
        "created_by": e.created_by,
        "updated_at": iso(e.updated_at),
        "updated_by": e.updated_by,
    }


def public_search(q: str, category: str | None, now: datetime) -> dict[str, Any]:
    """公开知识库: the public entries valid today that match ``q``, best first, each with a
    snippet of its answer around the match (an empty ``q``: the newest)."""
    labels = _labels()
    if category and category not in labels:
        raise invalid_field("category", "请选择有效的问题分类", "unknown category")
    today = local_date(now)
    hits = _index().search(q, category=category or None, keep=lambda e: e.shown_on(today))
    return {
        "items": [
            {
                "id": h.entry.kb_id,
                "question": h.entry.question,
                "answer": h.entry.answer,
                "snippet": h.snippet,
                "category": h.entry.category,
                "category_label": labels.get(h.entry.category, h.entry.category),
                "source_unit": h.entry.source_unit,
                "valid_until": _day(h.entry.valid_until),
                "score": h.score,
            }
            for h in hits
        ]
    }


def staff_list(filters: dict[str, str], now: datetime) -> dict[str, Any]:
    """Every entry (retired ones with ``retired=true``), internal ones too, matching ``q``."""
    labels = _labels()
    with_retired = filters.get("retired") == "true"
    live_only = filters.get("live") == "true"
    today = local_date(now)
    hits = _index().search(
        filters.get("q") or "",
        category=filters.get("category") or None,
        keep=lambda e: (
            (with_retired or not e.retired)
            and (not live_only or (not e.retired and e.valid_on(today)))
        ),
        limit=500,
    )
    return {"items": [staff_view(h.entry, now, labels) for h in hits]}


def detail(kb_id: str, now: datetime) -> dict[str, Any]:
    entry = _load(kb_id)
    return {**staff_view(entry, now), "history": knowledge_repo.history(kb_id)}


def _load(kb_id: str) -> kb.Entry:
    entry = knowledge_repo.get(kb_id)
    if entry is None:
        raise NotFound("没有这个知识库条目", "no such entry", "kb_not_found")
    return entry


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    if body["category"] not in _labels():
        raise invalid_field("category", "请选择有效的问题分类", "unknown category")
    start, end = kb.dates(body)
    return {
        "question": body["question"].strip(),
        "answer": body["answer"].strip(),
        "category": body["category"],
        "source_unit": body["source_unit"].strip(),
        "public": bool(body["public"]),
        "valid_from": start,
        "valid_until": end,
    }


def create(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    entry = kb.Entry(
        kb_id=f"kb-{secrets.token_hex(4)}",
        created_at=now,
        created_by=session.email,
        updated_at=now,
        updated_by=session.email,
        **_fields(body),
    )
    knowledge_repo.save(entry, None, by=session.email, at=now)
    forget()
    return staff_view(entry, now)


def update(
    kb_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    """Replace the entry's fields; ``version`` (when sent) must be the one the editor read."""
    before = _load(kb_id)
    if before.retired:
        raise Conflict("该条目已停用，不能修改", "the entry is retired", "kb_retired")
    if body.get("version") is not None and body["version"] != before.version:
        raise Conflict("该条目已被他人修改，请刷新后重试", "the entry changed", "stale_entry")
    after = replace(
        before,
        **_fields(body),
        version=before.version + 1,
        updated_at=now,
        updated_by=session.email,
    )
    knowledge_repo.save(after, before, by=session.email, at=now)
    forget()
    return staff_view(after, now)


def retire(kb_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    """停用: the entry leaves every search; it and its history stay (no deletion)."""
    before = _load(kb_id)
    if before.retired:
        raise Conflict("该条目已停用", "the entry is already retired", "kb_retired")
    after = replace(
        before,
        version=before.version + 1,
        retired_at=now,
        retired_by=session.email,
        updated_at=now,
        updated_by=session.email,
    )
    knowledge_repo.save(after, before, by=session.email, at=now)
    forget()
    return staff_view(after, now)


def usable(kb_id: str) -> bool:
    """Whether staff may answer from this entry: it exists and is not retired."""
    entry = knowledge_repo.get(kb_id)
    return entry is not None and not entry.retired


# --- reply templates ---------------------------------------------------------------------------


def unit_templates(unit_id: str) -> list[dict[str, str]]:
    return [{"name": t.name, "text": t.text} for t in knowledge_repo.templates(unit_id)]


def put_unit_templates(
    unit_id: str, body: dict[str, Any], by: str, now: datetime
) -> list[dict[str, str]]:
    items = kb.check_templates(body["templates"])
    knowledge_repo.put_templates(unit_id, items, by=by, at=now)
    return unit_templates(unit_id)


def filled_templates(case: Case, unit_id: str, now: datetime) -> list[dict[str, str]]:
    """The unit's templates with the case's placeholders filled, for the handling page."""
    stored = knowledge_repo.templates(unit_id)
    if not stored:
        return []
    a = case.assignment
    values = kb.case_values(
        case.case_id,
        case.title,
        case.created_at,  # 受理日期: the day the platform received it (收件)
        a.assigned_at if a else None,
        a.reply_due_at if a else None,
        now,
    )
    return [{"name": t.name, "text": kb.fill(t.text, values)} for t in stored]
