"""回音壁 entries in DynamoDB (``ShowcaseModel``): one item per featured case, keyed by the case,
so the staff view asks "is it featured?" with one GetItem and featuring twice rewrites the
same item. The public list is one Query of the sparse ``on-the-wall`` index (constant
partition "1", range ``<featured ISO>#<case_id>``), newest first; no scans.

Writes never happen alone: the item is handed to ``case_commit.commit`` as an extra item of
the case's own transaction (the case's version condition guards both), so the wall and the
case's timeline never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from functions.domain.cases import Actor
from functions.domain.errors import invalid_field
from functions.storage.codec import iso
from functions.storage.models import ShowcaseModel
from functions.storage.paging import decode_cursor, encode_cursor

PAGE_SIZE = 10
WALL = "1"
_KEYS = ("case_id", "wall", "featured_key")
_SNAPSHOT = (
    "title",
    "kind",
    "category",
    "category_label",
    "district",
    "district_label",
    "excerpt",
    "rating",
    "rating_comment",
    "public_summary",
    "public_before_after",
)


@dataclass
class Featured:
    """A case's 回音壁 record; ``on_wall`` is False once unfeatured (the record stays)."""

    case_id: str
    summary: str
    before_after: str | None
    featured_at: datetime
    featured_by: str
    featured_by_name: str
    updated_at: datetime
    updated_by: str
    on_wall: bool
    unfeatured_at: datetime | None = None
    unfeatured_by: str | None = None
    # What the public page shows, taken when featuring: see ``views.showcase_snapshot``.
    snapshot: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    return value.as_dict() if hasattr(value, "as_dict") else value


def _compact(data: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in data.items() if v is not None} if data else None


def _from_model(m: ShowcaseModel) -> Featured:
    snapshot = {name: getattr(m, name) for name in _SNAPSHOT}
    snapshot["lead"] = _plain(m.lead)
    snapshot["reply"] = _plain(m.reply)
    snapshot["closed_at"] = m.closed_at
    return Featured(
        case_id=m.case_id,
        summary=m.summary,
        before_after=m.before_after,
        featured_at=m.featured_at,
        featured_by=m.featured_by,
        featured_by_name=m.featured_by_name,
        updated_at=m.updated_at,
        updated_by=m.updated_by,
        on_wall=m.wall == WALL,
        unfeatured_at=m.unfeatured_at,
        unfeatured_by=m.unfeatured_by,
        snapshot=snapshot,
    )


def _to_model(entry: Featured) -> ShowcaseModel:
    s = entry.snapshot
    model = ShowcaseModel(
        entry.case_id,
        summary=entry.summary,
        before_after=entry.before_after or None,
        featured_at=entry.featured_at,
        featured_by=entry.featured_by,
        featured_by_name=entry.featured_by_name,
        updated_at=entry.updated_at,
        updated_by=entry.updated_by,
        unfeatured_at=entry.unfeatured_at,
        unfeatured_by=entry.unfeatured_by,
        lead=_compact(s.get("lead")),
        reply=_compact(s.get("reply")),
        closed_at=s.get("closed_at"),
    )
    for name in _SNAPSHOT:
        setattr(model, name, s.get(name))
    if entry.on_wall:
        model.wall = WALL
        model.featured_key = f"{iso(entry.featured_at)}#{entry.case_id}"
    return model


def get(case_id: str) -> Featured | None:
    try:
        return _from_model(ShowcaseModel.get(case_id, consistent_read=True))
    except ShowcaseModel.DoesNotExist:
        return None


def featured_item(
    previous: Featured | None,
    *,
    case_id: str,
    snapshot: dict[str, Any],
    summary: str,
    before_after: str | None,
    actor: Actor,
    now: datetime,
) -> ShowcaseModel:
    """The item that puts the case on the wall, or edits it there. A case already on the wall
    keeps its place (``featured_at``); one featured again after being taken down goes on top."""
    keep = previous is not None and previous.on_wall
    entry = Featured(
        case_id=case_id,
        summary=summary,
        before_after=before_after or None,
        featured_at=previous.featured_at if keep and previous else now,
        featured_by=previous.featured_by if keep and previous else actor.id,
        featured_by_name=previous.featured_by_name if keep and previous else actor.name,
        updated_at=now,
        updated_by=actor.id,
        on_wall=True,
        snapshot=snapshot,
    )
    return _to_model(entry)


def withdrawn_item(previous: Featured, *, actor: Actor, now: datetime) -> ShowcaseModel:
    """The item that takes the case off the wall: out of the index, the record kept."""
    return _to_model(replace(previous, on_wall=False, unfeatured_at=now, unfeatured_by=actor.id))


def page(cursor: str | None) -> tuple[list[Featured], str | None]:
    """Up to PAGE_SIZE entries on the wall, newest featured first, and the cursor of the next
    page (None when there is none): one Query, reading one item more than it returns so a
    cursor never leads to an empty page."""
    start = decode_cursor(cursor, _KEYS)
    if start is not None and (start["wall"]["S"] != WALL or not start["featured_key"]["S"]):
        raise invalid_field("cursor", "分页参数无效", "cursor from another listing")
    models = list(
        ShowcaseModel.on_the_wall.query(
            WALL,
            scan_index_forward=False,
            last_evaluated_key=start,
            limit=PAGE_SIZE + 1,
            page_size=PAGE_SIZE + 1,
        )
    )
    more = len(models) > PAGE_SIZE
    models = models[:PAGE_SIZE]
    next_cursor = None
    if more:
        last = models[-1]
        next_cursor = encode_cursor(
            {
                "case_id": {"S": last.case_id},
                "wall": {"S": WALL},
                "featured_key": {"S": last.featured_key},
            }
        )
    return [_from_model(m) for m in models], next_cursor
