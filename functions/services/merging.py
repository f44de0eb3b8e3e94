"""并件 (§14): the citizens of the cases merged into a primary hear of its reply.

As for followers (functions/services/following.py), the primary's reply writes ONE fan-out
message in its own transaction when cases follow it, whatever their number; the outbox job
expands it (``expand``), ``FANOUT_BATCH`` merged cases per transaction, each citizen's
e-mail and SMS rendered for their own case (its id, its tracking page), the batch written
with the fan-out's progress (an index into the primary's ``merged_cases``), so a rerun
neither skips nor repeats one."""

from __future__ import annotations

from datetime import datetime

from pynamodb.models import Model

from functions.domain.cases import Case
from functions.domain.following import FANOUT_BATCH
from functions.storage import cases_repo, outbox_repo
from functions.storage.outbox_repo import FANOUT

AUDIENCE = "merged"  # a fan-out's recipient: the citizens of the cases merged into the case
TEMPLATE = "merged_replied"
TOLD = frozenset({"replied"})  # the primary's notices its merged citizens hear of
BATCHES_PER_RUN = 25


def fanout(primary: Case, template: str, now: datetime) -> list[Model]:
    """The fan-out message a primary's reply calls for when cases follow it."""
    if template not in TOLD or not primary.merged_cases:
        return []
    return [
        outbox_repo.new_message(
            channel=FANOUT,
            recipient=AUDIENCE,
            subject=f"诉求 {primary.case_id} 已答复（并件）",
            body=f"主件 {primary.case_id} 的答复，发给并入它的各件诉求的留言人。",
            case_id=primary.case_id,
            template=TEMPLATE,
            now=now,
        )
    ]


def _messages(primary: Case, case: Case, now: datetime) -> list[Model]:
    from functions.notify import templates
    from functions.services.common import to_citizen, track_url

    text = templates.merged_reply(case, primary, track_url=track_url(case.case_id))
    return to_citizen(case, text, TEMPLATE, now)


def expand(message: outbox_repo.Message, now: datetime, batches: int | None = None) -> int:
    """Expand a leased merged-citizens fan-out from where it stands (see the module)."""
    from dataclasses import replace

    assert message.case_id is not None
    primary = cases_repo.get(message.case_id)
    merged = primary.merged_cases if primary is not None else []
    start, fanned, made = int(message.cursor or 0), message.fanned, 0
    for _ in range(BATCHES_PER_RUN if batches is None else batches):
        ids = merged[start : start + FANOUT_BATCH]
        if not ids or primary is None:
            break
        found = cases_repo.get_many(ids)
        items = [
            item
            for case_id in ids
            if (case := found.get(case_id)) is not None
            and case.merged is not None
            and case.merged.into == primary.case_id
            for item in _messages(primary, case, now)
        ]
        start += len(ids)
        outbox_repo.advance_fanout(message, items, cursor=str(start), fanned=fanned + len(ids))
        message = replace(message, cursor=str(start), fanned=fanned + len(ids))
        fanned, made = fanned + len(ids), made + len(items)
        if len(ids) < FANOUT_BATCH:
            break
    else:
        outbox_repo.release_fanout(message, now)
        return made
    outbox_repo.finish_fanout(message, fanned, now)
    return made
