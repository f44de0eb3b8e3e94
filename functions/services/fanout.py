"""Expanding a fan-out: one outbox message (channel ``fanout``) that stands for many recipients
of one case's notice: its followers (functions/services/following.py) or the citizens of the
cases merged into it (functions/services/merging.py). A transition writes the one message in
its own transaction however many there are; the outbox job expands it here, ``FANOUT_BATCH``
recipients per transaction, each batch's messages written with the fan-out's progress (its
cursor) on the condition that the progress is still the one this run read, so a rerun or an
overlapping run neither skips nor repeats a recipient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from pynamodb.models import Model

from functions.domain.following import FANOUT_BATCH
from functions.storage import outbox_repo

# Batches one outbox run expands of one fan-out before leaving the rest to the next run (so
# a run stays well inside its lease): 25 × 40 = 1,000 recipients a run.
BATCHES_PER_RUN = 25


@dataclass(frozen=True)
class Batch:
    """The next recipients of a fan-out: how many (at most ``FANOUT_BATCH``; fewer means the
    last batch), the items their messages take, and the cursor after them."""

    recipients: int
    items: list[Model]
    cursor: str


# The batch after a cursor (None: from the start); None or no recipients when none are left.
NextBatch = Callable[[str | None], Batch | None]


def expand(message: outbox_repo.Message, now: datetime, next_batch: NextBatch) -> int:
    """Expand a leased fan-out from where it stands, at most ``BATCHES_PER_RUN`` batches; then
    it is done (``expanded``) or due again for the next run. Returns how many recipients this
    call reached. ``Conflict`` when another run moved it first."""
    reached = 0
    for _ in range(BATCHES_PER_RUN):
        batch = next_batch(message.cursor)
        if batch is None or batch.recipients == 0:
            break
        fanned = message.fanned + batch.recipients
        outbox_repo.advance_fanout(message, batch.items, cursor=batch.cursor, fanned=fanned)
        message = replace(message, cursor=batch.cursor, fanned=fanned)
        reached += batch.recipients
        if batch.recipients < FANOUT_BATCH:
            break
    else:
        outbox_repo.release_fanout(message, now)
        return reached
    outbox_repo.finish_fanout(message, message.fanned, now)
    return reached
