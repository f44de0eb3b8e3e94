"""Staff routes: sign-in, session, the coordinator's console and the operator's case entry.
Every route names the roles it admits (``ROUTE_ROLES``, checked by a table-driven test)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from functions.api.http import body, header, ip, json_headers, now, query, route
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

staff = Blueprint(__name__)

COORDINATORS = frozenset({Role.COORDINATOR, Role.ADMIN})
INTAKE = frozenset({Role.OPERATOR, Role.COORDINATOR, Role.ADMIN})
ANY_STAFF = frozenset({Role.OPERATOR, Role.COORDINATOR, Role.ADMIN, Role.AUDITOR})

# (method, path) → roles; the route table the authorisation test walks.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {}


def _session(roles: frozenset[Role]) -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(header(staff, "authorization"), now(), roles)


def _guarded(method: str, path: str, roles: frozenset[Role]) -> None:
    ROUTE_ROLES[(method, path)] = roles


@route(staff, "/api/staff/sign-in", methods=("POST",))
def sign_in() -> Response:
    from functions.domain.rate_limits import normalise_email
    from functions.services import rate_limits, staff_auth

    email, at = body(staff, "staff-sign-in")["email"], now()
    # Counted before the address is looked up: known and unknown addresses answer alike.
    rate_limits.hit("signin_ip", ip(staff), at, route="/api/staff/sign-in")
    rate_limits.hit("signin_address", normalise_email(email), at, route="/api/staff/sign-in")
    staff_auth.request_sign_in(email, at)
    return Response(
        body={"message": "如该邮箱已登记为工作人员，登录链接已发送，请查收邮件。"},
        status_code=202,
        headers=json_headers(),
    )


@route(staff, "/api/staff/session", methods=("POST",))
def open_session() -> dict[str, Any]:
    from functions.services import staff_auth

    return staff_auth.open_session(body(staff, "staff-session")["token"], now())


@route(staff, "/api/staff/sign-out", methods=("POST",))
def sign_out() -> dict[str, Any]:
    from functions.services import staff_auth

    staff_auth.sign_out(header(staff, "authorization"))
    return {"signed_out": True}


_guarded("GET", "/api/staff/me", ANY_STAFF)


@route(staff, "/api/staff/me")
def me() -> dict[str, Any]:
    s = _session(ANY_STAFF)
    return {"email": s.email, "role": s.role.value, "name": s.name}


_guarded("GET", "/api/staff/queue", COORDINATORS)


@route(staff, "/api/staff/queue")
def queue() -> dict[str, Any]:
    from functions.services import coordination

    _session(COORDINATORS)
    filters = query(
        staff, "state", "kind", "category", "district", "department", "pending", "sort", "cursor"
    )
    return coordination.queue(filters, now())


_guarded("GET", "/api/staff/overdue", COORDINATORS)


@route(staff, "/api/staff/overdue")
def overdue() -> dict[str, Any]:
    """The 黄牌 / 红牌 lists: ``card=yellow|red`` (default yellow), ``department``, ``cursor``."""
    from functions.services import sla

    _session(COORDINATORS)
    filters = query(staff, "card", "department", "cursor")
    card, cursor = filters.pop("card", "yellow"), filters.pop("cursor", None)
    return sla.carded(card, filters, cursor, now(), public=False)


_guarded("GET", "/api/staff/rankings/cases", COORDINATORS)


@route(staff, "/api/staff/rankings/cases")
def ranking_cases() -> dict[str, Any]:
    """Every case behind a ranking figure (public or not): ``month``, ``unit``, ``metric``."""
    from functions.services import rankings

    _session(COORDINATORS)
    q = query(staff, "month", "unit", "metric")
    return rankings.cases_behind(
        q.get("month"), q.get("unit"), q.get("metric"), now(), public=False
    )


_guarded("GET", "/api/staff/outbox", COORDINATORS)


@route(staff, "/api/staff/outbox")
def dead_letters() -> dict[str, Any]:
    """发送失败: ``status=dead`` (the only list for now), ``cursor``."""
    from functions.services import outbox

    _session(COORDINATORS)
    filters = query(staff, "status", "cursor")
    return outbox.listing(filters.get("status", "dead"), filters.get("cursor"))


_guarded("POST", "/api/staff/outbox/{message_id}/retry", COORDINATORS)


@route(staff, "/api/staff/outbox/{message_id}/retry", methods=("POST",))
def retry_message(message_id: str) -> dict[str, Any]:
    from functions.services import outbox

    _session(COORDINATORS)
    return outbox.retry(message_id, now())


_guarded("GET", "/api/staff/cases/{case_id}", COORDINATORS)


@route(staff, "/api/staff/cases/{case_id}")
def case(case_id: str) -> dict[str, Any]:
    from functions.services import coordination

    _session(COORDINATORS)
    return coordination.case_view(case_id, now())


_guarded("POST", "/api/staff/cases", INTAKE)


@route(staff, "/api/staff/cases", methods=("POST",), status=201)
def enter_case() -> dict[str, Any]:
    from functions.domain.cases import Actor
    from functions.services import citizen

    s = _session(INTAKE)
    data = body(staff, "case-submission")
    data.setdefault("channel", "hotline")
    return citizen.submit(
        data,
        idempotency_key=header(staff, "idempotency-key"),
        now=now(),
        actor=Actor(s.role, s.email, s.name),
    )


_ACTIONS = {
    # path suffix → (schema, service function in functions.services, imported on first use)
    "accept": ("accept", "coordination.accept"),
    "reject": ("reject", "coordination.reject"),
    "assign": ("assign", "coordination.assign"),
    "return-decision": ("return-decision", "coordination.decide_return"),
    "extension-decision": ("extension-decision", "coordination.decide_extension"),
    "close": ("close", "coordination.close"),
    "public-version": ("public-version", "coordination.edit_public_version"),
    # 回音壁
    "feature": ("feature", "showcase.feature"),
    "unfeature": ("empty", "showcase.unfeature"),
}
for _suffix in _ACTIONS:
    _guarded("POST", f"/api/staff/cases/{{case_id}}/{_suffix}", COORDINATORS)


@route(staff, "/api/staff/cases/{case_id}/{action}", methods=("POST",))
def act(case_id: str, action: str) -> dict[str, Any]:
    s = _session(COORDINATORS)
    if action not in _ACTIONS:
        from functions.domain.errors import NotFound

        raise NotFound("没有这个操作", f"no action {action}", "no_such_action")
    schema, name = _ACTIONS[action]
    module, function = name.split(".")
    service = getattr(importlib.import_module(f"functions.services.{module}"), function)
    from functions.services import coordination
    from functions.services.common import run_once

    data, at = body(staff, schema), now()
    return run_once(
        header(staff, "idempotency-key"),
        ("staff", s.email, case_id, action),
        data,
        lambda: service(case_id, data, s, at),
        now=at,
        replay=lambda: coordination.case_view(case_id, at),
    )
