"""公开版本 in the pure domain: what the public reads of a case is the scrubbed original or the
coordinator's edit (scrubbed again), sealed by an internal event; the original stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.domain import integrity
from functions.domain.actions import PUBLIC_EVENTS, is_public
from functions.domain.cases import Actor, Contact
from functions.domain.errors import Conflict, Gone, InvalidRequest
from functions.domain.hashes import GENESIS
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.taxonomy import Urgency
from tests import factories
from tests import transitions as domain

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")
CONTACT = Contact("李建国", "+8613800138000", None)
TITLE = "李建国家门口下水道堵塞"
CONTENT = "我是李建国，手机13800138000，幸福小区3栋门前下水道堵塞。"


def leaky(consent: bool = True) -> domain.Case:
    return factories.new_case(
        now=T0, title=TITLE, content=CONTENT, contact=CONTACT, consent_public=consent
    ).case


def test_the_public_reads_the_original_scrubbed_with_the_contact_name() -> None:
    case = leaky()
    assert case.contact_names == ("李建国",)
    assert domain.public_title(case) == "李**家门口下水道堵塞"
    assert "李建国" not in domain.public_content(case)
    assert "13800138000" not in domain.public_content(case)
    assert case.title == TITLE  # the original is kept as written


def test_an_edit_is_scrubbed_again_and_sealed_by_an_internal_event() -> None:
    case = leaky()
    result = domain.edit_public_version(
        case,
        COORD,
        title=" 幸福小区下水道堵塞 ",
        content="李建国反映下水道堵塞，电话13800138000。",
        now=T0 + timedelta(hours=1),
    )
    new = result.case
    assert new.public_version is not None
    assert new.public_version.title == "幸福小区下水道堵塞"
    assert "李建国" not in new.public_version.content
    assert "13800138000" not in new.public_version.content
    assert new.public_version.edited_by == "c@x" and new.state == State.SUBMITTED
    assert domain.public_title(new) == "幸福小区下水道堵塞"
    [event] = result.events
    assert event.type == EventType.PUBLIC_VERSION_EDITED
    assert event.type not in PUBLIC_EVENTS and not is_public(event)
    assert event.data["text_sha256"]
    assert new.title == TITLE and new.content == CONTENT


def test_accepting_with_an_edited_public_version_records_both_events() -> None:
    result = domain.accept(
        leaky(),
        COORD,
        urgency=Urgency.GENERAL,
        category=None,
        approve_public=True,
        now=T0,
        public_version=("幸福小区下水道堵塞", "幸福小区3栋门前下水道堵塞多日。"),
    )
    assert [e.type for e in result.events] == [
        EventType.ACCEPTED,
        EventType.PUBLIC_VERSION_EDITED,
    ]
    assert result.case.public_version is not None
    # Not published: the edit is not kept (nothing to show).
    unpublished = domain.accept(
        leaky(),
        COORD,
        urgency=Urgency.GENERAL,
        category=None,
        approve_public=False,
        now=T0,
        public_version=("幸福小区下水道堵塞", "幸福小区3栋门前下水道堵塞多日。"),
    )
    assert unpublished.case.public_version is None and len(unpublished.events) == 1


def test_no_public_version_without_consent_nor_on_a_rejected_or_archived_case() -> None:
    with pytest.raises(Conflict) as refused:
        domain.edit_public_version(
            leaky(consent=False), COORD, title="abcd", content="x" * 10, now=T0
        )
    assert refused.value.code == "not_public"
    assert not domain.public_version_editable(leaky(consent=False))
    assert domain.public_version_editable(leaky())
    rejected = leaky()
    rejected.state = State.REJECTED
    with pytest.raises(Conflict):
        domain.edit_public_version(rejected, COORD, title="abcd", content="x" * 10, now=T0)
    archived = leaky()
    archived.state = State.ARCHIVED
    with pytest.raises(Gone):
        domain.edit_public_version(archived, COORD, title="abcd", content="x" * 10, now=T0)
    with pytest.raises(InvalidRequest):
        domain.edit_public_version(leaky(), COORD, title="   ", content="  ", now=T0)


def test_the_chain_checks_the_public_version_against_its_last_edit() -> None:
    case = leaky()
    first = factories.new_case(
        now=T0, title=TITLE, content=CONTENT, contact=CONTACT
    )  # the submitted event
    edit = domain.edit_public_version(
        case, COORD, title="幸福小区下水道堵塞", content="幸福小区3栋门前下水道堵塞。", now=T0
    )
    links = integrity.seal(case.case_id, 1, GENESIS, [*first.events, *edit.events])
    assert integrity.check_facts(edit.case, links)["public_version"] == "matches"
    assert edit.case.public_version is not None
    edit.case.public_version.content = "改写"
    assert integrity.check_facts(edit.case, links)["public_version"] == "mismatch"
