"""督办: a rung of the SLA reminder ladder (提醒, 催办, 黄牌, 红牌), written by the sweep
(functions/domain/sla.py). Not an action a person takes: only its event is declared here."""

from __future__ import annotations

from functions.domain.actions.base import EventKind
from functions.domain.lifecycle import EventType

REMINDER = EventKind(EventType.REMINDER, "督办", public=True)
EVENTS = (REMINDER,)
