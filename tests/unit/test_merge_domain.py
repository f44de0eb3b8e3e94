"""并件 in the pure domain (functions/domain/actions/merge.py, rate_primary.py): which targets
a merge refuses and why, and what a merged citizen's rating of the primary's reply changes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from functions.domain.actions.merge import merge
from functions.domain.actions.rate_primary import rate_primary
from functions.domain.cases import Actor, Case, DepartmentRef, Reply
from functions.domain.errors import Conflict
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.taxonomy import Outcome, Rating
from tests import factories

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")


def case(case_id: str, state: State = State.SUBMITTED) -> Case:
    made = factories.new_case(now=NOW, case_id=case_id).case
    made.state = state
    return made


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (State.MERGED, "primary_merged"),
        (State.CLOSED, "primary_not_open"),
        (State.REJECTED, "primary_not_open"),
        (State.ARCHIVED, "primary_archived"),
    ],
)
def test_a_merge_into_a_case_that_cannot_take_it_is_a_conflict_naming_why(
    state: State, code: str
) -> None:
    with pytest.raises(Conflict) as refused:
        merge(case("WZ-DUP"), case("WZ-PRI", state), COORD, note="同一问题", now=NOW)
    assert refused.value.code == code


def test_a_case_cannot_follow_itself_nor_lead_a_chain() -> None:
    dup = case("WZ-DUP")
    with pytest.raises(Conflict) as itself:
        merge(dup, copy.deepcopy(dup), COORD, note="同一问题", now=NOW)
    assert itself.value.code == "same_case"
    followed = case("WZ-MID")
    followed.merged_cases = ["WZ-OTHER"]
    with pytest.raises(Conflict) as chain:
        merge(followed, case("WZ-PRI", State.ACCEPTED), COORD, note="同一问题", now=NOW)
    assert chain.value.code == "has_merged_cases"


def merged_pair() -> tuple[Case, Case]:
    dup, primary = case("WZ-DUP"), case("WZ-PRI", State.ACCEPTED)
    result = merge(dup, primary, COORD, note="同一问题", now=NOW)
    return result.case, result.companions[0].case


def replied(primary: Case) -> Case:
    """The primary as its lead's reply leaves it (the reply action is tested on its own)."""
    done = copy.deepcopy(primary)
    done.state = State.REPLIED
    lead = DepartmentRef("dept-1", "市住房和城乡建设局")
    done.replies.append(Reply(NOW, lead, Outcome.RESOLVED, "已修复。"))
    return done


def test_a_merged_citizens_rating_changes_only_their_case_unless_unsatisfied() -> None:
    dup, primary = merged_pair()
    with pytest.raises(Conflict) as early:
        rate_primary(dup, primary, rating=Rating.SATISFIED, comment=None, now=NOW)
    assert early.value.code == "primary_not_replied"

    primary = replied(primary)
    content = rate_primary(dup, primary, rating=Rating.SATISFIED, comment=None, now=NOW)
    assert content.case.state == State.MERGED and not content.companions
    assert content.case.merged and content.case.merged.rated(1)
    assert [e.type for e in content.events] == [EventType.MERGED_RATED]
    with pytest.raises(Conflict) as twice:
        rate_primary(content.case, primary, rating=Rating.UNSATISFIED, comment=None, now=NOW)
    assert twice.value.code == "already_rated"

    unhappy = rate_primary(dup, primary, rating=Rating.UNSATISFIED, comment=" 还是坏的 ", now=NOW)
    [flagged] = unhappy.companions
    assert flagged.case.state == State.REPLIED and flagged.case.reopen_count == 0
    [complaint] = flagged.case.merged_complaints
    assert (complaint.case_id, complaint.reply, complaint.comment) == ("WZ-DUP", 1, "还是坏的")
    assert [n.template for n in flagged.notices] == ["merged_unsatisfied"]
    assert [e.type for e in flagged.events] == [EventType.MERGED_UNSATISFIED]
