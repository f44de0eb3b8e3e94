"""The registry of action modules is consistent with what it derives from and feeds: every
declared notice has a template, every route a request schema, every stored event type a label,
and every state is reached by some action."""

from __future__ import annotations

import schemas
from functions.domain import actions
from functions.domain.lifecycle import STATES, EventType, Role, State
from functions.notify import templates


def test_every_notice_an_action_declares_has_a_template() -> None:
    registered = set(templates._CITIZEN) | set(templates._DEPARTMENT) | set(templates._STAFF)
    declared = {n for a in actions.REGISTRY.values() for n in a.notices}
    assert declared <= registered, declared - registered


def test_every_route_names_an_existing_request_schema_and_a_unique_path() -> None:
    seen: set[tuple[str, str]] = set()
    for action in actions.REGISTRY.values():
        if action.route is None:
            continue
        assert action.route.schema in schemas.names(), action.name
        key = (action.route.audience, action.route.suffix)
        assert key not in seen, key
        seen.add(key)
        assert action.run is not None, f"{action.name} has a route but no function"


def test_every_event_type_has_a_label_and_every_label_one_declaration() -> None:
    assert {str(t) for t in EventType} <= set(actions.EVENT_LABELS)
    assert all(label for label in actions.EVENT_LABELS.values())


def test_every_state_is_reached_and_has_its_properties() -> None:
    reached = {s for a in actions.REGISTRY.values() for s in a.targets}
    assert reached == set(State)
    assert set(STATES) == set(State)


def test_routed_actions_belong_to_the_audience_that_can_take_them() -> None:
    audiences = {
        "staff": {Role.COORDINATOR, Role.COUNTY_COORDINATOR, Role.ADMIN, Role.OPERATOR},
        "department": {Role.LEAD, Role.CO_HANDLER},
        "citizen": {Role.CITIZEN},
    }
    for action in actions.REGISTRY.values():
        if action.route is not None:
            assert action.actors <= audiences[action.route.audience], action.name


def test_the_lifecycle_document_lists_every_action_and_state_once() -> None:
    doc = actions.describe()
    assert [a["code"] for a in doc["actions"]] == list(actions.REGISTRY)
    assert [s["code"] for s in doc["states"]] == [s.value for s in State]
