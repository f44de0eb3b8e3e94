"""单位工作台 (§15): a unit's desk, as pure rules. Which cases are on a unit's desk, in what
order of urgency, the figures of its weekly mail, and whether a desk link still opens it.

A desk link (``desk.html#t=…``, §7) is a capability for one unit, not for one case: it lists
the unit's open cases and mints a case's handling link on request. A unit has at most one live
desk link: each fresh one (asked for by a unit's address, or sent by the weekly job) replaces
the one before it, and the admin can revoke it. Nothing here reads a clock or storage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from functions.domain.cases import Case, running_deadlines
from functions.domain.lifecycle import TERMINAL, Role
from functions.domain.sla import DEADLINE_LABELS, active_card

# The strongest card first: 红牌 before 黄牌 before none.
_CARD_RANK = {"red": 0, "yellow": 1}


def desk_lead(case: Case) -> str | None:
    """The unit whose desk lists ``case`` as its lead: the lead of an open case with an
    assignment (its handling link works), else None. Storage keys the sparse desk index by it."""
    if case.state in TERMINAL or case.assignment is None:
        return None
    return case.assignment.lead.id


def role_on(case: Case, unit_id: str) -> Role | None:
    """The unit's role on an open case (lead or co-handler), or None: what a desk may open."""
    a = case.assignment
    if case.state in TERMINAL or a is None:
        return None
    if a.lead.id == unit_id:
        return Role.LEAD
    if a.co_handler(unit_id) is not None:
        return Role.CO_HANDLER
    return None


@dataclass(frozen=True)
class Standing:
    """Where a case stands on the desk at ``now``: its running deadline (the earliest, and what
    it is for), whether it has passed, and the card (黄牌/红牌) a running clock holds."""

    due_at: datetime | None
    due_label: str | None  # 签收时限 | 答复时限
    overdue: bool
    card: str | None  # "yellow" | "red" | None


def standing(case: Case, now: datetime) -> Standing:
    clocks = running_deadlines(case)
    first = min(clocks, key=lambda c: c.due_at) if clocks else None
    return Standing(
        due_at=first.due_at if first else None,
        due_label=f"{DEADLINE_LABELS[first.name]}时限" if first else None,
        overdue=bool(first and first.due_at < now),
        card=active_card(case),
    )


def co_standing(case: Case, unit_id: str, now: datetime) -> Standing:
    """Where a co-handled case stands for the co-handler (协办单位): its own deadline is the
    input it owes the lead (协办意见), while the case is with the departments and the input
    has not been given; the cards are the lead's and stay off the co-handler's line."""
    a = case.assignment
    mine = a.co_handler(unit_id) if a is not None else None
    running = (
        mine is not None and mine.input_at is None and bool(running_deadlines(case))
    )  # no clock runs while the case waits for the citizen, the coordinator or the rating
    due = mine.input_due_at if running and mine is not None else None
    return Standing(
        due_at=due,
        due_label="协办意见时限" if due else None,
        overdue=bool(due and due < now),
        card=None,
    )


def co_urgency_key(case: Case, unit_id: str, now: datetime) -> tuple[int, int, float, str]:
    """Overdue input first, then the nearest input deadline; input given (or no clock) last."""
    s = co_standing(case, unit_id, now)
    return (
        0 if s.overdue else 1,
        0 if s.due_at else 1,
        s.due_at.timestamp() if s.due_at else 0.0,
        case.case_id,
    )


def co_handled_by_urgency(cases: Iterable[Case], unit_id: str, now: datetime) -> list[Case]:
    """The cases the unit co-handles now (an entry read before a reassignment is dropped),
    most urgent first."""
    mine = [c for c in cases if role_on(c, unit_id) == Role.CO_HANDLER]
    return sorted(mine, key=lambda c: co_urgency_key(c, unit_id, now))


def urgency_key(case: Case, now: datetime) -> tuple[int, int, int, float, str]:
    """Most urgent first: 红牌, 黄牌, then overdue, then the nearest deadline; a case with no
    deadline running (waiting for the citizen, replied, with the coordinator) last."""
    s = standing(case, now)
    return (
        _CARD_RANK.get(s.card or "", 2),
        0 if s.overdue else 1,
        0 if s.due_at else 1,
        s.due_at.timestamp() if s.due_at else 0.0,
        case.case_id,
    )


def by_urgency(cases: Iterable[Case], now: datetime) -> list[Case]:
    return sorted(cases, key=lambda c: urgency_key(c, now))


@dataclass(frozen=True)
class Tally:
    """The weekly mail's figures: open cases as lead, those overdue, those carded 黄牌 and
    红牌; and the cases co-handled, those whose input is overdue."""

    open: int = 0
    overdue: int = 0
    yellow: int = 0
    red: int = 0
    co_open: int = 0
    co_overdue: int = 0


def tally(
    cases: Iterable[Case], now: datetime, co_handled: Iterable[Case] = (), unit_id: str = ""
) -> Tally:
    """``cases`` the unit leads, ``co_handled`` those it co-handles (``co_handled_by_urgency``)."""
    found = [standing(c, now) for c in cases]
    co = [co_standing(c, unit_id, now) for c in co_handled]
    return Tally(
        open=len(found),
        overdue=sum(1 for s in found if s.overdue),
        yellow=sum(1 for s in found if s.card == "yellow"),
        red=sum(1 for s in found if s.card == "red"),
        co_open=len(co),
        co_overdue=sum(1 for s in co if s.overdue),
    )


# --- the desk link -------------------------------------------------------------------------


class LinkState(StrEnum):
    LIVE = "live"
    EXPIRED = "expired"  # past its validity
    REPLACED = "replaced"  # a fresher desk link was sent since
    REVOKED = "revoked"  # the admin revoked the unit's desk links


@dataclass(frozen=True)
class IssuedLink:
    """A desk link as stored: its token's digest, its unit, when it was made and ends."""

    token_hash: str
    unit_id: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class UnitDesk:
    """The unit's desk record: the digest of its one live link (None once revoked), and who
    revoked its links last, when."""

    current: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None


def link_state(link: IssuedLink, desk: UnitDesk | None, now: datetime) -> LinkState:
    """Whether ``link`` opens its unit's desk at ``now``: only the unit's current link, until
    it expires. Any other was revoked (made before the unit's last revocation), replaced by a
    fresher one, or has expired; without a record of the unit's desk it counts as revoked."""
    current = desk is not None and desk.current == link.token_hash
    if current and link.expires_at > now:
        return LinkState.LIVE
    if desk is not None and desk.revoked_at is not None and link.created_at <= desk.revoked_at:
        return LinkState.REVOKED
    if not current and desk is not None and desk.current is not None:
        return LinkState.REPLACED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.REVOKED
