"""Storage of the scheduled jobs against moto: the sparse ``followup-due`` index, the
digest's read of the cases with departments, and the once-per-key job markers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.domain.cases import Actor, Case, Contact, DepartmentRef
from functions.domain.lifecycle import Role, State
from functions.domain.taxonomy import Outcome
from tests import factories
from tests import transitions as domain

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
LEAD = Actor(Role.LEAD, "dept-1", "市住房和城乡建设局")


def _case(n: int, outcome: Outcome | None, planned: date | None = None) -> Case:
    """A case committed step by step: signed, and replied with ``outcome`` if given."""
    from functions.services.common import commit, deadline_rules

    case = commit(
        factories.new_case(
            case_id=f"WZ20261102-J{n:05d}",
            title=f"路灯不亮 {n}",
            content="路灯不亮。",
            contact=Contact("王五", "+8613800000001", None),
            now=T0,
        ),
        T0,
    )
    case = commit(factories.accept(case, COORD, now=T0), T0)
    lead = DepartmentRef(LEAD.id, LEAD.name)
    case = commit(
        domain.assign(case, COORD, lead=lead, co_handlers=[], now=T0, rules=deadline_rules()), T0
    )
    case = commit(domain.sign(case, LEAD, now=T0), T0)
    if outcome is None:
        return case
    return commit(
        domain.reply(
            case,
            LEAD,
            outcome=outcome,
            text="答复。",
            planned_date=planned,
            now=T0,
            rules=deadline_rules(),
        ),
        T0,
    )


def test_followup_index_holds_only_promises_awaiting_their_followup(aws: None) -> None:
    from functions.services.sweeps import request_followups
    from functions.storage import cases_repo
    from functions.storage.models import CaseModel

    early = _case(1, Outcome.SCHEDULED, date(2026, 11, 5))
    late = _case(2, Outcome.SCHEDULED, date(2026, 12, 1))
    _case(3, Outcome.RESOLVED)
    _case(4, None)
    indexed = {m.case_id for s in range(4) for m in CaseModel.followup_due.query(str(s))}
    assert indexed == {early.case_id, late.case_id}

    assert cases_repo.followup_due(date(2026, 11, 5)) == []  # the planned day itself
    assert cases_repo.followup_due(date(2026, 11, 6)) == [early.case_id]
    at = datetime(2026, 11, 6, 1, 0, tzinfo=UTC)
    assert request_followups(at) == {"followups": 1, "followups_raced": 0, "followups_failed": 0}
    asked = cases_repo.get(early.case_id)
    assert asked is not None and asked.last_reply is not None
    assert asked.last_reply.followup_requested_at == at
    assert cases_repo.followup_due(date(2026, 12, 31)) == [late.case_id]  # early left it
    assert request_followups(at) == {"followups": 0, "followups_raced": 0, "followups_failed": 0}


def test_cases_with_departments_are_read_from_the_queue_index(aws: None) -> None:
    from functions.storage import cases_repo

    working = _case(1, None)
    _case(2, Outcome.RESOLVED)
    found = cases_repo.with_departments()
    assert [c.case_id for c in found] == [working.case_id]
    assert found[0].state == State.IN_PROGRESS


def test_a_marker_sends_its_message_once(aws: None) -> None:
    from functions.storage import job_markers, outbox_repo
    from functions.storage.models import OutboxModel

    def message() -> OutboxModel:
        return outbox_repo.new_message(
            channel="email",
            recipient="dept-1@dept.example",
            subject="s",
            body="b",
            case_id=None,
            template="digest",
            now=T0,
        )

    key = "digest#2026-11-02#dept-1"
    assert not job_markers.done(key)
    assert job_markers.send_once(key, 3, message())
    assert not job_markers.send_once(key, 3, message())
    assert job_markers.done(key)
    assert [m.template for m in OutboxModel.scan()] == ["digest"]
    job_markers.mark("digest#2026-11-02", 1)
    assert job_markers.done("digest#2026-11-02") and not job_markers.done("digest#2026-11-03")
