"""受理: the coordinator accepts a new case, sets its urgency (and category), and decides
whether it is published, optionally with an edited 公开版本."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route, states
from functions.domain.actions.public_version import set_public_version
from functions.domain.cases import Actor, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.errors import invalid_field
from functions.domain.lifecycle import EventType, State
from functions.domain.taxonomy import Urgency

ACCEPTED = EventKind(EventType.ACCEPTED, "受理", public=True)


def accept(
    case: Case,
    actor: Actor,
    *,
    urgency: Urgency,
    category: str | None,
    approve_public: bool,
    now: datetime,
    public_version: tuple[str, str] | None = None,
) -> TransitionResult:
    """受理. ``public_version``: (title, content) the coordinator edited for the public."""
    new, before = begin(case, ACTION, actor)
    new.state = State.ACCEPTED
    new.urgency = urgency
    if category:
        new.category = category
    new.approved_public = approve_public and case.consent_public
    events = [Event(EventType.ACCEPTED, now, actor, before, new.state, data={"urgency": urgency})]
    if public_version is not None and new.approved_public:
        events.append(set_public_version(new, actor, *public_version, now=now))
    return finish(case, new, now, events, [Notice("accepted", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    category = body.get("category")
    if category and not ctx.known_category(category):
        raise invalid_field("category", "请选择有效的问题分类", "unknown category")
    edited = body.get("public_version")
    return accept(
        case,
        actor,
        urgency=Urgency(body["urgency"]),
        category=category,
        approve_public=body["public"],
        now=ctx.now,
        public_version=(edited["title"], edited["content"]) if edited else None,
    )


ACTION = ActionDef(
    name="accept",
    label="受理",
    sources=states(State.SUBMITTED),
    targets=states(State.ACCEPTED),
    actors=COORDINATORS,
    events=(ACCEPTED,),
    notices=("accepted",),
    route=Route("staff", "accept", "accept", "受理诉求", "设定紧急程度（及分类），决定是否公开。"),
    run=run,
    order=10,
)
