"""The lifecycle (§3) as a registry of action modules: each module of this package declares one
action (``ACTION``, an :class:`~functions.domain.actions.base.ActionDef`) and the events it
writes, with the pure function that takes it. Adding an action is adding a module; everything
else (the transition table, routes, the actions a page offers, the API document and
``GET /api/lifecycle``) is derived here."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Any

from functions.domain.actions.base import ActionDef, Audience, Context, EventKind
from functions.domain.errors import NotFound
from functions.domain.lifecycle import ROLE_LABELS, STATES, State

if TYPE_CHECKING:
    from functions.domain.cases import Actor, Case, Event


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if info.name != "base"
    ]


def _gather() -> tuple[dict[str, ActionDef], dict[str, EventKind]]:
    actions: dict[str, ActionDef] = {}
    events: dict[str, EventKind] = {}
    for module in _modules():
        action: ActionDef | None = getattr(module, "ACTION", None)
        kinds = list(getattr(module, "EVENTS", ()))
        if action is not None:
            if action.name in actions:
                raise RuntimeError(f"two modules declare the action {action.name}")
            actions[action.name] = action
            kinds += action.events
        for kind in kinds:
            if events.get(kind.type, kind) != kind:
                raise RuntimeError(f"the event {kind.type} is declared twice, differently")
            events[kind.type] = kind
    return dict(sorted(actions.items(), key=lambda kv: (kv[1].order, kv[0]))), events


REGISTRY, EVENTS = _gather()

EVENT_LABELS = {t: kind.label for t, kind in EVENTS.items()}
PUBLIC_EVENTS = frozenset(t for t, kind in EVENTS.items() if kind.public)


def is_public(event: Event) -> bool:
    """Whether the public sees ``event`` on a public case (its module declares it)."""
    return event.type in PUBLIC_EVENTS


def get(name: str) -> ActionDef:
    return REGISTRY[name]


def routed(audience: Audience) -> list[ActionDef]:
    """The actions taken over HTTP by ``audience``, in form order."""
    return [a for a in REGISTRY.values() if a.route and a.route.audience == audience]


def by_suffix(audience: Audience, suffix: str) -> ActionDef:
    for action in routed(audience):
        if action.route and action.route.suffix == suffix:
            return action
    raise NotFound("没有这个操作", f"no action {suffix}", "no_such_action")


def offered(case: Case, actor: Actor, ctx: Context, audience: Audience) -> list[str]:
    """What ``actor`` may do on ``case`` now, through the routes of ``audience``: the names of
    the forms its page shows, in order."""
    return [a.name for a in routed(audience) if a.offered(case, actor, ctx)]


def describe() -> dict[str, Any]:
    """The lifecycle as the pages read it (``GET /api/lifecycle``): states with their labels
    and properties, actions with labels, from/to states, who takes them and where, events with
    their labels and whether the public sees them."""

    def path(a: ActionDef) -> str | None:
        if a.route is None:
            return None
        prefix = {
            "staff": "/api/staff/cases/{case_id}/",
            "department": "/api/handle/",
            "citizen": "/api/cases/{case_id}/",
            "system": "",
        }[a.route.audience]
        return prefix + a.route.suffix

    return {
        "states": [
            {
                "code": s.value,
                "label": info.label,
                "public_label": info.shown,
                "open": not info.terminal,
                "terminal": info.terminal,
                "with_department": info.with_department,
                "publishable": info.publishable,
                "audited": info.audited,
                "archived": info.read_only,
            }
            for s, info in STATES.items()
        ],
        "actions": [
            {
                "code": a.name,
                "label": a.label,
                "from": [s.value for s in State if s in a.sources],
                "to": [s.value for s in State if s in a.targets],
                "actors": [{"code": r.value, "label": ROLE_LABELS[r]} for r in sorted(a.actors)],
                "audience": a.route.audience if a.route else "system",
                "path": path(a),
                "schema": a.route.schema if a.route else None,
            }
            for a in REGISTRY.values()
        ],
        "events": [
            {"code": t, "label": kind.label, "public": kind.public} for t, kind in EVENTS.items()
        ],
    }
