"""The tamper-evident history, pure: a case's events chained by SHA-256, and the first broken
link reported for every kind of tampering (modified, deleted, inserted, reordered, truncated,
appended), plus the case's own facts (text, contact, replies) checked against the chain."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from functions.domain import integrity
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    DepartmentRef,
    Event,
    TransitionResult,
)
from functions.domain.errors import Conflict, Gone
from functions.domain.hashes import GENESIS
from functions.domain.integrity import Link
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.policy import DEFAULT_POLICY
from functions.domain.taxonomy import Outcome, Rating
from tests import factories
from tests import transitions as domain

RULES = DeadlineRules(WorkCalendar(), DEFAULT_POLICY)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
HOUSING = DepartmentRef("housing", "市住房和城乡建设局")
LEAD = Actor(Role.LEAD, HOUSING.id, HOUSING.name)
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai


def _apply(case: Case, links: list[Link], result: TransitionResult) -> tuple[Case, list[Link]]:
    """What the storage does on commit: seal the events onto the head."""
    first = result.case.event_count - len(result.events) + 1
    new = integrity.seal(case.case_id, first, result.case.head_hash, result.events)
    if new:
        result.case.head_hash = new[-1].hash
    return result.case, links + new


def history() -> tuple[Case, list[Link]]:
    """Submitted → accepted → assigned → signed → replied → rated → closed → archived, sealed."""
    first = factories.new_case(now=T0)
    case, links = _apply(first.case, [], first)
    steps = [
        lambda c: factories.accept(c, COORD, now=T0),
        lambda c: domain.assign(c, COORD, lead=HOUSING, co_handlers=[], now=T0, rules=RULES),
        lambda c: domain.sign(c, LEAD, now=T0 + timedelta(hours=2)),
        lambda c: domain.reply(
            c,
            LEAD,
            outcome=Outcome.RESOLVED,
            text="已更换主板，电梯恢复运行。",
            planned_date=None,
            now=T0 + timedelta(days=2),
            rules=RULES,
        ),
        lambda c: domain.rate(
            c, rating=Rating.SATISFIED, comment=None, now=T0 + timedelta(days=3), rules=RULES
        ),
        lambda c: domain.archive(c, now=T0 + timedelta(days=40)),
    ]
    for step in steps:
        case, links = _apply(case, links, step(case))
    return case, links


def test_a_whole_history_verifies_and_each_event_links_to_the_one_before() -> None:
    case, links = history()
    assert [x.seq for x in links] == list(range(1, case.event_count + 1))
    assert links[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(links))
    assert case.head_hash == links[-1].hash
    result = integrity.verify(case, links)
    assert result.valid and result.broken is None
    assert result.facts == {"text": "matches", "contact": "matches", "replies": "matches"}


def test_the_hash_covers_every_field_of_the_event() -> None:
    case, links = history()
    event = links[2].event
    for change in (
        {"note": event.note + "。"},
        {"at": event.at + timedelta(microseconds=1)},
        {"actor": Actor(event.actor.role, event.actor.id, "别人")},
        {"data": {**event.data, "x": "1"}},
        {"to_state": State.CLOSED},
        {"type": EventType.CLOSED},
    ):
        changed = dataclasses.replace(event, **change)  # type: ignore[arg-type]
        assert integrity.event_hash(case.case_id, 3, changed, links[1].hash) != links[2].hash
    assert integrity.event_hash("WZ-OTHER", 3, event, links[1].hash) != links[2].hash


def _modified(links: list[Link]) -> list[Link]:
    x = links[3]
    return [
        *links[:3],
        dataclasses.replace(x, event=dataclasses.replace(x.event, note="改写")),
        *links[4:],
    ]


def _rehashed(links: list[Link]) -> list[Link]:
    """A modified event whose own hash was recomputed: the next event no longer links to it."""
    x = links[3]
    event = dataclasses.replace(x.event, note="改写")
    digest = integrity.event_hash("WZ20261102-AAAAAA", x.seq, event, x.prev_hash)
    return [*links[:3], Link(x.seq, event, digest, x.prev_hash), *links[4:]]


def _deleted(links: list[Link]) -> list[Link]:
    return links[:2] + links[3:]


def _deleted_and_renumbered(links: list[Link]) -> list[Link]:
    rest = [dataclasses.replace(x, seq=x.seq - 1) for x in links[3:]]
    return links[:2] + rest


def _inserted(links: list[Link]) -> list[Link]:
    fake = Event(EventType.CO_INPUT, T0, LEAD, State.IN_PROGRESS, State.IN_PROGRESS, "补记")
    shifted = [dataclasses.replace(x, seq=x.seq + 1) for x in links[3:]]
    digest = integrity.event_hash("WZ20261102-AAAAAA", 4, fake, links[2].hash)
    return [*links[:3], Link(4, fake, digest, links[2].hash), *shifted]


def _reordered(links: list[Link]) -> list[Link]:
    a, b = links[2], links[3]
    return [
        *links[:2],
        dataclasses.replace(b, seq=a.seq),
        dataclasses.replace(a, seq=b.seq),
        *links[4:],
    ]


def _truncated(links: list[Link]) -> list[Link]:
    return links[:-1]


def _appended(links: list[Link]) -> list[Link]:
    last = links[-1]
    fake = Event(EventType.REPLIED, T0, LEAD, State.ARCHIVED, State.ARCHIVED, "补充答复")
    digest = integrity.event_hash("WZ20261102-AAAAAA", last.seq + 1, fake, last.hash)
    return [*links, Link(last.seq + 1, fake, digest, last.hash)]


@pytest.mark.parametrize(
    ("tamper", "seq", "problem"),
    [
        (_modified, 4, "modified"),
        (_rehashed, 5, "relinked"),
        (_deleted, 3, "missing"),
        (_deleted_and_renumbered, 3, "relinked"),
        (_inserted, 5, "relinked"),
        (_reordered, 3, "relinked"),
        (_truncated, 8, "missing"),
        (_appended, 9, "unexpected"),
    ],
)
def test_every_kind_of_tampering_is_caught_at_its_first_broken_link(
    tamper: object, seq: int, problem: str
) -> None:
    case, links = history()
    assert case.event_count == 8
    tampered = tamper(links)  # type: ignore[operator]
    result = integrity.verify(case, tampered)
    assert not result.valid
    assert result.broken is not None
    assert (result.broken.seq, result.broken.problem) == (seq, problem)
    assert str(seq) in result.broken.message


def test_a_rewritten_chain_with_a_forged_head_is_caught_by_the_facts_or_the_head() -> None:
    """Rewriting every hash from an event on (and the case's head) makes a whole chain; that
    is why the head also travels in exports and the case's own record is checked against it."""
    case, links = history()
    rewritten = links[:3]
    for x in links[3:]:
        event = dataclasses.replace(x.event, note="全部重写") if x.seq == 4 else x.event
        digest = integrity.event_hash(case.case_id, x.seq, event, rewritten[-1].hash)
        rewritten.append(Link(x.seq, event, digest, rewritten[-1].hash))
    assert integrity.verify(case, rewritten).broken == integrity.Break(8, "head")


def test_a_reply_rewritten_in_the_case_record_after_the_fact_shows_as_a_mismatch() -> None:
    case, links = history()
    case.replies[0].text = "已妥善处理。"  # the department's words changed afterwards
    result = integrity.verify(case, links)
    assert result.broken is None and not result.valid
    assert result.facts["replies"] == "mismatch"


def test_changed_contact_or_text_in_the_case_record_shows_as_a_mismatch() -> None:
    case, links = history()
    case.contact.phone = "+8613900000000"
    assert integrity.verify(case, links).facts["contact"] == "mismatch"
    case, links = history()
    case.content += "（补充）"
    assert integrity.verify(case, links).facts["text"] == "mismatch"


def test_anonymisation_removes_contact_and_salt_and_the_chain_stays_valid() -> None:
    case, links = history()
    result = domain.anonymise(
        case, now=T0 + timedelta(days=1200), title="标题", content="[电话已隐藏]"
    )
    case, links = _apply(case, links, result)
    assert case.contact == domain.Contact() and case.contact_salt is None
    assert links[-1].event.type == EventType.ANONYMISED
    assert links[-1].event.data["text_sha256"]  # the kept text is itself on the chain
    checked = integrity.verify(case, links)
    assert checked.valid
    assert checked.facts == {"text": "matches", "contact": "anonymised", "replies": "matches"}
    with pytest.raises(Conflict):
        domain.anonymise(case, now=T0 + timedelta(days=1201), title="x", content="y")


def test_the_first_event_refers_to_the_contact_only_by_a_salted_digest() -> None:
    first = factories.new_case(now=T0).case
    _, links = history()
    data = links[0].event.data
    assert set(data) == {"text_sha256", "contact_ref"}
    assert "13800000000" not in str(data) and "张三丰" not in str(data)
    c = first.contact
    other_salt = integrity.contact_reference("other", c.name, c.phone, c.email)
    assert other_salt != data["contact_ref"]


def test_an_archived_case_refuses_every_transition_with_gone() -> None:
    case, _ = history()
    assert case.state == State.ARCHIVED
    with pytest.raises(Gone):
        domain.sign(case, LEAD, now=T0)
    with pytest.raises(Gone):
        domain.rate(case, rating=Rating.UNSATISFIED, comment=None, now=T0, rules=RULES)
    with pytest.raises(Gone):
        domain.archive(case, now=T0)


def test_a_closed_case_with_a_promise_awaiting_follow_up_is_not_archived_yet() -> None:
    case, _ = history()
    assert not domain.archivable(case)  # archived already
    first = factories.new_case(now=T0).case
    assigned = factories.accept_and_assign(first, COORD, lead=HOUSING, now=T0, rules=RULES).case
    signed = domain.sign(assigned, LEAD, now=T0).case
    promised = domain.reply(
        signed,
        LEAD,
        outcome=Outcome.SCHEDULED,
        text="列入明年计划。",
        planned_date=(T0 + timedelta(days=90)).date(),
        now=T0,
        rules=RULES,
    ).case
    closed = domain.rate(promised, rating=Rating.SATISFIED, comment=None, now=T0, rules=RULES).case
    assert closed.state == State.CLOSED and not domain.archivable(closed)
    with pytest.raises(Conflict):
        domain.archive(closed, now=T0 + timedelta(days=40))
    asked = domain.request_followup(closed, now=T0 + timedelta(days=92)).case
    assert domain.archivable(asked)


def test_late_actions_and_the_sweep_leave_a_lasting_breach_on_the_case() -> None:
    first = factories.new_case(now=T0).case
    assigned = factories.accept_and_assign(first, COORD, lead=HOUSING, now=T0, rules=RULES).case
    a = assigned.assignment
    assert a is not None and a.response_due_at is not None
    late_sign = domain.sign(assigned, LEAD, now=a.response_due_at + timedelta(minutes=1)).case
    assert late_sign.breaches == ["response"]
    on_time = domain.sign(assigned, LEAD, now=a.response_due_at - timedelta(minutes=1)).case
    assert on_time.breaches == []
    late_reply = domain.reply(
        late_sign,
        LEAD,
        outcome=Outcome.RESOLVED,
        text="已处理。",
        planned_date=None,
        now=a.reply_due_at + timedelta(hours=1),
        rules=RULES,
    ).case
    assert late_reply.breaches == ["reply", "response"]
