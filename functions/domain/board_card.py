"""The board card: what the public lists show of a case, computed from the case when it is
written and stored in the public-board indexes (``pub_card``), so that a page of the board or
of the 不满意专区 is one Query of an index that holds cards, not whole cases.

Only what does not depend on the moment of reading or on the taxonomy's labels is stored: the
scrubbed public title and excerpt, the masked name, the public state, the deadlines (overdue
is worked out from them when read), the lead and co-handlers, the card, the rating, the
rounded point, 并件 and 群众关注. Labels are added when read (``presenters.from_card``).
Never contact data. Pure: no storage, no clock.

``VERSION`` changes whenever what a card holds or how its text is scrubbed changes: a reader
treats a card of another version as absent and reads the case instead, until the case is
written again (or ``python -m infra.recard`` rewrites the cards)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from functions.domain import geo, sla
from functions.domain.cases import Case, content_to_publish, public_text, public_title
from functions.domain.lifecycle import PUBLIC_STATES, State
from functions.domain.privacy import mask_name

VERSION = 1
EXCERPT = 120
# The board shows 20 excerpts a page, so only the start of a long text is scrubbed for one:
# EXCERPT + 200 characters. An item the cut splits (a phone number, a long e-mail) lies at
# its end; the excerpt is taken from the scrubbed start only when at least CUT_ROOM
# characters follow it there, else the whole text is scrubbed.
EXCERPT_SOURCE = EXCERPT + 200
CUT_ROOM = 100


def excerpt(case: Case) -> str:
    text = content_to_publish(case)
    masked = public_text(case, text[:EXCERPT_SOURCE])
    if len(text) > EXCERPT_SOURCE and len(masked) < EXCERPT + CUT_ROOM:
        masked = public_text(case, text)
    return masked[:EXCERPT] + ("…" if len(masked) > EXCERPT else "")


def short(text: str, limit: int = EXCERPT) -> str:
    return text[:limit] + ("…" if len(text) > limit else "")


def point(case: Case) -> dict[str, float] | None:
    """The point as the public sees it (rounded to ~10 m), or None."""
    loc = case.location
    rounded = geo.public_point(loc.lat, loc.lng) if loc else None
    return {"lat": rounded[0], "lng": rounded[1]} if rounded else None


def _iso(instant: datetime | None) -> str | None:
    # The spelling of instants everywhere (functions/storage/codec.py ``iso``).
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None


def _ref(ref: Any) -> dict[str, str] | None:
    return {"id": ref.id, "name": ref.name} if ref else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Left out: what a reader takes as the default (None, False, 0, empty)."""
    return {k: v for k, v in values.items() if v not in (None, False, 0, [], "")}


def card(case: Case) -> dict[str, Any]:
    """The stored part of the case's board card (``presenters.from_card`` makes the answer)."""
    a = case.assignment
    last_rated = next((r for r in reversed(case.replies) if r.rating), None)
    at = case.attention
    return _compact(
        {
            "v": VERSION,
            "kind": case.kind.value,
            "category": case.category,
            "district": case.district,
            "title": public_title(case),
            "excerpt": excerpt(case),
            "name_masked": mask_name(case.contact.name),
            "state": PUBLIC_STATES[case.state].value,
            "created_at": _iso(case.created_at),
            "lead": _ref(a.lead) if a else None,
            "co_handlers": [_ref(c.department) for c in a.co_handlers] if a else [],
            "response_due_at": _iso(a.response_due_at) if a else None,
            "reply_due_at": _iso(a.reply_due_at) if a else None,
            "deadline_provisional": a.provisional if a else False,
            "running": _iso(case.running_deadline()),
            "card": sla.active_card(case),
            "rating": last_rated.rating.value if last_rated and last_rated.rating else None,
            "reopen_count": case.reopen_count,
            "location": point(case),
            "merged_into": case.merged.into if case.merged else None,
            "merged_count": len(case.merged_cases),
            "attention": {
                "level": at.level,
                "at": _iso(at.at),
                "supports": at.supports,
                "threshold": at.threshold,
                "days": at.days,
                "leader_at": _iso(at.leader_at),
            }
            if at
            else None,
        }
    )


def rounds(case: Case) -> dict[str, Any]:
    """不满意专区: what happened to the case since the citizen was not satisfied (every reply
    with its rating, text and comment scrubbed and cut; the running 重办 deadline; whether it
    went to the coordinator), labels left to the reader."""
    a = case.assignment
    redoing = case.state == State.REOPENED and not case.escalated and a is not None
    return {
        "v": VERSION,
        "rounds": [
            {
                "at": _iso(r.at),
                "department": _ref(r.department),
                "outcome": r.outcome.value,
                "text": short(public_text(case, r.text)),
                "rating": r.rating.value if r.rating else None,
                "rating_comment": short(public_text(case, r.rating_comment or "")) or None,
                "rated_at": _iso(r.rated_at),
            }
            for r in case.replies
        ],
        "reopen_count": case.reopen_count,
        "redo_due_at": _iso(a.reply_due_at) if redoing and a else None,
        "escalated": case.escalated,
    }


def dumps(value: dict[str, Any]) -> str:
    """Compact JSON (Chinese as UTF-8, 3 bytes a character rather than a 6-byte escape)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> dict[str, Any] | None:
    """A stored card, or None when absent or of another version (the reader reads the case)."""
    if not text:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) and value.get("v") == VERSION else None
