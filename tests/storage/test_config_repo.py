"""The deployment settings deadlines follow, against moto: the ``calendar`` and ``sla-policy``
documents round-trip, the platform clock picks them up (an extra holiday pushes a deadline,
an extra workday pulls it, a year past ``confirmed_through`` is provisional but never an
error), a bad stored field falls back to its default, and the per-process cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from functions.domain.calendar import SHANGHAI, OfficeHours
from functions.domain.calendar_settings import CalendarSettings
from functions.domain.cases import Actor, Case, Contact, DepartmentRef
from functions.domain.lifecycle import Role
from functions.domain.policy import DEFAULT_POLICY, Rung, SlaPolicy
from functions.domain.taxonomy import Kind, Urgency
from tests import factories
from tests import transitions as domain

# Mon 2026-11-02 10:00 in Shanghai: no holiday for weeks either side.
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
ADMIN = "admin@wenzheng.example"
COORD = Actor(Role.COORDINATOR, "c@x", "值班员")


def _end_of(day: date) -> datetime:
    """23:59:59 Shanghai of ``day``, in UTC: when a reply due that day is due."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI).astimezone(UTC)


def _assigned(
    kind: Kind = Kind.COMPLAINT, urgency: Urgency = Urgency.GENERAL, now: datetime = T0
) -> Case:
    """A case accepted and assigned at ``now`` on the platform clock, committed."""
    from functions.services.common import commit, deadline_rules
    from functions.storage import case_commit

    created = factories.new_case(
        case_id=f"WZ{now:%Y%m%d}-{kind.value[:5].upper():A<5}",
        kind=kind,
        title="路灯不亮",
        content="翠湖路路灯连续一周不亮。",
        contact=Contact("王五", "+8613800000001", None),
        consent_public=False,
        now=now,
    )
    case_commit.commit(created)
    accepted = factories.accept(created.case, COORD, urgency=urgency, approve_public=False, now=now)
    case_commit.commit(accepted)
    assigned = domain.assign(
        accepted.case,
        COORD,
        lead=DepartmentRef("dept-1", "住建局"),
        co_handlers=[],
        now=now,
        rules=deadline_rules(),
    )
    return commit(assigned, now)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """``settings()`` re-read from the environment for the test, and again afterwards."""
    from functions.settings import settings

    settings.cache_clear()
    yield
    settings.cache_clear()


def test_without_documents_the_defaults_hold(aws: None) -> None:
    from functions.storage import config_repo

    calendar, policy = config_repo.deadline_rules()
    assert calendar.confirmed_through == 2026
    assert calendar.office_hours == OfficeHours()
    assert policy == DEFAULT_POLICY
    overrides, doc = config_repo.calendar_document()
    assert overrides == CalendarSettings()
    assert (doc.value, doc.updated_by, doc.updated_at) == ({}, None, None)


def test_the_calendar_document_round_trips(aws: None) -> None:
    from functions.storage import config_repo
    from functions.storage.models import SettingModel

    overrides = CalendarSettings(
        extra_holidays=(date(2026, 11, 4), date(2026, 12, 24)),
        extra_workdays=(date(2026, 11, 7),),
        confirmed_through=2027,
        office_hours=OfficeHours(opens=time(8, 30)),
    )
    written = config_repo.put_calendar(overrides, by=ADMIN, now=T0)
    assert (written.updated_by, written.updated_at) == (ADMIN, "2026-11-02T02:00:00Z")
    stored = SettingModel.get("calendar").value.as_dict()
    assert stored == {
        "extra_holidays": ["2026-11-04", "2026-12-24"],
        "extra_workdays": ["2026-11-07"],
        "confirmed_through": 2027,
        "office_hours": {"opens": "08:30", "closes": "17:00"},
        "updated_by": ADMIN,
        "updated_at": "2026-11-02T02:00:00Z",
    }
    read, doc = config_repo.calendar_document()
    assert read == overrides
    assert doc.updated_by == ADMIN and "updated_by" not in doc.value


def test_the_policy_document_round_trips(aws: None) -> None:
    from functions.storage import config_repo

    policy = SlaPolicy(
        response_working_hours=4.5,
        reply_working_days={
            None: {Urgency.URGENT: 3, Urgency.GENERAL: 7, Urgency.COMPLEX: 20},
            Kind.HELP: {Urgency.URGENT: 1},
        },
        reply_cap_working_days=40,
        extensions_allowed=2,
        ladder=(
            Rung("half", "过半", "used", 0.5, ("handler",)),
            Rung("red", "红牌", "overdue", 3, ("coordinator", "leader"), sms=True, card="red"),
        ),
    )
    config_repo.put_policy(policy, by=ADMIN, now=T0)
    read, doc = config_repo.policy_document()
    assert read == policy
    assert doc.updated_at == "2026-11-02T02:00:00Z"
    assert read.reply_days(Urgency.URGENT, Kind.HELP) == 1
    assert read.reply_days(Urgency.GENERAL, Kind.HELP) == 7  # falls back to the default row
    assert config_repo.deadline_rules()[1] == policy


def test_an_extra_holiday_pushes_a_deadline_and_an_extra_workday_pulls_it(aws: None) -> None:
    from functions.storage import config_repo

    # 5 working days from Mon 2 Nov: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9.
    assert _assigned().assignment.reply_due_at == _end_of(date(2026, 11, 9))  # type: ignore[union-attr]

    config_repo.put_calendar(
        CalendarSettings(extra_holidays=(date(2026, 11, 4),)), by=ADMIN, now=T0
    )
    pushed = _assigned(Kind.SUGGESTION)
    assert pushed.assignment is not None
    assert pushed.assignment.reply_due_at == _end_of(date(2026, 11, 10))

    config_repo.put_calendar(
        CalendarSettings(extra_workdays=(date(2026, 11, 7),)), by=ADMIN, now=T0
    )
    pulled = _assigned(Kind.HELP)
    assert pulled.assignment is not None
    assert pulled.assignment.reply_due_at == _end_of(date(2026, 11, 7))  # a Saturday, worked
    assert not pulled.assignment.provisional


def test_office_hours_move_the_response_deadline(aws: None) -> None:
    from functions.storage import config_repo

    config_repo.put_calendar(
        CalendarSettings(office_hours=OfficeHours(opens=time(8), closes=time(12))),
        by=ADMIN,
        now=T0,
    )
    case = _assigned()
    assert case.assignment is not None
    # 10:00 Mon: 2 office hours left Monday, 4 on Tuesday, 2 on Wednesday from 08:00.
    assert case.assignment.response_due_at == datetime(2026, 11, 4, 2, 0, tzinfo=UTC)


def test_a_year_past_confirmed_through_is_provisional_and_not_an_error(aws: None) -> None:
    from functions.storage import cases_repo, config_repo

    # The default calendar: a complex case assigned late in December runs into 2027.
    december = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    crossing = _assigned(Kind.HELP, Urgency.COMPLEX, now=december)
    assert crossing.assignment is not None and crossing.assignment.provisional
    assert crossing.assignment.reply_due_at.astimezone(SHANGHAI).year == 2027

    # An admin who has not confirmed 2026 yet: every deadline this year is provisional.
    config_repo.put_calendar(CalendarSettings(confirmed_through=2025), by=ADMIN, now=T0)
    case = _assigned()
    assert case.assignment is not None and case.assignment.provisional
    stored = cases_repo.get(case.case_id)
    assert stored is not None and stored.assignment is not None
    assert stored.assignment.provisional

    # Confirming the year makes new deadlines definite again.
    config_repo.put_calendar(CalendarSettings(confirmed_through=2027), by=ADMIN, now=T0)
    later = _assigned(Kind.HELP, Urgency.COMPLEX, now=december + timedelta(days=1))
    assert later.assignment is not None and not later.assignment.provisional


def test_confirmed_through_defaults_to_the_deployment_setting(
    aws: None, fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import settings
    from functions.storage import config_repo, directory

    monkeypatch.setenv("WZ_CALENDAR_CONFIRMED_THROUGH", "2025")
    settings.cache_clear()
    directory.clear_cache()
    assert config_repo.deadline_rules()[0].confirmed_through == 2025
    config_repo.put_calendar(CalendarSettings(extra_holidays=()), by=ADMIN, now=T0)
    assert config_repo.deadline_rules()[0].confirmed_through == 2025  # the document is silent
    config_repo.put_calendar(CalendarSettings(confirmed_through=2026), by=ADMIN, now=T0)
    assert config_repo.deadline_rules()[0].confirmed_through == 2026  # the document decides


def test_a_bad_stored_field_falls_back_to_its_default(
    aws: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document edited by hand (not through the API) never breaks a deadline: each field
    with a problem keeps its default and the problem is logged."""
    import logging

    # Once app.py is imported, Chalice sets its app logger ("wenzheng", our loggers' parent)
    # to ERROR and stops it propagating to the root, where caplog listens.
    monkeypatch.setattr(logging.getLogger("wenzheng"), "propagate", True)
    caplog.set_level(logging.WARNING, logger="wenzheng.settings")
    from functions.storage import config_repo
    from functions.storage.models import SettingModel

    SettingModel(
        "sla-policy",
        value={
            "reply_cap_working_days": "thirty",
            "extensions_allowed": 2,
            "reply_working_days": {"default": {"urgent": 2, "general": 4, "complex": 12}},
            "ladder": [{"code": "x", "label": "x", "trigger": "sometimes", "amount": 1}],
            "something_new": True,
        },
    ).save()
    SettingModel(
        "calendar",
        value={"extra_holidays": ["2026-11-04", "not a date"], "office_hours": {"opens": "9"}},
    ).save()
    calendar, policy = config_repo.deadline_rules()
    assert policy.extensions_allowed == 2
    assert policy.reply_days(Urgency.GENERAL, Kind.COMPLAINT) == 4
    assert policy.reply_cap_working_days == DEFAULT_POLICY.reply_cap_working_days
    assert policy.ladder == DEFAULT_POLICY.ladder
    assert not calendar.is_working_day(date(2026, 11, 4))
    assert calendar.office_hours == OfficeHours()
    logged = {(r.document, r.field) for r in caplog.records if r.getMessage() == "setting_invalid"}  # type: ignore[attr-defined]
    assert {
        ("sla-policy", "reply_cap_working_days"),
        ("sla-policy", "ladder.0.trigger"),
        ("calendar", "extra_holidays.1"),
        ("calendar", "office_hours.opens"),
    } <= logged


def test_the_rules_are_cached_per_process_for_a_minute(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.storage import config_repo, directory
    from functions.storage.models import SettingModel

    assert config_repo.deadline_rules()[1].extensions_allowed == 1
    # Another process writes: this one sees it only when its cached copy runs out.
    SettingModel("sla-policy", value={"extensions_allowed": 3}).save()
    assert config_repo.deadline_rules()[1].extensions_allowed == 1
    later = directory.time.monotonic() + 61
    monkeypatch.setattr(directory, "time", SimpleNamespace(monotonic=lambda: later))
    assert config_repo.deadline_rules()[1].extensions_allowed == 3
    # A write through this process is seen at once.
    config_repo.put_policy(SlaPolicy(extensions_allowed=0), by=ADMIN, now=T0)
    assert config_repo.deadline_rules()[1].extensions_allowed == 0
