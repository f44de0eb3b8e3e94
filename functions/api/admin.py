"""Admin routes: the deployment settings deadlines follow (the working-day calendar's overrides
and the SLA policy), the districts' boundaries submissions are placed in, the categories
whose 投诉 and 求助 need a place, and the 附议 thresholds (群众关注); and the revocation of
a unit's desk links (单位工作台). Admins write
them; coordinators, who answer for the deadlines, may read the deadline settings (the
boundaries are public: GET /api/geo/districts). Every route names its roles in
``ROUTE_ROLES`` (walked by the authorisation test with the staff routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, route
from functions.api.spec import STAFF, Spec, answer, path_param
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

admin = Blueprint(__name__)

READERS = frozenset({Role.COORDINATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

CALENDAR = "/api/admin/calendar"
POLICY = "/api/admin/policy"
DISTRICTS = "/api/admin/geo/districts"
PLACE_CATEGORIES = "/api/admin/place-categories"
SUPPORT_THRESHOLDS = "/api/admin/support-thresholds"
DESK_REVOKE = "/api/admin/units/{unit_id}/desk/revoke"
BOUNDARIES_MAX_BYTES = 1024 * 1024  # a city's boundaries, before they are stored compactly

# (method, path) → roles; the route table the authorisation test walks.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", CALENDAR): READERS,
    ("PUT", CALENDAR): ADMINS,
    ("GET", POLICY): READERS,
    ("PUT", POLICY): ADMINS,
    ("PUT", DISTRICTS): ADMINS,
    ("GET", PLACE_CATEGORIES): READERS,
    ("PUT", PLACE_CATEGORIES): ADMINS,
    ("GET", SUPPORT_THRESHOLDS): READERS,
    ("PUT", SUPPORT_THRESHOLDS): ADMINS,
    ("POST", DESK_REVOKE): ADMINS,
}


def _session(method: str, path: str) -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(
        header(admin, "authorization"), now(), ROUTE_ROLES[(method, path)]
    )


@route(
    admin,
    CALENDAR,
    spec=Spec(
        summary="工作日日历设置",
        operation_id="adminCalendar",
        tags=("admin",),
        security=STAFF,
        description=(
            "The working-day calendar in force: this deployment's extra holidays and working "
            "days over China's official calendar (with 调休), office hours and how far the "
            "official schedule is confirmed. `PUT` (admins) replaces the overrides."
        ),
        responses={200: answer("Calendar")},
        errors=(401, 403, 503),
    ),
)
def calendar() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", CALENDAR)
    return configuration.calendar_view(now())


@route(
    admin,
    CALENDAR,
    methods=("PUT",),
    spec=Spec(
        summary="修改工作日日历（整份替换）",
        operation_id="adminPutCalendar",
        tags=("admin",),
        security=STAFF,
        description=(
            "Replaces the whole document (a field left out returns to its default); checked "
            "against the schema, then the domain's rules (400 naming each field)."
        ),
        request="admin-calendar",
        responses={200: answer("Calendar")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def put_calendar() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", CALENDAR)
    return configuration.update_calendar(body(admin, "admin-calendar"), session, now())


@route(
    admin,
    POLICY,
    spec=Spec(
        summary="时限政策（SLA）设置",
        operation_id="adminPolicy",
        tags=("admin",),
        security=STAFF,
        description=(
            "The time-limit policy in force: response and reply deadlines per kind and urgency, "
            "the cap, the return, extension and rating windows and the reminder ladder. `PUT` "
            "(admins) replaces it."
        ),
        responses={200: answer("Policy")},
        errors=(401, 403, 503),
    ),
)
def policy() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", POLICY)
    return configuration.policy_view()


@route(
    admin,
    POLICY,
    methods=("PUT",),
    spec=Spec(
        summary="修改时限政策（整份替换）",
        operation_id="adminPutPolicy",
        tags=("admin",),
        security=STAFF,
        description="Replaces the whole document; applies to deadlines computed afterwards.",
        request="admin-policy",
        responses={200: answer("Policy")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def put_policy() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", POLICY)
    return configuration.update_policy(body(admin, "admin-policy"), session, now())


@route(
    admin,
    DISTRICTS,
    methods=("PUT",),
    max_body_bytes=BOUNDARIES_MAX_BYTES,
    spec=Spec(
        summary="上传区县边界（GeoJSON，整份替换）",
        operation_id="adminPutDistricts",
        tags=("admin",),
        security=STAFF,
        description=(
            "Replaces the districts' boundaries: a GeoJSON FeatureCollection with one Polygon "
            "or MultiPolygon per district, `properties.code` a district of the taxonomy (the "
            "name is taken from the taxonomy). Submissions place their point in it from then "
            "on; cases already filed keep their district. Up to 1 MB as sent and 350 KB "
            "stored (simplify larger boundaries first); 400 names the feature that is wrong."
        ),
        request="admin-districts",
        responses={200: answer("DistrictBoundaries")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def put_districts() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", DISTRICTS)
    collection = body(admin, "admin-districts", limit=BOUNDARIES_MAX_BYTES)
    return configuration.update_boundaries(collection, session, now())


@route(
    admin,
    PLACE_CATEGORIES,
    spec=Spec(
        summary="需要地点的分类",
        operation_id="adminPlaceCategories",
        tags=("admin",),
        security=STAFF,
        description=(
            "Every category, each saying whether its 投诉 and 求助 must carry a place (an "
            "address or a point; 咨询 and 建议 never must), and who last changed the marks."
        ),
        responses={200: answer("PlaceCategories")},
        errors=(401, 403, 503),
    ),
)
def place_categories() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", PLACE_CATEGORIES)
    return configuration.place_categories_view()


@route(
    admin,
    PLACE_CATEGORIES,
    methods=("PUT",),
    spec=Spec(
        summary="设置需要地点的分类（整份替换）",
        operation_id="adminPutPlaceCategories",
        tags=("admin",),
        security=STAFF,
        description=(
            "The whole list of categories whose 投诉 and 求助 need a place; the others no "
            "longer do. New submissions (web and Open311) follow within a minute; cases "
            "already filed are not touched. 400 names each unknown code."
        ),
        request="admin-place-categories",
        responses={200: answer("PlaceCategories")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def put_place_categories() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", PLACE_CATEGORIES)
    body_ = body(admin, "admin-place-categories")
    return configuration.update_place_categories(body_, session, now())


@route(
    admin,
    SUPPORT_THRESHOLDS,
    spec=Spec(
        summary="附议阈值设置（群众关注、提请单位负责人关注）",
        operation_id="adminSupportThresholds",
        tags=("admin",),
        security=STAFF,
        description=(
            "The 附议 thresholds in force: `attention` flags a case 群众关注 and tells the "
            "coordinators once; `leader` tells the lead department's leader once; each is "
            "`supports` within `days` days, with per-category overrides. `PUT` (admins) "
            "replaces them."
        ),
        responses={200: answer("SupportThresholds")},
        errors=(401, 403, 503),
    ),
)
def support_thresholds() -> dict[str, Any]:
    from functions.services import configuration

    _session("GET", SUPPORT_THRESHOLDS)
    return configuration.support_thresholds_view()


@route(
    admin,
    SUPPORT_THRESHOLDS,
    methods=("PUT",),
    spec=Spec(
        summary="修改附议阈值（整份替换）",
        operation_id="adminPutSupportThresholds",
        tags=("admin",),
        security=STAFF,
        description=(
            "Replaces the whole document (a part left out returns to its default); checked "
            "against the schema, then the rules (each category known, the leader's threshold "
            "above the 群众关注 one): 400 naming each field. Applies to the next support."
        ),
        request="admin-support-thresholds",
        responses={200: answer("SupportThresholds")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def put_support_thresholds() -> dict[str, Any]:
    from functions.services import configuration

    session = _session("PUT", SUPPORT_THRESHOLDS)
    body_ = body(admin, "admin-support-thresholds")
    return configuration.update_support_thresholds(body_, session, now())


@route(
    admin,
    DESK_REVOKE,
    methods=("POST",),
    spec=Spec(
        summary="停用单位工作台链接",
        operation_id="adminRevokeDesk",
        tags=("admin",),
        security=STAFF,
        description=(
            "Revokes the unit's desk links (单位工作台): from now on none opens its desk (410 "
            "`desk_link_revoked`) until the unit asks for a fresh one or the weekly mail sends "
            "one. Handling links already made for its cases are not touched. Who and when are "
            "kept on the unit's desk record and answered. 404 `no_such_unit`."
        ),
        parameters=(path_param("unit_id", "unit (department) id", example="dept-1"),),
        request="empty",
        responses={200: answer("DeskRevoked")},
        errors=(400, 401, 403, 404, 413, 415, 503),
    ),
)
def revoke_desk(unit_id: str) -> dict[str, Any]:
    from functions.services import desk

    session = _session("POST", DESK_REVOKE)
    body(admin, "empty")
    return desk.revoke(unit_id, session, now())
