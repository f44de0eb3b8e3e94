"""Admin routes: the deployment settings deadlines follow (the working-day calendar's overrides
and the SLA policy), the districts' boundaries submissions are placed in, the categories
whose 投诉 and 求助 need a place, and the 附议 thresholds (群众关注); the revocation of
a unit's desk links (单位工作台); and the directory (§15: units, county platforms, staff
accounts, CSV import and export; admins only, every change recorded). Admins write
them; coordinators, who answer for the deadlines, may read the deadline settings (the
boundaries are public: GET /api/geo/districts). Every route names its roles in
``ROUTE_ROLES`` (walked by the authorisation test with the staff routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice.app import Blueprint, Response

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
UNITS = "/api/admin/units"
UNIT = "/api/admin/units/{unit_id}"
UNIT_DISABLE = "/api/admin/units/{unit_id}/disable"
UNIT_ENABLE = "/api/admin/units/{unit_id}/enable"
UNITS_EXPORT = "/api/admin/units/export"
UNITS_IMPORT = "/api/admin/units/import"
STAFF_ACCOUNTS = "/api/admin/staff"
STAFF_ACCOUNT = "/api/admin/staff/{email}"
STAFF_DISABLE = "/api/admin/staff/{email}/disable"
STAFF_ENABLE = "/api/admin/staff/{email}/enable"
STAFF_RESET_TOTP = "/api/admin/staff/{email}/reset-totp"
IMPORT_MAX_BYTES = 1024 * 1024  # a CSV of a thousand units and more, carried in JSON
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
    # The directory (§15): admins only, every change recorded.
    ("GET", UNITS): ADMINS,
    ("POST", UNITS): ADMINS,
    ("PUT", UNIT): ADMINS,
    ("POST", UNIT_DISABLE): ADMINS,
    ("POST", UNIT_ENABLE): ADMINS,
    ("GET", UNITS_EXPORT): ADMINS,
    ("POST", UNITS_IMPORT): ADMINS,
    ("GET", STAFF_ACCOUNTS): ADMINS,
    ("POST", STAFF_ACCOUNTS): ADMINS,
    ("PUT", STAFF_ACCOUNT): ADMINS,
    ("POST", STAFF_DISABLE): ADMINS,
    ("POST", STAFF_ENABLE): ADMINS,
    ("POST", STAFF_RESET_TOTP): ADMINS,
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


# --- the directory (§15) ------------------------------------------------------------------

UNIT_ID = path_param("unit_id", "unit or county platform id", example="city-housing")
EMAIL = path_param("email", "the account's e-mail (URL-encoded)", example="ops%40example.org")
UNIT_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Unit"}}},
    "required": ["items"],
}
STAFF_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/StaffAccount"}}
    },
    "required": ["items"],
}


def _email(raw: str) -> str:
    return unquote(raw).strip().lower()


@route(
    admin,
    UNITS,
    spec=Spec(
        summary="单位与分平台目录",
        operation_id="adminUnits",
        tags=("admin",),
        security=STAFF,
        description=(
            "Every handling unit and county platform, active or disabled, county platforms "
            "first: level, kind, parent (as stored) and the platform a unit belongs to, "
            "districts, categories and contacts (handler; spokesperson, texted for urgent "
            "cases; leader)."
        ),
        responses={200: answer(UNIT_LIST)},
        errors=(401, 403, 503),
    ),
)
def units() -> dict[str, Any]:
    from functions.services import directory_admin

    _session("GET", UNITS)
    return directory_admin.list_units()


@route(
    admin,
    UNITS,
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="新增单位或分平台",
        operation_id="adminCreateUnit",
        tags=("admin",),
        security=STAFF,
        description=(
            "Creates a unit (`level` unit: department, town, enterprise; `parent` city or a "
            "county platform, absent: the platform of its district) or a county platform "
            "(`level` county, with `districts` and `triage`). Checked against the schema, "
            "then the directory's rules (districts and categories known, the parent an "
            "active county platform or city): 400 naming each field. 409 `unit_exists`. The "
            "change is recorded."
        ),
        request="admin-unit",
        responses={201: answer("Unit")},
        errors=(400, 401, 403, 409, 413, 415, 503),
    ),
)
def create_unit() -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", UNITS)
    return directory_admin.create_unit(body(admin, "admin-unit"), session, now())


@route(
    admin,
    UNIT,
    methods=("PUT",),
    spec=Spec(
        summary="修改单位或分平台（整份替换）",
        operation_id="adminPutUnit",
        tags=("admin",),
        security=STAFF,
        description=(
            "Replaces the unit's data (its id and level stay; disable and enable have their "
            "own routes); the same checks as creating. The change is recorded (before and "
            "after). 404 `no_such_unit`."
        ),
        parameters=(UNIT_ID,),
        request="admin-unit",
        responses={200: answer("Unit")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def put_unit(unit_id: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("PUT", UNIT)
    return directory_admin.update_unit(unit_id, body(admin, "admin-unit"), session, now())


@route(
    admin,
    UNIT_DISABLE,
    methods=("POST",),
    spec=Spec(
        summary="停用单位或分平台",
        operation_id="adminDisableUnit",
        tags=("admin",),
        security=STAFF,
        description=(
            "Disables the unit: it no longer receives cases nor appears in the assign lists; "
            "its history stays. 409 `unit_has_open_cases` with `cases` (the open cases it "
            "leads, and for a county platform those it holds, up to 50) until they are "
            "reassigned; 409 `platform_has_units` for a county platform with active units. "
            "No hard delete. Recorded."
        ),
        parameters=(UNIT_ID,),
        request="empty",
        responses={200: answer("Unit")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def disable_unit(unit_id: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", UNIT_DISABLE)
    body(admin, "empty")
    return directory_admin.disable_unit(unit_id, session, now())


@route(
    admin,
    UNIT_ENABLE,
    methods=("POST",),
    spec=Spec(
        summary="启用单位或分平台",
        operation_id="adminEnableUnit",
        tags=("admin",),
        security=STAFF,
        description=(
            "Enables a disabled unit again (409 `platform_disabled` while its county "
            "platform is disabled). Recorded."
        ),
        parameters=(UNIT_ID,),
        request="empty",
        responses={200: answer("Unit")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def enable_unit(unit_id: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", UNIT_ENABLE)
    body(admin, "empty")
    return directory_admin.enable_unit(unit_id, session, now())


@route(
    admin,
    UNITS_EXPORT,
    spec=Spec(
        summary="导出单位目录（CSV）",
        operation_id="adminExportUnits",
        tags=("admin",),
        security=STAFF,
        description=(
            "Every unit and county platform as CSV (UTF-8 with a BOM, one row per unit; the "
            "columns are listed in docs/OPERATIONS.md, lists joined with `|`). The import "
            "reads the same columns."
        ),
        responses={
            200: answer(
                {"type": "string"},
                "UTF-8 CSV with a BOM, one row per unit",
                media="text/csv",
                headers={"Content-Disposition": '`attachment; filename="units.csv"`'},
            )
        },
        errors=(401, 403, 503),
    ),
)
def export_units() -> Response:
    from functions.services import directory_admin

    _session("GET", UNITS_EXPORT)
    return Response(
        body=directory_admin.export_csv(),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="units.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@route(
    admin,
    UNITS_IMPORT,
    methods=("POST",),
    max_body_bytes=IMPORT_MAX_BYTES,
    spec=Spec(
        summary="批量导入单位（CSV）",
        operation_id="adminImportUnits",
        tags=("admin",),
        security=STAFF,
        description=(
            "Creates or updates units from CSV text (the export's columns; UTF-8 with or "
            "without a BOM) sent as JSON `{csv}`. Every row is checked like a single unit; "
            "400 `import_invalid` names each bad row and column (`rows.<row>.<column>`, the "
            "header being row 1) and nothing is written. Otherwise each new or changed unit "
            "is written with its record, 50 to a transaction. Up to 1 MB."
        ),
        request="admin-units-import",
        responses={200: answer("UnitsImported")},
        errors=(400, 401, 403, 409, 413, 415, 503),
    ),
)
def import_units() -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", UNITS_IMPORT)
    sent = body(admin, "admin-units-import", limit=IMPORT_MAX_BYTES)
    return directory_admin.import_csv(sent["csv"], session, now())


@route(
    admin,
    STAFF_ACCOUNTS,
    spec=Spec(
        summary="工作人员账号",
        operation_id="adminStaff",
        tags=("admin",),
        security=STAFF,
        description="Every staff account, active or disabled: role, name, scope (county).",
        responses={200: answer(STAFF_LIST)},
        errors=(401, 403, 503),
    ),
)
def staff_accounts() -> dict[str, Any]:
    from functions.services import directory_admin

    _session("GET", STAFF_ACCOUNTS)
    return directory_admin.list_staff()


@route(
    admin,
    STAFF_ACCOUNTS,
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="新增工作人员账号",
        operation_id="adminCreateStaff",
        tags=("admin",),
        security=STAFF,
        description=(
            "Creates an account (signs in by e-mailed link). `county` (an active county "
            "platform) is required for `county_coordinator` and refused for other roles. 409 "
            "`account_exists`. Recorded."
        ),
        request="admin-staff",
        responses={201: answer("StaffAccount")},
        errors=(400, 401, 403, 409, 413, 415, 503),
    ),
)
def create_staff() -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", STAFF_ACCOUNTS)
    return directory_admin.create_staff(body(admin, "admin-staff"), session, now())


@route(
    admin,
    STAFF_ACCOUNT,
    methods=("PUT",),
    spec=Spec(
        summary="修改工作人员账号",
        operation_id="adminPutStaff",
        tags=("admin",),
        security=STAFF,
        description=(
            "Replaces the account's role, name and scope; an admin cannot change their own "
            "role (409 `own_account`). 404 `no_such_account`. Recorded."
        ),
        parameters=(EMAIL,),
        request="admin-staff",
        responses={200: answer("StaffAccount")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def put_staff(email: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("PUT", STAFF_ACCOUNT)
    sent = body(admin, "admin-staff")
    return directory_admin.update_staff(_email(email), sent, session, now())


@route(
    admin,
    STAFF_DISABLE,
    methods=("POST",),
    spec=Spec(
        summary="停用工作人员账号",
        operation_id="adminDisableStaff",
        tags=("admin",),
        security=STAFF,
        description=(
            "Disables the account: its sessions stop working at their next request. An admin "
            "cannot disable themself (409 `own_account`). Recorded."
        ),
        parameters=(EMAIL,),
        request="empty",
        responses={200: answer("StaffAccount")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def disable_staff(email: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", STAFF_DISABLE)
    body(admin, "empty")
    return directory_admin.set_staff_active(_email(email), False, session, now())


@route(
    admin,
    STAFF_ENABLE,
    methods=("POST",),
    spec=Spec(
        summary="启用工作人员账号",
        operation_id="adminEnableStaff",
        tags=("admin",),
        security=STAFF,
        description="Enables a disabled account again. Recorded.",
        parameters=(EMAIL,),
        request="empty",
        responses={200: answer("StaffAccount")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def enable_staff(email: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", STAFF_ENABLE)
    body(admin, "empty")
    return directory_admin.set_staff_active(_email(email), True, session, now())


@route(
    admin,
    STAFF_RESET_TOTP,
    methods=("POST",),
    spec=Spec(
        summary="重置工作人员的动态验证码",
        operation_id="adminResetStaffTotp",
        tags=("admin",),
        security=STAFF,
        description=(
            "Removes the account's second factor (TOTP secret, recovery codes) and ends a "
            "lock-out: its next sign-in enrols afresh (a lost or replaced phone). Recorded in "
            "the directory changes as `staff.reset-totp` (who, when; never a secret). 404 "
            "`no_such_account`."
        ),
        parameters=(EMAIL,),
        request="empty",
        responses={200: answer("StaffAccount")},
        errors=(400, 401, 403, 404, 413, 415, 503),
    ),
)
def reset_staff_totp(email: str) -> dict[str, Any]:
    from functions.services import directory_admin

    session = _session("POST", STAFF_RESET_TOTP)
    body(admin, "empty")
    return directory_admin.reset_second_factor(_email(email), session, now())
