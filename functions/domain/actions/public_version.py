"""编辑公开版本: the coordinator edits the title and text the public reads, beside the
original (before 受理 or while the case is public). Every edit is scrubbed again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    PublicVersion,
    TransitionResult,
    begin,
    finish,
    public_text,
)
from functions.domain.errors import Conflict, invalid_field
from functions.domain.hashes import case_text_digest
from functions.domain.lifecycle import PUBLISHABLE, READ_ONLY, EventType, State

PUBLIC_VERSION_EDITED = EventKind(EventType.PUBLIC_VERSION_EDITED, "编辑公开版本")


def set_public_version(
    new: Case, actor: Actor, title: str, content: str, *, now: datetime
) -> Event:
    """Store the coordinator's 公开版本 (scrubbed again: an edit cannot bring a phone number or
    the citizen's name back) and the internal event whose digest seals it in the chain."""
    if not new.consent_public:
        raise Conflict(
            "留言人未同意公开，不能编辑公开版本", "the citizen did not consent", "not_public"
        )
    title, content = public_text(new, title.strip()), public_text(new, content.strip())
    if not title or not content:
        raise invalid_field(
            "public_version", "公开版本的标题和内容不能为空", "title and content are required"
        )
    new.public_version = PublicVersion(title, content, actor.id, now)
    digest = {"text_sha256": case_text_digest(title, content)}
    return Event(EventType.PUBLIC_VERSION_EDITED, now, actor, new.state, new.state, "", digest)


def edit_public_version(
    case: Case, actor: Actor, *, title: str, content: str, now: datetime
) -> TransitionResult:
    """编辑公开版本: the coordinator edits what the public reads (before or after 受理)."""
    new, _ = begin(case, ACTION, actor)
    event = set_public_version(new, actor, title, content, now=now)
    return finish(case, new, now, [event])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    return edit_public_version(
        case, actor, title=body["title"], content=body["content"], now=ctx.now
    )


def editable(case: Case, actor: Actor, ctx: Context | None = None) -> bool:
    """The console's 公开版本 section takes edits (beside, not among, the lifecycle forms)."""
    return case.consent_public


# Before 受理 (side by side with the original) and while the case is public; never on a
# rejected case (it is never published) nor an archived one (read-only).
_EDITABLE = frozenset((PUBLISHABLE - READ_ONLY) | {State.SUBMITTED})

ACTION = ActionDef(
    name="public-version",
    label="编辑公开版本",
    sources=_EDITABLE,
    targets=_EDITABLE,
    actors=COORDINATORS,
    events=(PUBLIC_VERSION_EDITED,),
    route=Route(
        "staff",
        "public-version",
        "public-version",
        "编辑公开版本",
        "公众看到的标题和内容；保存前再次去除个人信息。",
    ),
    run=run,
    available=editable,
    order=90,
)
