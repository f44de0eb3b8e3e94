"""受理: the coordinator accepts a new case, sets its urgency (and category, and district),
and decides whether it is published, optionally with an edited 公开版本. Where the citizen
chose another district than the place lies in, the coordinator must say which holds (§13)."""

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
    district: str | None = None,
) -> TransitionResult:
    """受理. ``public_version``: (title, content) the coordinator edited for the public;
    ``district``: the district the case goes under (required when the citizen's choice and
    the place disagree)."""
    new, before = begin(case, ACTION, actor)
    if case.district_claimed and not district:
        raise invalid_field(
            "district",
            "留言人所选区县与所填地点不一致，请确定该诉求所属区县",
            "the citizen's district and the place disagree: say which district holds",
        )
    new.state = State.ACCEPTED
    new.urgency = urgency
    if category:
        new.category = category
    data: dict[str, Any] = {"urgency": urgency}
    if district and (district != case.district or case.district_claimed):
        data.update(district=district, district_before=case.district)
        new.district, new.district_source = district, "coordinator"
    new.district_claimed = None
    new.approved_public = approve_public and case.consent_public
    events = [Event(EventType.ACCEPTED, now, actor, before, new.state, data=data)]
    if public_version is not None and new.approved_public:
        events.append(set_public_version(new, actor, *public_version, now=now))
    return finish(case, new, now, events, [Notice("accepted", "citizen")])


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    category, district = body.get("category"), body.get("district")
    if category and not ctx.known_category(category):
        raise invalid_field("category", "请选择有效的问题分类", "unknown category")
    if district and not ctx.known_district(district):
        raise invalid_field("district", "请选择有效的区县", "unknown district")
    edited = body.get("public_version")
    return accept(
        case,
        actor,
        urgency=Urgency(body["urgency"]),
        category=category,
        approve_public=body["public"],
        now=ctx.now,
        public_version=(edited["title"], edited["content"]) if edited else None,
        district=district,
    )


ACTION = ActionDef(
    name="accept",
    label="受理",
    sources=states(State.SUBMITTED),
    targets=states(State.ACCEPTED),
    actors=COORDINATORS,
    events=(ACCEPTED,),
    notices=("accepted",),
    route=Route(
        "staff",
        "accept",
        "accept",
        "受理诉求",
        "设定紧急程度（及分类、区县），决定是否公开。留言人所选区县与地点不一致时须指定区县。",
    ),
    run=run,
    order=10,
)
