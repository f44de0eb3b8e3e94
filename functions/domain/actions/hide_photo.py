"""隐藏照片: the coordinator hides a photo of the case (or of a reply) from the public, with a
note saying why (a face, a licence plate, a house number). Staff and the department still see
it; the hide is an internal event on the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.domain.actions.base import COORDINATORS, ActionDef, Context, EventKind, Route
from functions.domain.cases import Actor, Case, Event, TransitionResult, begin, finish
from functions.domain.errors import Conflict, invalid_field
from functions.domain.lifecycle import READ_ONLY, EventType, State

PHOTO_HIDDEN = EventKind(EventType.PHOTO_HIDDEN, "隐藏照片")


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    new, state = begin(case, ACTION, actor)
    upload_id, note = body["photo"], body["note"].strip()
    photo = next((p for p in new.photos if p.upload_id == upload_id), None)
    if photo is None:
        raise invalid_field("photo", "该诉求没有这张照片", "no such photo on this case")
    if photo.hidden:
        raise Conflict("这张照片已隐藏", "the photo is hidden already", "photo_hidden")
    photo.hidden, photo.hidden_note = True, note
    event = Event(EventType.PHOTO_HIDDEN, ctx.now, actor, state, state, note, {"photo": upload_id})
    return finish(case, new, ctx.now, [event])


def hideable(case: Case, actor: Actor, ctx: Context | None = None) -> bool:
    return any(not p.hidden for p in case.photos)


_OPEN_RECORD = frozenset(set(State) - READ_ONLY)

ACTION = ActionDef(
    name="hide-photo",
    label="隐藏照片",
    sources=_OPEN_RECORD,
    targets=_OPEN_RECORD,
    actors=COORDINATORS,
    events=(PHOTO_HIDDEN,),
    route=Route(
        "staff",
        "hide-photo",
        "hide-photo",
        "隐藏照片",
        "不再向公众展示这张照片（人脸、车牌等），须写明理由；工作人员和承办单位仍可看到。",
    ),
    run=run,
    available=hideable,
    order=95,
)
