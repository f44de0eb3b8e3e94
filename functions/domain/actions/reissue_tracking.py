"""重新发放查询码 (我的诉求, §17): the citizen, signed in by a code sent to the case's phone
number, has the case's tracking code re-issued: the new code goes to the case's contact, the
old one stops working. An internal event records it (never the code, nor its digest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind
from functions.domain.cases import Actor, Case, Event, Notice, TransitionResult, begin, finish
from functions.domain.lifecycle import READ_ONLY, EventType, Role, State

TRACKING_REISSUED = EventKind(EventType.TRACKING_CODE_REISSUED, "重新发放查询码")


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    """``body``: ``tracking_hash`` (the new code's digest, kept on the case) and
    ``tracking_code`` (the code itself, for the message to the contact only)."""
    new, state = begin(case, ACTION, actor)
    new.tracking_hash = body["tracking_hash"]
    event = Event(
        EventType.TRACKING_CODE_REISSUED,
        ctx.now,
        actor,
        state,
        state,
        "留言人通过手机验证重新获取查询码，原查询码失效",
    )
    notice = Notice("tracking_code_reissued", "citizen", tracking_code=body["tracking_code"])
    return finish(case, new, ctx.now, [event], [notice])


_OPEN_RECORD = frozenset(set(State) - READ_ONLY)

ACTION = ActionDef(
    name="reissue-tracking-code",
    label="重新发放查询码",
    sources=_OPEN_RECORD,
    targets=_OPEN_RECORD,
    actors=frozenset({Role.CITIZEN}),
    events=(TRACKING_REISSUED,),
    notices=("tracking_code_reissued",),
    run=run,
)
