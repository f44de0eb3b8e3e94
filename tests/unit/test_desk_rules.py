"""单位工作台 as pure rules: which cases are on a unit's desk and in what role, the order of
urgency, the weekly figures, and whether a desk link still opens the desk."""

from __future__ import annotations

import copy
from datetime import timedelta

from functions.domain import desk
from functions.domain.cases import Case
from functions.domain.desk import IssuedLink, LinkState, UnitDesk, link_state
from functions.domain.lifecycle import Role, State
from tests.unit.test_lifecycle import T0, assigned, replied, signed, submitted


def test_a_case_is_on_its_leads_desk_while_open_and_assigned() -> None:
    assert desk.desk_lead(submitted()) is None  # nobody's yet
    case = assigned()
    assert desk.desk_lead(case) == "housing"
    assert desk.role_on(case, "housing") == Role.LEAD
    assert desk.role_on(case, "transport") == Role.CO_HANDLER  # opens, but not listed
    assert desk.role_on(case, "other") is None
    answered = replied()
    assert desk.desk_lead(answered) == "housing"  # the rating window: still open
    closed = copy.deepcopy(answered)
    closed.state = State.CLOSED
    assert desk.desk_lead(closed) is None and desk.role_on(closed, "housing") is None


def _carded(card: str | None, case_id: str) -> Case:
    case = assigned(co=False)
    case.case_id = case_id
    assert case.assignment is not None
    if card:
        case.assignment.cards["response"] = card
    return case


def test_red_cards_first_then_yellow_then_overdue_then_the_nearest_deadline() -> None:
    red, yellow = _carded("red", "WZ-R"), _carded("yellow", "WZ-Y")
    late = assigned(co=False)
    late.case_id = "WZ-L"
    later = signed()  # only the reply deadline runs: days ahead
    later.case_id = "WZ-F"
    soon = assigned(co=False)
    soon.case_id = "WZ-S"
    assert soon.assignment is not None and soon.assignment.response_due_at is not None
    now = soon.assignment.response_due_at + timedelta(minutes=1)
    soon.assignment.response_due_at = now + timedelta(hours=1)
    waiting = replied()  # no deadline runs: last
    waiting.case_id = "WZ-W"
    cases = [waiting, later, soon, late, yellow, red]
    ordered = [c.case_id for c in desk.by_urgency(cases, now)]
    assert ordered == ["WZ-R", "WZ-Y", "WZ-L", "WZ-S", "WZ-F", "WZ-W"]
    assert desk.tally(cases, now) == desk.Tally(open=6, overdue=3, yellow=1, red=1)
    s = desk.standing(late, now)
    assert s.overdue and s.due_label == "签收时限" and s.card is None
    assert desk.standing(later, now).due_label == "答复时限"
    assert desk.standing(waiting, now).due_at is None


def test_only_the_units_current_link_opens_its_desk_until_it_expires() -> None:
    link = IssuedLink("h1", "housing", T0, T0 + timedelta(days=30))
    live = UnitDesk(current="h1")
    assert link_state(link, live, T0) == LinkState.LIVE
    assert link_state(link, live, T0 + timedelta(days=30)) == LinkState.EXPIRED
    assert link_state(link, UnitDesk(current="h2"), T0) == LinkState.REPLACED
    revoked = UnitDesk(current=None, revoked_at=T0 + timedelta(hours=1), revoked_by="admin@x")
    assert link_state(link, revoked, T0 + timedelta(hours=2)) == LinkState.REVOKED
    # Revoked, then a fresh link asked for: the old one stays revoked, the new one opens.
    renewed = UnitDesk(current="h2", revoked_at=T0 + timedelta(hours=1), revoked_by="admin@x")
    assert link_state(link, renewed, T0 + timedelta(hours=2)) == LinkState.REVOKED
    fresh = IssuedLink("h2", "housing", T0 + timedelta(hours=2), T0 + timedelta(days=31))
    assert link_state(fresh, renewed, T0 + timedelta(hours=3)) == LinkState.LIVE
    # Without the unit's record (gone a year after its last change) nothing opens.
    assert link_state(link, None, T0) == LinkState.REVOKED
    assert link_state(link, None, T0 + timedelta(days=31)) == LinkState.EXPIRED
