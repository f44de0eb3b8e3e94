"""回音壁: a coordinator features a closed public case (or edits its summary), or takes it off
(functions/domain/showcase.py). Internal events; the wall itself is a separate record."""

from __future__ import annotations

from functions.domain.actions.base import EventKind
from functions.domain.lifecycle import EventType

FEATURED = EventKind(EventType.FEATURED, "精选到回音壁")
UNFEATURED = EventKind(EventType.UNFEATURED, "撤下回音壁")
EVENTS = (FEATURED, UNFEATURED)
