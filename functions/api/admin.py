"""Admin routes: the deployment settings deadlines follow (the working-day calendar's overrides
and the SLA policy). Admins write them; coordinators, who answer for the deadlines, may read
them. Every route names its roles in ``ROUTE_ROLES`` (walked by the authorisation test with
the staff routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, route
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

admin = Blueprint(__name__)

READERS = frozenset({Role.COORDINATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

CALENDAR = "/api/admin/calendar"
POLICY = "/api/admin/policy"

# (method, path) → roles; the route table the authorisation test walks.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", CALENDAR): READERS,
    ("PUT", CALENDAR): ADMINS,
    ("GET", POLICY): READERS,
    ("PUT", POLICY): ADMINS,
}


def _session(method: str, path: str) -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(
        header(admin, "authorization"), now(), ROUTE_ROLES[(method, path)]
    )


@route(admin, CALENDAR)
def calendar() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", CALENDAR)
    return configuration.calendar_view(now())


@route(admin, CALENDAR, methods=("PUT",))
def put_calendar() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", CALENDAR)
    return configuration.update_calendar(body(admin, "admin-calendar"), session, now())


@route(admin, POLICY)
def policy() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", POLICY)
    return configuration.policy_view()


@route(admin, POLICY, methods=("PUT",))
def put_policy() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", POLICY)
    return configuration.update_policy(body(admin, "admin-policy"), session, now())
