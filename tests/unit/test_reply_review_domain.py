"""答复审核 (§15) in the pure domain: the policy per level, the lead's reply held as a draft for
the platform holding the case, approval publishing it as an unreviewed reply is published, a
return sending it back on the old deadline, and the rankings counting the reply when written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.domain import rankings
from functions.domain.actions.reply import reply
from functions.domain.actions.reply_review import review_reply
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.errors import Conflict, InvalidRequest
from functions.domain.lifecycle import PUBLIC_STATES, STATES, EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY, parse_policy, policy_to_dict
from functions.domain.taxonomy import Kind, Outcome
from tests import factories
from tests import transitions as domain

COUNTY = "east-platform"
# The county reviews its units' replies to complaints (the factory's kind), not to questions.
REVIEWED = {"city": frozenset[Kind](), "county": frozenset({Kind.COMPLAINT, Kind.HELP})}
ON = DeadlineRules(WorkCalendar(), replace(DEFAULT_POLICY, reply_review=REVIEWED))
TOWN = DepartmentRef("east-town", "东区翠湖街道办事处")
LEAD = Actor(Role.LEAD, TOWN.id, TOWN.name)
REVIEWER = Actor(Role.COUNTY_COORDINATOR, "east@x", "东区值班员", COUNTY)
CITY_COORDINATOR = Actor(Role.COORDINATOR, "c@x", "值班员")
T0 = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai


def signed(holder: str = COUNTY) -> Case:
    case = factories.new_case(case_id="WZ20261104-AAAAAA", now=T0).case
    case.holder = holder
    by = REVIEWER if holder == COUNTY else CITY_COORDINATOR
    case = factories.accept_and_assign(case, by, lead=TOWN, co_handlers=[], now=T0, rules=ON).case
    return domain.sign(case, LEAD, now=T0 + timedelta(hours=1)).case


def drafted(case: Case | None = None, at: datetime = T0 + timedelta(hours=3)) -> Case:
    return reply(
        case or signed(),
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已清运。",
        planned_date=None,
        now=at,
        rules=ON,
    ).case


def test_the_policy_reviews_nothing_by_default_and_reads_back_what_it_wrote() -> None:
    assert not any(DEFAULT_POLICY.reviews_replies(h, k) for h in ("city", COUNTY) for k in Kind)
    assert ON.policy.reviews_replies(COUNTY, Kind.COMPLAINT)
    assert not ON.policy.reviews_replies(COUNTY, Kind.CONSULTATION)
    assert not ON.policy.reviews_replies("city", Kind.COMPLAINT)
    stored = policy_to_dict(ON.policy)
    assert stored["reply_review"] == {"city": [], "county": ["complaint", "help"]}
    again, problems = parse_policy(stored)
    assert not problems and again.reply_review == REVIEWED
    _, problems = parse_policy({"reply_review": {"town": [], "city": "yes", "county": ["x"]}})
    fields = {p.field for p in problems}
    assert fields == {"reply_review.town", "reply_review.city", "reply_review.county"}


def test_a_policy_saved_per_level_before_it_went_per_kind_still_reads() -> None:
    """``{"county": true}`` (every kind) is what the policy held before it went per kind."""
    old, problems = parse_policy({"reply_review": {"city": False, "county": True}})
    assert not problems
    assert old.reply_review == {"city": frozenset(), "county": frozenset(Kind)}


def test_a_reply_to_a_kind_the_platform_does_not_review_reaches_the_citizen() -> None:
    case = signed()
    case.kind = Kind.CONSULTATION
    answered = drafted(case)
    assert answered.state == State.REPLIED and answered.reply_review is None


def test_review_state_shows_as_in_progress_and_runs_no_department_clock() -> None:
    info = STATES[State.REPLY_REVIEW]
    assert not info.with_department and not info.terminal
    assert PUBLIC_STATES[State.REPLY_REVIEW] == State.IN_PROGRESS
    assert info.shown == "办理中"


def test_a_reply_on_a_reviewing_platforms_case_waits_as_a_draft() -> None:
    result = reply(
        signed(),
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已清运。",
        planned_date=None,
        now=T0 + timedelta(hours=3),
        rules=ON,
    )
    case = result.case
    assert case.state == State.REPLY_REVIEW and case.replies == []
    assert case.reply_review is not None and case.reply_review.draft is not None
    assert case.reply_review.resume_state == State.IN_PROGRESS
    assert case.rating_window_ends_at is None and case.running_deadline() is None
    assert [e.type for e in result.events] == [EventType.REPLY_SUBMITTED]
    assert [(n.template, n.audience) for n in result.notices] == [("reply_review", "coordinators")]


def test_a_reply_on_a_case_the_city_holds_is_not_reviewed_when_only_counties_review() -> None:
    case = drafted(signed(holder="city"))
    assert case.state == State.REPLIED and len(case.replies) == 1


def test_approval_publishes_the_draft_in_the_leads_name_and_tells_the_citizen() -> None:
    at = T0 + timedelta(hours=5)
    result = review_reply(drafted(), REVIEWER, approve=True, note="", now=at, rules=ON)
    case = result.case
    assert case.state == State.REPLIED and case.reply_review is None
    assert case.replies[-1].text == "已清运。" and case.replies[-1].at == at
    assert case.rating_window_ends_at == at + timedelta(days=DEFAULT_POLICY.rating_window_days)
    approved, published = result.events
    assert approved.type == EventType.REPLY_APPROVED and approved.actor == REVIEWER
    assert published.type == EventType.REPLIED and published.actor.id == TOWN.id
    assert published.data["submitted_at"] == (T0 + timedelta(hours=3)).isoformat()
    assert [(n.template, n.audience) for n in result.notices] == [("replied", "citizen")]


def test_a_return_needs_a_note_and_keeps_the_old_deadline() -> None:
    case = drafted()
    with pytest.raises(InvalidRequest):
        review_reply(case, REVIEWER, approve=False, note=" ", now=T0, rules=ON)
    due = case.assignment.reply_due_at if case.assignment else None
    result = review_reply(case, REVIEWER, approve=False, note="请补充照片", now=T0, rules=ON)
    back = result.case
    assert back.state == State.IN_PROGRESS and back.assignment is not None
    assert back.assignment.reply_due_at == due and back.running_deadline() == due
    assert back.reply_review is not None and back.reply_review.draft is None
    assert back.reply_review.returned_note == "请补充照片" and back.reply_review.rounds == 1
    [notice] = result.notices
    assert (notice.template, notice.department, notice.link_role) == (
        "reply_returned",
        TOWN,
        Role.LEAD,
    )
    again = drafted(back, at=T0 + timedelta(hours=6))
    assert again.state == State.REPLY_REVIEW and again.reply_review is not None
    assert again.reply_review.rounds == 1


def test_nothing_to_review_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        review_reply(signed(), REVIEWER, approve=True, note="", now=T0, rules=ON)


def test_the_rankings_count_a_reviewed_reply_when_the_department_wrote_it() -> None:
    case = drafted(at=T0 + timedelta(hours=3))
    assert case.assignment is not None
    due = case.assignment.reply_due_at
    # Approved long after the deadline: the reply itself was on time.
    result = review_reply(
        case, REVIEWER, approve=True, note="", now=due + timedelta(days=3), rules=ON
    )
    [counts] = rankings.deltas(result, WorkCalendar()).values()
    assert counts["replied"] == 1 and counts["replied_on_time"] == 1
