"""Storage against moto: the case round-trips, a stale transition writes nothing, the board
index is sparse, and the outbox retries, backs off and dead-letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.domain.cases import Actor, Contact, DepartmentRef
from functions.domain.errors import Conflict
from functions.domain.lifecycle import Role, State
from functions.domain.taxonomy import Kind, Urgency
from functions.storage import case_commit, paging
from tests import factories
from tests import transitions as domain

T0 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")


def _new(
    aws: None,
    public: bool = True,
    *,
    case_id: str | None = None,
    kind: Kind = Kind.HELP,
    now: datetime = T0,
) -> str:
    from functions.storage import case_commit

    result = factories.new_case(
        case_id=case_id or f"WZ20260930-{'P' if public else 'Q'}AAAAA",
        kind=kind,
        title="楼道灯坏了",
        content="3 号楼楼道灯坏了。",
        contact=Contact("王五", "+8613800000001", None),
        consent_public=public,
        now=now,
    )
    case_commit.commit(result)
    return result.case.case_id


def test_a_case_round_trips_through_dynamodb(aws: None) -> None:
    from functions.services.common import deadline_rules
    from functions.storage import cases_repo

    case_id = _new(aws)
    case = cases_repo.get(case_id)
    assert case is not None
    accepted = domain.accept(
        case, COORD, urgency=Urgency.COMPLEX, category=None, approve_public=True, now=T0
    )
    case_commit.commit(accepted)
    assigned = domain.assign(
        accepted.case,
        COORD,
        lead=DepartmentRef("dept-1", "住建局"),
        co_handlers=[DepartmentRef("dept-2", "交通局")],
        now=T0,
        rules=deadline_rules(),
    )
    case_commit.commit(assigned)
    stored = cases_repo.get(case_id)
    assert stored == assigned.case
    events = cases_repo.timeline(case_id, public_only=False)
    assert [str(e.type) for e in events] == ["submitted", "accepted", "assigned"]
    assert events[1].data == {"urgency": "complex"}


def test_a_stale_transition_changes_nothing(aws: None) -> None:
    from functions.storage import cases_repo

    case_id = _new(aws)
    snapshot = cases_repo.get(case_id)
    assert snapshot is not None
    first = domain.accept(
        snapshot, COORD, urgency=Urgency.GENERAL, category=None, approve_public=True, now=T0
    )
    second = domain.reject(
        snapshot,
        COORD,
        reason_code="spam",
        reason="广告",  # type: ignore[arg-type]
        duplicate_of=None,
        now=T0,
    )
    case_commit.commit(first)
    with pytest.raises(Conflict):
        case_commit.commit(second)
    stored = cases_repo.get(case_id)
    assert stored is not None and stored.state == State.ACCEPTED
    assert len(cases_repo.timeline(case_id, public_only=False)) == 2  # no rejection event
    assert cases_repo.state_counts() == {"submitted": 0, "accepted": 1}


def test_the_board_holds_only_public_cases(aws: None) -> None:
    from functions.storage import cases_repo

    for public in (True, False):
        case_id = _new(aws, public)
        case = cases_repo.get(case_id)
        assert case is not None
        case_commit.commit(
            domain.accept(
                case, COORD, urgency=Urgency.GENERAL, category=None, approve_public=True, now=T0
            )
        )
    page = cases_repo.board({}, None)
    assert [c.case_id for c in page.cards] == ["WZ20260930-PAAAAA"]
    assert cases_repo.board({"district": "city", "state": "accepted"}, None).cards


def test_outbox_retries_with_backoff_then_dead_letters(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    message = outbox_repo.new_message(
        channel="sms",
        recipient="+8613800000001",
        subject="",
        body="测试",
        case_id=None,
        template="t",
        now=T0,
    )
    message.save()

    def refuse(to: str, body: str, **_: object) -> str:
        raise adapter.DeliveryFailed("provider down")

    monkeypatch.setattr(adapter, "send_sms", refuse)
    now = T0
    for attempt in range(1, outbox_repo.MAX_ATTEMPTS + 1):
        assert deliver_due(now).failed == 1
        stored = outbox_repo.get(message.message_id)
        assert stored is not None and stored.attempts == attempt
        assert deliver_due(now).failed == 0  # backing off: not due again yet
        now += timedelta(hours=2)
    assert stored.status == "dead"
    assert outbox_repo.due(now + timedelta(days=1)) == []


def test_outbox_sends_each_message_once(aws: None) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    message = outbox_repo.new_message(
        channel="email",
        recipient="a@dept.example",
        subject="主题",
        body="正文",
        case_id=None,
        template="t",
        now=T0,
    )
    message.save()
    assert deliver_due(T0).sent == 1
    assert deliver_due(T0).sent == 0
    stored = outbox_repo.get(message.message_id)
    assert stored is not None and stored.status == "sent" and stored.sent_at == T0


def test_a_reopened_case_without_a_response_clock_round_trips(aws: None) -> None:
    from functions.domain.cases import Assignment, CoHandler
    from functions.storage.codec import decode, encode

    a = Assignment(
        no=2,
        lead=DepartmentRef("d", "单位"),
        co_handlers=[CoHandler(DepartmentRef("e", "协办"), T0)],
        assigned_at=T0,
        response_due_at=None,
        reply_due_at=T0,
        return_window_ends_at=T0,
    )
    assert decode(Assignment, encode(a)) == a


def test_unrated_cases_close_when_the_rating_window_ends(aws: None) -> None:
    from functions.domain.taxonomy import Outcome
    from functions.services.common import commit, deadline_rules
    from functions.services.sweeps import close_unrated
    from functions.storage import cases_repo

    case_id = _new(aws)
    case = cases_repo.get(case_id)
    assert case is not None
    lead = DepartmentRef("dept-1", "住建局")
    steps = [
        lambda c: domain.accept(
            c, COORD, urgency=Urgency.GENERAL, category=None, approve_public=True, now=T0
        ),
        lambda c: domain.assign(
            c, COORD, lead=lead, co_handlers=[], now=T0, rules=deadline_rules()
        ),
        lambda c: domain.sign(c, Actor(Role.LEAD, lead.id, lead.name), now=T0),
        lambda c: domain.reply(
            c,
            Actor(Role.LEAD, lead.id, lead.name),
            outcome=Outcome.RESOLVED,
            text="已处理完毕。",
            planned_date=None,
            now=T0,
            rules=deadline_rules(),
        ),
    ]
    for step in steps:
        case = commit(step(case), T0)
    assert close_unrated(T0 + timedelta(days=6)) == {"closed": 0, "raced": 0, "failed": 0}
    assert close_unrated(T0 + timedelta(days=7, minutes=1)) == {
        "closed": 1,
        "raced": 0,
        "failed": 0,
    }
    closed = cases_repo.get(case_id)
    assert closed is not None and closed.state == State.CLOSED
    assert close_unrated(T0 + timedelta(days=8)) == {"closed": 0, "raced": 0, "failed": 0}


def test_filtered_board_pages_are_full_and_skip_nothing(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter applied after the read must not produce empty pages or lose items at the
    cut: pages are filled from a bounded number of reads, the cursor resumes after the last
    item shown."""
    from functions.storage import cases_repo

    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    kinds = [Kind.HELP if n % 3 == 0 else Kind.COMPLAINT for n in range(24)]
    for n, kind in enumerate(kinds):
        at = T0 + timedelta(minutes=n)
        case = cases_repo.get(_new(aws, case_id=f"WZ20260930-F{n:05d}", kind=kind, now=at))
        assert case is not None
        case_commit.commit(
            domain.accept(
                case, COORD, urgency=Urgency.GENERAL, category=None, approve_public=True, now=at
            )
        )
    for kind in (Kind.HELP, Kind.COMPLAINT):  # 1 in 3 match (short reads), 2 in 3 (overshoot)
        wanted = [f"WZ20260930-F{n:05d}" for n in reversed(range(24)) if kinds[n] == kind]
        seen: list[str] = []
        sizes: list[int] = []
        cursor: str | None = None
        while True:
            # district picks the index; kind is the filter applied after the read
            page = cases_repo.board({"district": "city", "kind": kind.value}, cursor)
            sizes.append(len(page.cards))
            seen += [c.case_id for c in page.cards]
            if (cursor := page.next_cursor) is None:
                break
        assert seen == wanted, kind
        assert all(size == 3 for size in sizes[:-1]), sizes  # full pages, never empty ones
    # Unfiltered listing overshoots nothing and cuts exactly at the page size.
    everything: list[str] = []
    cursor = None
    while True:
        page = cases_repo.board({}, cursor)
        assert len(page.cards) <= 3
        everything += [c.case_id for c in page.cards]
        if (cursor := page.next_cursor) is None:
            break
    assert everything == [f"WZ20260930-F{n:05d}" for n in reversed(range(24))]
