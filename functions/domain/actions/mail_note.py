"""来信补充 (市长信箱, §17): the citizen answers one of the platform's mails about a case and the
answer joins that case's timeline for staff, in whatever state the case is (a reply to a
question asked, 补充材料, is the ``supplement`` action instead). The case does not move; the
message's files join the case's staff-only files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.domain.actions.base import ActionDef, Context, EventKind
from functions.domain.cases import Actor, Case, Event, TransitionResult, begin, finish
from functions.domain.hashes import text_digest
from functions.domain.lifecycle import READ_ONLY, Role, State

MAIL_RECEIVED = EventKind("mail_received", "留言人来信补充")


def run(case: Case, actor: Actor, body: Mapping[str, Any], ctx: Context) -> TransitionResult:
    """``body``: ``text`` (the reply's own words, quotes left out) and ``files``
    (``CaseFile``s already stored)."""
    new, state = begin(case, ACTION, actor)
    files = list(body.get("files") or [])
    new.files = [*new.files, *files]
    text = str(body["text"]).strip() or "（来信无正文）"
    event = Event(
        MAIL_RECEIVED.type,
        ctx.now,
        actor,
        state,
        state,
        text,
        {"text_sha256": text_digest(text), "files": str(len(files))},
    )
    return finish(case, new, ctx.now, [event], [])


_OPEN_RECORD = frozenset(set(State) - READ_ONLY)

ACTION = ActionDef(
    name="mail-note",
    label="来信补充",
    sources=_OPEN_RECORD,
    targets=_OPEN_RECORD,
    actors=frozenset({Role.CITIZEN}),
    events=(MAIL_RECEIVED,),
    run=run,
)
