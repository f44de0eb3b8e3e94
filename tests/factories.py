"""Test data built by the real domain functions: a case as a citizen submits it on the web,
then accepted and assigned by a coordinator. The defaults are the values most tests use;
a test passes only what it depends on. Each builder returns the ``TransitionResult``, as the
domain does, so a storage test can commit every step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from functions.domain.calendar import WorkCalendar
from functions.domain.cases import (
    CITIZEN,
    Actor,
    Case,
    Contact,
    DeadlineRules,
    DepartmentRef,
    TransitionResult,
)
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Channel, Kind, Urgency
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)  # the official calendar, default policy


def new_case(
    *,
    now: datetime,
    case_id: str = "WZ20261102-AAAAAA",
    kind: Kind = Kind.COMPLAINT,
    title: str = "电梯长期故障",
    content: str = "小区 3 号楼电梯停运两个月。",
    contact: Contact | None = None,
    consent_public: bool = True,
    rules: DeadlineRules = RULES,
) -> TransitionResult:
    """A citizen's web submission in category ``urban``, district ``city``; ``contact``
    defaults to 张三丰 with a mobile number (a fresh ``Contact`` each call)."""
    return domain.new_case(
        case_id=case_id,
        tracking_hash="h",
        tracking_code="TESTCODE",
        kind=kind,
        category="urban",
        district="city",
        title=title,
        content=content,
        contact=contact if contact is not None else Contact("张三丰", "+8613800000000", None),
        consent_public=consent_public,
        channel=Channel.WEB,
        actor=CITIZEN,
        now=now,
        rules=rules,
        contact_salt="test-salt",
    )


def accept(
    case: Case,
    coordinator: Actor,
    *,
    now: datetime,
    urgency: Urgency = Urgency.GENERAL,
    approve_public: bool = True,
) -> TransitionResult:
    """The coordinator accepts ``case`` keeping its category."""
    return domain.accept(
        case,
        coordinator,
        urgency=urgency,
        category=None,
        approve_public=approve_public,
        now=now,
    )


def accept_and_assign(
    case: Case,
    coordinator: Actor,
    *,
    lead: DepartmentRef,
    co_handlers: Sequence[DepartmentRef] = (),
    now: datetime,
    rules: DeadlineRules,
) -> TransitionResult:
    """The coordinator accepts ``case`` (general urgency, publication approved) and assigns it
    to ``lead``, both at ``now``; the result is the assignment's."""
    accepted = accept(case, coordinator, now=now).case
    return domain.assign(
        accepted, coordinator, lead=lead, co_handlers=list(co_handlers), now=now, rules=rules
    )
