"""并件 (§14): the citizens of the cases merged into a primary hear of its reply.

As for followers (functions/services/following.py), the primary's reply writes ONE fan-out
message in its own transaction when cases follow it, whatever their number; the outbox job
expands it (functions/services/fanout.py, with ``batches``), each citizen's e-mail and SMS
rendered for their own case (its id, its tracking page)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.models import Model

from functions.domain.cases import Case
from functions.domain.following import FANOUT_BATCH
from functions.services.fanout import Batch, NextBatch
from functions.storage import cases_repo, outbox_repo
from functions.storage.outbox_repo import FANOUT

AUDIENCE = "merged"  # a fan-out's recipient: the citizens of the cases merged into the case
TEMPLATE = "merged_replied"
TOLD = frozenset({"replied"})  # the primary's notices its merged citizens hear of


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


def batches(message: outbox_repo.Message, now: datetime) -> NextBatch:
    """A merged citizens' fan-out's batches (functions/services/fanout.py): the next
    ``FANOUT_BATCH`` of the primary's merged cases, in the order merged (the cursor is an
    index into ``merged_cases``); a case since taken back out (撤销并件) hears nothing."""
    assert message.case_id is not None
    primary = cases_repo.get(message.case_id)

    def next_batch(cursor: str | None) -> Batch | None:
        start = int(cursor or 0)
        ids = primary.merged_cases[start : start + FANOUT_BATCH] if primary else []
        if primary is None or not ids:
            return None
        found = cases_repo.get_many(ids)
        items = [
            item
            for case_id in ids
            if (case := found.get(case_id)) is not None
            and case.merged is not None
            and case.merged.into == primary.case_id
            for item in _messages(primary, case, now)
        ]
        return Batch(len(ids), items, str(start + len(ids)))

    return next_batch
