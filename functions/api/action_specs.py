"""The API document's operations of the lifecycle actions: each audience's actions are served
by one route dispatching on the action (``POST /api/staff/cases/{case_id}/{action}``,
``POST /api/handle/{action}``, ``POST /api/cases/{case_id}/{action}``), documented as one path
per action, made from the ``Route`` each action module declares (functions/domain/actions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from functions.api.spec import LINK, PUBLIC, STAFF, Spec, answer

STAFF_CASE_ACTION = "/api/staff/cases/{case_id}/{action}"
_STAFF_ERRORS = (400, 401, 403, 404, 409, 413, 415, 503)
_DEPARTMENT_ERRORS = (400, 401, 403, 409, 410, 413, 415, 503)
_STALE = "409 when the case's state does not allow it or the case changed meanwhile (`stale_case`)."
_DEPARTMENT_NOTE = (
    "403 when the link's role may not do this (lead vs co-handler); 409 when the case's state "
    "does not allow it."
)


def _case_action(suffix: str, summary: str, operation_id: str, request: str, note: str) -> Spec:
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("staff",),
        security=STAFF,
        description=(
            f"One of the case actions served by `POST {STAFF_CASE_ACTION}` (action `{suffix}`). "
            + note
        ),
        request=request,
        responses={200: answer("StaffCase", "the case after the action")},
        errors=_STAFF_ERRORS,
    )


def _department_action(summary: str, operation_id: str, request: str) -> Spec:
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("department",),
        security=LINK,
        description=_DEPARTMENT_NOTE,
        request=request,
        responses={200: answer("HandleView", "the view after the action")},
        errors=_DEPARTMENT_ERRORS,
    )


def _pascal(suffix: str) -> str:
    return "".join(part.capitalize() for part in suffix.split("-"))


def _citizen_action(summary: str, operation_id: str, request: str, note: str) -> Spec:
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("public",),
        security=PUBLIC,
        description=(
            "With the tracking code (查询码), counted like every attempt with a code (429). 404 "
            "for an unknown case or a wrong code; 409 when the case's state does not allow it. "
            + note
        ),
        request=request,
        responses={200: answer("PrivateCase", "the citizen's own view after the action")},
        errors=(400, 404, 409, 413, 415, 429, 503),
    )


# 回音壁: beside the lifecycle (the wall is a record of its own), on the staff actions' path.
SHOWCASE_SPECS: dict[str, Spec] = {
    "feature": _case_action(
        "feature", "精选到回音壁（或修改摘要）", "staffFeature", "feature", _STALE
    ),
    "unfeature": _case_action("unfeature", "撤下回音壁", "staffUnfeature", "empty", _STALE),
}

# Where each audience's lifecycle actions are served.
PREFIXES = {
    "staff": "/api/staff/cases/{case_id}/",
    "department": "/api/handle/",
    "citizen": "/api/cases/{case_id}/",
}


def action_spec(audience: str, suffix: str, summary: str, description: str, schema: str) -> Spec:
    """The operation of a lifecycle action as its module's ``Route`` declares it."""
    if audience == "staff":
        return _case_action(suffix, summary, f"staff{_pascal(suffix)}", schema, description)
    if audience == "department":
        spec = _department_action(summary, f"handle{_pascal(suffix)}", schema)
        return replace(spec, description=f"{description} {spec.description}".strip())
    return _citizen_action(summary, f"case{_pascal(suffix)}", schema, description)


def lifecycle_specs(audience: str) -> Callable[[], dict[str, Spec]]:
    """The operations of the route dispatching ``audience``'s lifecycle actions, one per
    concrete path, read from the registry of action modules when the document is made (not at
    import: the registry loads every action)."""

    def concrete() -> dict[str, Spec]:
        from functions.domain import actions

        found = {}
        for action in actions.routed(audience):  # type: ignore[arg-type]
            r = action.route
            assert r is not None
            spec = action_spec(audience, r.suffix, r.summary, r.description, r.schema)
            found[PREFIXES[audience] + r.suffix] = spec
        if audience == "staff":
            found.update(under(PREFIXES["staff"], SHOWCASE_SPECS))
        return found

    return concrete


def under(prefix: str, specs: Mapping[str, Spec]) -> dict[str, Spec]:
    """The operations of a route dispatching on its last path segment: concrete path → spec
    (``under("/api/staff/cases/{case_id}/", {"feature": …})``)."""
    return {prefix + suffix: spec for suffix, spec in specs.items()}
