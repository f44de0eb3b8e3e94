"""The units' desk links against moto (functions/storage/desks.py): one live link per unit,
named by its desk record and written with it in one transaction; a write that finds the record
changed since it read it reads again instead of undoing the other write; the weekly marker
makes a unit's mail once; and the sparse desk index holds open cases only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.domain.cases import Actor, Contact, DepartmentRef
from functions.domain.lifecycle import Role
from tests import factories
from tests import transitions as domain

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai
DAYS = timedelta(days=30)


def _message(n: int) -> Any:
    from functions.storage import outbox_repo

    return outbox_repo.new_message(
        channel="email",
        recipient="dept-1@dept.example",
        subject=f"desk {n}",
        body="…",
        case_id=None,
        template="desk_link",
        now=T0,
    )


def _outbox() -> list[str]:
    from functions.storage.models import OutboxModel

    return sorted(m.subject for m in OutboxModel.scan())


def test_a_fresh_link_replaces_the_one_before_in_the_same_write(aws: None) -> None:
    from functions.storage import desks, tokens

    assert desks.issue("dept-1", "first", now=T0, max_age=DAYS, message=_message(1))
    record = desks.record("dept-1")
    assert record is not None and record.current == tokens.digest("first")
    assert desks.issue("dept-1", "second", now=T0, max_age=DAYS, message=_message(2))
    found = desks.find("first")
    assert found is not None and found.link.unit_id == "dept-1"
    assert found.desk is not None and found.desk.current == tokens.digest("second")
    assert desks.find("no-such-token") is None
    assert _outbox() == ["desk 1", "desk 2"]


def test_a_write_that_finds_the_record_changed_reads_it_again(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renewal racing a revocation: the revocation lands between the renewal's read and its
    write; the renewal's condition fails, it reads again and writes over the revocation (the
    new link is live, the revocation is kept), never over the record it first read."""
    from functions.storage import desks, tokens

    desks.issue("dept-1", "first", now=T0, max_age=DAYS, message=_message(1))
    read = desks._record
    raced: list[bool] = []

    def stale_then_fresh(unit_id: str) -> Any:
        before = read(unit_id)
        if not raced:
            raced.append(True)
            desks.revoke(unit_id, by="admin@wenzheng.example", at=T0 + timedelta(minutes=1))
        return before

    monkeypatch.setattr(desks, "_record", stale_then_fresh)
    later = T0 + timedelta(minutes=2)
    assert desks.issue("dept-1", "second", now=later, max_age=DAYS, message=_message(2))
    monkeypatch.setattr(desks, "_record", read)
    record = desks.record("dept-1")
    assert record is not None and record.current == tokens.digest("second")
    assert record.revoked_by == "admin@wenzheng.example"
    assert record.revoked_at == T0 + timedelta(minutes=1)
    assert _outbox() == ["desk 1", "desk 2"]  # the lost attempt wrote nothing


def test_a_marked_send_happens_once(aws: None) -> None:
    from functions.storage import desks, tokens

    marker = ("desk#2026-W45#dept-1", 2)
    assert desks.issue("dept-1", "a", now=T0, max_age=DAYS, message=_message(1), marker=marker)
    assert not desks.issue("dept-1", "b", now=T0, max_age=DAYS, message=_message(2), marker=marker)
    record = desks.record("dept-1")
    assert record is not None and record.current == tokens.digest("a")
    assert desks.find("b") is None and _outbox() == ["desk 1"]


def test_revoking_clears_the_live_link_and_keeps_who_and_when(aws: None) -> None:
    from functions.storage import desks, tokens

    assert desks.revoke("dept-2", by="admin@wenzheng.example", at=T0) is None  # none yet
    desks.issue("dept-1", "first", now=T0, max_age=DAYS, message=_message(1))
    before = desks.revoke("dept-1", by="admin@wenzheng.example", at=T0 + timedelta(hours=1))
    assert before is not None and before.current == tokens.digest("first")
    after = desks.record("dept-1")
    assert after is not None and after.current is None
    assert (after.revoked_by, after.revoked_at) == (
        "admin@wenzheng.example",
        T0 + timedelta(hours=1),
    )


def test_the_desk_index_holds_a_units_open_cases_only(aws: None) -> None:
    from functions.services.common import commit, deadline_rules
    from functions.storage import cases_repo

    coordinator = Actor(Role.COORDINATOR, "c@x", "值班员")
    lead = DepartmentRef("dept-1", "市住房和城乡建设局")
    ids = []
    for n in range(3):
        case = commit(
            factories.new_case(
                case_id=f"WZ20261102-D{n:05d}",
                contact=Contact("王五", "+8613800000001", None),
                now=T0,
            ),
            T0,
        )
        case = commit(factories.accept(case, coordinator, now=T0), T0)
        if n < 2:  # the third is accepted but not assigned: nobody's desk yet
            case = commit(
                domain.assign(
                    case, coordinator, lead=lead, co_handlers=[], now=T0, rules=deadline_rules()
                ),
                T0,
            )
        ids.append(case.case_id)
    found, more = cases_repo.on_desk("dept-1", 10)
    assert sorted(c.case_id for c in found) == ids[:2] and not more
    found, more = cases_repo.on_desk("dept-1", 1)
    assert len(found) == 1 and more
    assert cases_repo.on_desk("dept-2", 10) == ([], False)
