"""Audit routes (§2, §9): the auditor role only, and read-only over cases. Every route names
its roles in ``ROUTE_ROLES`` (walked by the authorisation test); every answer is recorded in
the access log by the service before it is returned. Services load on first use (cold start)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, query, route
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

audit = Blueprint(__name__)

AUDITORS = frozenset({Role.AUDITOR})
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/audit/cases"): AUDITORS,
    ("GET", "/api/audit/cases/{case_id}"): AUDITORS,
    ("GET", "/api/audit/cases/{case_id}/verify"): AUDITORS,
    ("POST", "/api/audit/exports"): AUDITORS,
    ("GET", "/api/audit/exports/{export_id}"): AUDITORS,
    ("GET", "/api/audit/exports/{export_id}/verify"): AUDITORS,
    ("GET", "/api/audit/log"): AUDITORS,
}


def _session() -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(header(audit, "authorization"), now(), AUDITORS)


def _params() -> dict[str, str]:
    """Every query parameter (unknown ones too, so the filter can refuse them by name)."""
    raw = dict(audit.current_request.query_params or {})
    return {name: str(value)[:200] for name, value in raw.items() if name != "cursor"}


@route(audit, "/api/audit/cases")
def search() -> dict[str, Any]:
    """Closed and archived cases: ``from``/``to`` (YYYY-MM), ``department``, ``district``,
    ``kind``, ``category``, ``state``, ``breached``, ``extension``, ``rating``, ``reopened``,
    ``cursor``."""
    from functions.services import audit as service

    session = _session()
    return service.search(_params(), query(audit, "cursor").get("cursor"), session, now())


@route(audit, "/api/audit/cases/{case_id}")
def case_record(case_id: str) -> dict[str, Any]:
    from functions.services import audit as service

    return service.case_record(case_id, _session(), now())


@route(audit, "/api/audit/cases/{case_id}/verify")
def verify(case_id: str) -> dict[str, Any]:
    from functions.services import audit as service

    return service.verify(case_id, _session(), now())


@route(audit, "/api/audit/exports", methods=("POST",), status=201)
def export() -> dict[str, Any]:
    from functions.services import exports

    session = _session()
    return exports.export(body(audit, "audit-export"), session, now())


@route(audit, "/api/audit/exports/{export_id}")
def export_manifest(export_id: str) -> dict[str, Any]:
    from functions.services import exports

    return exports.manifest(export_id, _session(), now())


@route(audit, "/api/audit/exports/{export_id}/verify")
def verify_export(export_id: str) -> dict[str, Any]:
    from functions.services import exports

    return exports.verify_export(export_id, _session(), now())


@route(audit, "/api/audit/log")
def access_log() -> dict[str, Any]:
    from functions.services import audit as service

    session = _session()
    return service.access_log(query(audit, "month").get("month"), session, now())
