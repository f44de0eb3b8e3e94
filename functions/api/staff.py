"""Staff routes: sign-in, session, the coordinator's console and the operator's case entry.
Every route names the roles it admits (``ROUTE_ROLES``, checked by a table-driven test)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalice.app import Blueprint, Response

from functions.api.action_specs import lifecycle_specs
from functions.api.http import body, header, ip, json_headers, now, query, route
from functions.api.spec import (
    CASE_FILTERS,
    CURSOR,
    DEPARTMENT,
    IDEMPOTENCY_KEY,
    MONTH_PATTERN,
    PUBLIC,
    RANKING_FIGURE,
    STAFF,
    Spec,
    answer,
    error_answer,
    page,
    path_param,
    query_param,
    schema_of,
)
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

staff = Blueprint(__name__)

COORDINATORS = frozenset({Role.COORDINATOR, Role.ADMIN})
# The case routes admit the county platforms' coordinators too, each scoped to the cases
# their platform holds (§15: another county's case answers 404).
CASE_STAFF = COORDINATORS | {Role.COUNTY_COORDINATOR}
INTAKE = frozenset({Role.OPERATOR, Role.COORDINATOR, Role.ADMIN})
ANY_STAFF = frozenset(
    {
        Role.OPERATOR,
        Role.COORDINATOR,
        Role.COUNTY_COORDINATOR,
        Role.ADMIN,
        Role.AUDITOR,
        Role.SUPERVISOR,  # 监督员: /api/staff/me, and their own routes (functions/api/reviews.py)
        Role.LEADER,
    }
)
# Who reads the city's figures (§16): the leaders' dashboard, the cases behind its figures,
# the 督办 lists and the 舆情 hotspots. ``leader`` (市领导/分管领导) is read-only: it reads these
# and case summaries (never a case's contact data or timeline: not the queue, not a case),
# and changes nothing. A county coordinator reads its own platform's figures.
READERS = CASE_STAFF | {Role.LEADER}

# (method, path) → roles; the route table the authorisation test walks.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {}


def _session(roles: frozenset[Role]) -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(header(staff, "authorization"), now(), roles)


def _guarded(method: str, path: str, roles: frozenset[Role]) -> None:
    ROUTE_ROLES[(method, path)] = roles


@route(
    staff,
    "/api/staff/sign-in",
    methods=("POST",),
    spec=Spec(
        summary="申请登录链接（邮件）",
        operation_id="staffSignIn",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "A known account gets an email with `/staff.html#t=<token>` (single use, 15 minutes)."
        ),
        request="staff-sign-in",
        responses={202: answer("Message", "Accepted, always")},
        errors=(400, 413, 415, 429, 503),
    ),
)
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


@route(
    staff,
    "/api/staff/session",
    methods=("POST",),
    spec=Spec(
        summary="以登录链接换取会话",
        operation_id="staffSession",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "Exchanges the single-use, short-lived token of an e-mailed sign-in link "
            "(`staff.html#t=…`) for a session token (`step: session`), sent afterwards as "
            "`Authorization: Bearer …`; or, for a role the deployment's second-factor policy "
            "names (`WZ_STAFF_TOTP_ROLES`), for a second step (`step: enrol` on a first "
            "sign-in, with the new TOTP secret, its QR code and 10 recovery codes shown once; "
            "else `step: verify`) whose token goes to `POST /api/staff/session/verify` with "
            "the code. 401 for an unknown, used or expired token; 429 "
            "`second_factor_locked` while the account is locked (the link stays unused)."
        ),
        request="staff-session",
        responses={
            200: answer(
                {"oneOf": [schema_of("StaffSession"), schema_of("StaffSecondStep")]},
                "A session, or the second step",
            )
        },
        errors=(400, 401, 413, 415, 429, 503),
    ),
)
def open_session() -> dict[str, Any]:
    from functions.services import staff_auth

    return staff_auth.open_session(body(staff, "staff-session")["token"], now())


@route(
    staff,
    "/api/staff/session/verify",
    methods=("POST",),
    spec=Spec(
        summary="输入动态验证码完成登录（第二步）",
        operation_id="staffSessionVerify",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "The second step of a staff sign-in: the step token and the 6-digit TOTP code "
            "(±30 s of drift; a code is good once), or one of the recovery codes (each works "
            "once). The first code of an enrolment confirms it. A session (as "
            "`POST /api/staff/session`; with `recovery_codes_left` after a recovery code). "
            "401 `step_expired` (unknown, used or expired step token), `code_rejected`, "
            "`recovery_code_rejected`; the fifth wrong answer in a row locks the account for "
            "15 minutes and tells the admins: 429 `second_factor_locked`. The secret is kept "
            "sealed by the deployment's KMS key, bound to the account: 409 "
            "`second_factor_unreadable` when it does not open for this account (an admin "
            "resets it)."
        ),
        request="staff-session-verify",
        responses={200: answer("StaffSession")},
        errors=(400, 401, 409, 413, 415, 429, 503),
    ),
)
def verify_session() -> dict[str, Any]:
    from functions.services import staff_auth

    return staff_auth.verify_second_factor(body(staff, "staff-session-verify"), now())


def _redirect(location: str, cookie: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {
        "Location": location,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=302, headers=headers)


def _browser_cookie(value: str, max_age: int) -> str:
    """The cookie binding a single sign-on to its browser: sent back to the callback only
    (its path; CloudFront forwards it there and nowhere else), never to scripts, on the
    IdP's top-level redirect back (SameSite=Lax), over HTTPS wherever the site is."""
    from functions.services.staff_oidc import BROWSER_COOKIE, redirect_uri
    from functions.settings import settings

    secure = "; Secure" if settings().public_base_url.startswith("https://") else ""
    path = urlsplit(redirect_uri()).path
    return (
        f"{BROWSER_COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax" + secure
    )


def _cookie(name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(staff.current_request.headers.get("cookie", ""))
    except CookieError:
        return None
    found = jar.get(name)
    return found.value[:128] if found is not None and found.value else None


def _found(description: str) -> dict[str, Any]:
    return {
        "description": "Found",
        "headers": {"Location": {"description": description, "schema": {"type": "string"}}},
    }


@route(
    staff,
    "/api/staff/oidc",
    spec=Spec(
        summary="统一身份认证登录是否启用",
        operation_id="staffOidcOptions",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "Whether this deployment signs staff in through a government identity provider "
            "(OpenID Connect, `WZ_OIDC_ISSUER`) beside the e-mailed link, and the label of "
            "its button on the sign-in page."
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "label": {"type": "string"},
                        "start": {"type": "string", "description": "where the button goes"},
                    },
                    "required": ["enabled"],
                }
            )
        },
        errors=(503,),
    ),
)
def oidc_options() -> dict[str, Any]:
    from functions.services import staff_oidc
    from functions.settings import settings

    if not staff_oidc.configured():
        return {"enabled": False}
    return {"enabled": True, "label": settings().oidc_label, "start": "/api/staff/oidc/start"}


@route(
    staff,
    "/api/staff/oidc/start",
    spec=Spec(
        summary="统一身份认证登录：跳转到身份认证平台",
        operation_id="staffOidcStart",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "Opened by the browser: a redirect to the identity provider's authorization "
            "endpoint (OpenID Connect authorization code flow with PKCE S256, a `state` kept "
            "10 minutes and used once, a `nonce`; scope `openid email`), and a cookie "
            "(`wz_oidc`, HttpOnly, SameSite=Lax, for the callback's path, 10 minutes) binding "
            "the sign-in to this browser. 404 "
            "`oidc_not_configured` where the deployment has no IdP; 429 past the sign-in "
            "limit per address (`signin_ip`, shared with `POST /api/staff/sign-in`); 503 "
            "`idp_unavailable` when its discovery document cannot be read."
        ),
        responses={
            302: _found("the IdP's authorization endpoint with the request"),
            "default": error_answer("An error in the `/api` envelope"),
        },
        errors=(404, 429, 503),
    ),
)
def oidc_start() -> Response:
    from functions.services import rate_limits, staff_oidc

    at = now()
    # Each start keeps a state for ten minutes: counted as the e-mailed link's requests are.
    rate_limits.hit("signin_ip", ip(staff), at, route="/api/staff/oidc/start")
    location, browser = staff_oidc.start(at)
    return _redirect(location, _browser_cookie(browser, staff_oidc.BROWSER_SECONDS))


@route(
    staff,
    "/api/staff/oidc/callback",
    spec=Spec(
        summary="统一身份认证登录：身份认证平台回调",
        operation_id="staffOidcCallback",
        tags=("staff",),
        security=PUBLIC,
        description=(
            "The identity provider sends the browser back here with `code` and `state` (or "
            "`error`). The state is spent, the code exchanged at the token endpoint over TLS "
            "(the client secret from Secrets Manager, `client_secret_basic`, the PKCE "
            "verifier), and the ID token's `iss`, `aud`/`azp`, `exp`, `iat` and `nonce` "
            "checked (its signature is not: it came from the token endpoint over TLS, OIDC "
            "Core §3.1.3.7 (6)). Its `email` must be an active staff account: then a redirect "
            "to `staff.html#t=<single-use sign-in token>`, which goes on as an e-mailed link "
            "does (`POST /api/staff/session`, the second step included unless "
            "`WZ_OIDC_TRUST_MFA` is set and the ID token's `amr` holds `mfa`). 400 for a "
            "missing `code` or `state`; 401 `oidc_denied` (the IdP answered an error), "
            "`oidc_state_invalid` (unknown, used or expired state), `oidc_other_browser` (the "
            "browser did not bring the `wz_oidc` cookie of the start: login CSRF), "
            "`oidc_rejected` (the "
            "code refused), `oidc_token_invalid` (a check failed); 403 `not_staff`; 404 "
            "`oidc_not_configured`; 503 `idp_unavailable`."
        ),
        parameters=(
            query_param("code", "the authorization code"),
            query_param("state", "the state `start` sent"),
            query_param("error", "the IdP's error code, instead of `code`"),
        ),
        responses={
            302: _found("`<site>/staff.html#t=<sign-in token>`"),
            "default": error_answer("An error in the `/api` envelope"),
        },
        errors=(400, 401, 403, 404, 503),
    ),
)
def oidc_callback() -> Response:
    from functions.services import staff_oidc

    raw: dict[str, Any] = dict(staff.current_request.query_params or {})
    # Not ``query``'s 200 characters: some IdPs' authorization codes are longer.
    params = {n: str(raw[n])[:2048] for n in ("code", "state", "error") if raw.get(n)}
    location = staff_oidc.callback(params, now(), _cookie(staff_oidc.BROWSER_COOKIE))
    return _redirect(location, _browser_cookie("", 0))  # spent: the browser forgets it


@route(
    staff,
    "/api/staff/sign-out",
    methods=("POST",),
    spec=Spec(
        summary="退出登录",
        operation_id="staffSignOut",
        tags=("staff",),
        security=(*STAFF, {}),
        description=(
            "Ends the session named by the bearer token, if any; answers the same without one."
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {"signed_out": {"const": True}},
                    "required": ["signed_out"],
                }
            )
        },
        errors=(413,),
    ),
)
def sign_out() -> dict[str, Any]:
    from functions.services import staff_auth

    staff_auth.sign_out(header(staff, "authorization"))
    return {"signed_out": True}


_guarded("GET", "/api/staff/me", ANY_STAFF)


@route(
    staff,
    "/api/staff/me",
    spec=Spec(
        summary="当前工作人员",
        operation_id="staffMe",
        tags=("staff",),
        security=STAFF,
        description=(
            "The staff member the session belongs to: e-mail, role and name; a supervisor's "
            "public `title` too (§16)."
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string"},
                        "role": {"$ref": "#/components/schemas/Role"},
                        "name": {"type": "string"},
                        "title": {
                            "type": "string",
                            "description": "a supervisor's public title (only for supervisors)",
                        },
                        "county": {
                            "description": "a county coordinator's platform (§15)",
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "required": ["id", "name"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "name": {"type": "string"},
                                    },
                                },
                            ],
                        },
                    },
                    "required": ["email", "role", "name"],
                }
            )
        },
        errors=(401, 503),
    ),
)
def me() -> dict[str, Any]:
    from functions.storage import directory

    s = _session(ANY_STAFF)
    county = directory.platform(s.county) if s.county else None
    found: dict[str, Any] = {
        "email": s.email,
        "role": s.role.value,
        "name": s.name,
        "county": {"id": county.id, "name": county.name} if county else None,
    }
    if s.role == Role.SUPERVISOR:
        account = directory.staff_account(s.email)
        found["title"] = account.title if account and account.title else s.name
    return found


_guarded("GET", "/api/staff/queue", CASE_STAFF)


@route(
    staff,
    "/api/staff/queue",
    spec=Spec(
        summary="工作台：诉求队列",
        operation_id="staffQueue",
        tags=("staff",),
        security=STAFF,
        description=(
            "The coordinator's queue: open cases (or, for `state` rejected, closed or archived, "
            "finished ones), newest first or by deadline (`sort`), filtered by any of the codes, "
            "by a pending return or extension request, to 群众关注 cases (`attention=1`) and to "
            "primaries a merged case's citizen is not satisfied with (`merged_unsatisfied=1`); "
            "`counts` gives the number of cases in each state."
        ),
        parameters=(
            *CASE_FILTERS,
            query_param("pending", "pending request", {"enum": ["return", "extension"]}),
            query_param(
                "attention", "`1`: only 群众关注 cases (附议 over a threshold)", {"enum": ["1"]}
            ),
            query_param(
                "merged_unsatisfied",
                "`1`: only primaries flagged 并件不满意 (a merged case's citizen is not satisfied)",
                {"enum": ["1"]},
            ),
            query_param("sort", "order", {"enum": ["newest", "deadline"]}),
            CURSOR,
        ),
        responses={
            200: answer(
                page(
                    "StaffCaseSummary",
                    counts={
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "state → number of cases",
                    },
                )
            )
        },
        errors=(400, 401, 403, 503),
    ),
)
def queue() -> dict[str, Any]:
    from functions.services import coordination

    s = _session(CASE_STAFF)
    filters = query(
        staff,
        *("state", "kind", "category", "district", "department", "pending", "attention"),
        *("merged_unsatisfied", "sort", "cursor"),
    )
    return coordination.queue(filters, now(), scope=s.county)


_guarded("GET", "/api/staff/overdue", READERS)


@route(
    staff,
    "/api/staff/overdue",
    spec=Spec(
        summary="黄牌 / 红牌督办件与平台受理超时件",
        operation_id="staffOverdue",
        tags=("staff",),
        security=STAFF,
        description=(
            "督办: the 黄牌 list (`card=yellow`, the default: 1 working day past a deadline), "
            "the 红牌 list (`card=red`: 5 working days), optionally of one `department`; or "
            "平台受理超时 (`card=triage`: cases waiting for 受理 past the platform's own 受理 "
            "deadline, the most overdue first; no `department`). `platforms`: each platform's "
            "own delays, as on the public overdue page."
        ),
        parameters=(
            query_param(
                "card",
                "default `yellow`; any other value is 400",
                {"enum": ["yellow", "red", "triage"]},
            ),
            DEPARTMENT,
            CURSOR,
        ),
        responses={
            200: answer(
                page(
                    "StaffCaseSummary",
                    card={"enum": ["yellow", "red", "triage"]},
                    card_label={"type": "string"},
                    platforms={"type": "array", "items": schema_of("PlatformDelay")},
                )
            )
        },
        errors=(400, 401, 403, 503),
    ),
)
def overdue() -> dict[str, Any]:
    """The 督办 lists: ``card=yellow|red|triage`` (default yellow), ``department``, ``cursor``."""
    from functions.services import sla

    s = _session(READERS)
    filters = query(staff, "card", "department", "cursor")
    card, cursor = filters.pop("card", "yellow"), filters.pop("cursor", None)
    return sla.overdue(card, filters, cursor, now(), public=False, scope=s.county)


_guarded("GET", "/api/staff/dashboard", READERS)

_WINDOW = (
    query_param("from", "first day, `YYYY-MM-DD` (Shanghai); default 29 days before `to`"),
    query_param("to", "last day, `YYYY-MM-DD` (Shanghai), inclusive; default today"),
    query_param("district", "one district code; default every district the caller may see"),
)


@route(
    staff,
    "/api/staff/dashboard",
    spec=Spec(
        summary="领导驾驶舱：受理、答复、办结的日序列与比率",
        operation_id="staffDashboard",
        tags=("staff",),
        security=STAFF,
        description=(
            "The daily series of a window of at most 366 days, read from tallies kept with "
            "every transition (never from the cases): intake by channel, kind, category and "
            "district; replies on time and late; closings resolved, satisfied, unsatisfied; "
            "reopenings; the on-time, resolution and satisfaction rates per day and per week; "
            "overdue cases (黄牌/红牌) by unit; the current 舆情 hotspots. Every figure carries "
            "`cases`, the endpoint of the cases behind it. Coordinators, admins and leaders "
            "see the city; a county coordinator its platform's districts (another: 404)."
        ),
        parameters=_WINDOW,
        responses={200: answer("Dashboard")},
        errors=(400, 401, 403, 404, 503),
    ),
)
def dashboard() -> dict[str, Any]:
    from functions.services import dashboard as service

    s = _session(READERS)
    q = query(staff, "from", "to", "district")
    return service.figures(q.get("from"), q.get("to"), q.get("district"), now(), scope=s.county)


_guarded("GET", "/api/staff/dashboard/cases", READERS)


@route(
    staff,
    "/api/staff/dashboard/cases",
    spec=Spec(
        summary="领导驾驶舱：某项数字背后的诉求",
        operation_id="staffDashboardCases",
        tags=("staff",),
        security=STAFF,
        description=(
            "The cases counted in one `series` of the dashboard (`intake`, `channel:web`, "
            "`kind:complaint`, `category:<code>`, `replied_late`, `closed_unsatisfied`, "
            "`reopened` …) on the window's days, oldest day first: one Query per day of the "
            "entries written with the tallies. Summaries only (no contact data)."
        ),
        parameters=(
            *_WINDOW,
            query_param("series", "the figure's series", required=True),
            CURSOR,
        ),
        responses={200: answer(page("StaffCaseSummary", series={"type": "string"}))},
        errors=(400, 401, 403, 404, 503),
    ),
)
def dashboard_cases() -> dict[str, Any]:
    from functions.services import dashboard as service

    s = _session(READERS)
    q = query(staff, "from", "to", "district", "series", "cursor")
    return service.cases(
        q.get("from"),
        q.get("to"),
        q.get("district"),
        q.get("series"),
        q.get("cursor"),
        now(),
        scope=s.county,
    )


_guarded("GET", "/api/staff/rankings/cases", CASE_STAFF)


@route(
    staff,
    "/api/staff/rankings/cases",
    spec=Spec(
        summary="亮晒比：某项数字背后的全部诉求",
        operation_id="staffRankingCases",
        tags=("staff",),
        security=STAFF,
        description=(
            "As `GET /api/rankings/cases`, public or not; items are `StaffCaseSummary`. A county"
            " platform's coordinator sees its platform's figures and its units' (another unit:"
            " 404)."
        ),
        parameters=RANKING_FIGURE,
        responses={200: answer("RankingCases")},
        errors=(400, 401, 403, 404, 503),
    ),
)
def ranking_cases() -> dict[str, Any]:
    """Every case behind a ranking figure (public or not): ``month``, ``unit``, ``metric``."""
    from functions.services import rankings

    session = _session(CASE_STAFF)
    q = query(staff, "month", "unit", "metric")
    return rankings.cases_behind(
        q.get("month"), q.get("unit"), q.get("metric"), now(), public=False, county=session.county
    )


_guarded("POST", "/api/staff/talks", CASE_STAFF)
_guarded("GET", "/api/staff/talks", CASE_STAFF)

_guarded("GET", "/api/staff/hotspots", CASE_STAFF)

_DAY: dict[str, Any] = {"type": "string", "format": "date", "example": "2026-10-29"}


@route(
    staff,
    "/api/staff/talks",
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="记录约谈（排名连续两月后三位的单位）",
        operation_id="staffTalkRecord",
        tags=("staff",),
        security=STAFF,
        description=(
            "Records the 约谈 of a unit the frozen ranking of `month` flags (bottom three two "
            "months running): date, attendees, reasons, rectification due date. The city's "
            "coordinators record for any flagged unit or county, a county platform's "
            "coordinators for their own units only (another: 404 `unit_not_found`). 404 "
            "`ranking_not_frozen`; 409 `not_flagged` (the ranking does not flag the unit), "
            "`talk_exists` (recorded already). The unit then reports its rectification "
            "through its desk link; who recorded and who reported, and when, are kept."
        ),
        request="talk",
        responses={201: answer("StaffTalk", "Recorded")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def record_talk() -> dict[str, Any]:
    from functions.services import talks

    session = _session(CASE_STAFF)
    return talks.record(body(staff, "talk"), session, now())


@route(
    staff,
    "/api/staff/talks",
    spec=Spec(
        summary="约谈记录（按排名月份）",
        operation_id="staffTalks",
        tags=("staff",),
        security=STAFF,
        description=(
            "The 约谈 records of a flag month (default last month) with their outcome and every "
            "change (who, when); a county platform's coordinator sees its own units' only."
        ),
        parameters=(query_param("month", "`YYYY-MM`; default last month", MONTH_PATTERN),),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "month": {"type": "string"},
                        "items": {"type": "array", "items": schema_of("StaffTalk")},
                    },
                    "required": ["month", "items"],
                }
            )
        },
        errors=(400, 401, 403, 503),
    ),
)
def list_talks() -> dict[str, Any]:
    from functions.services import talks

    session = _session(CASE_STAFF)
    return talks.listing(query(staff, "month").get("month"), session, now())


@route(
    staff,
    "/api/staff/hotspots",
    spec=Spec(
        summary="舆情预警：某段时间内的热点突增",
        operation_id="staffHotspots",
        tags=("staff",),
        security=STAFF,
        description=(
            "舆情预警 raised by the `hotspots` job between `from` and `to` (Shanghai days, "
            "inclusive; default the 7 days to today; at most 93 days; a bad date or `from` after "
            "`to` is 400), newest first, optionally of one `district` and `category` (`*`: a "
            "burst over several categories). Each names its terms, place, the daily trend of "
            "its series over the baseline days and the day, and the cases behind it, clustered. "
            "A county platform's coordinator sees its platform's districts only."
        ),
        parameters=(
            query_param("from", "first day, `YYYY-MM-DD`", _DAY),
            query_param("to", "last day, `YYYY-MM-DD` (default today)", _DAY),
            query_param("district", "district code"),
            query_param("category", "category code, or `*`"),
        ),
        responses={200: answer("HotspotWarnings")},
        errors=(400, 401, 403, 503),
    ),
)
def hotspot_warnings() -> dict[str, Any]:
    """舆情预警 of ``from``..``to``, of one ``district`` / ``category``."""
    from functions.services import hotspot_warnings

    session = _session(CASE_STAFF)
    filters = query(staff, "from", "to", "district", "category")
    return hotspot_warnings.warnings_between(filters, now(), scope=session.county)


_guarded("GET", "/api/staff/outbox", COORDINATORS)


@route(
    staff,
    "/api/staff/outbox",
    spec=Spec(
        summary="发送失败的通知（死信）",
        operation_id="staffOutbox",
        tags=("staff",),
        security=STAFF,
        description=(
            "Notifications (e-mail, SMS) that failed after every retry (`status=dead`), newest "
            "first, each to retry by hand (`POST /api/staff/outbox/{message_id}/retry`)."
        ),
        parameters=(
            query_param("status", "only `dead` for now; else 400", {"enum": ["dead"]}),
            CURSOR,
        ),
        responses={200: answer(page("DeadLetter"))},
        errors=(400, 401, 403, 503),
    ),
)
def dead_letters() -> dict[str, Any]:
    """发送失败: ``status=dead`` (the only list for now), ``cursor``."""
    from functions.services import outbox

    _session(COORDINATORS)
    filters = query(staff, "status", "cursor")
    return outbox.listing(filters.get("status", "dead"), filters.get("cursor"))


_guarded("POST", "/api/staff/outbox/{message_id}/retry", COORDINATORS)


@route(
    staff,
    "/api/staff/outbox/{message_id}/retry",
    methods=("POST",),
    spec=Spec(
        summary="重发一条死信",
        operation_id="staffRetryMessage",
        tags=("staff",),
        security=STAFF,
        description="404 `no_such_message`; 409 `not_dead`.",
        responses={200: answer("DeadLetter", "the message, now `pending` with `attempts: 0`")},
        errors=(401, 403, 404, 409, 413, 503),
    ),
)
def retry_message(message_id: str) -> dict[str, Any]:
    from functions.services import outbox

    _session(COORDINATORS)
    return outbox.retry(message_id, now())


_guarded("GET", "/api/staff/cases/{case_id}", CASE_STAFF)


@route(
    staff,
    "/api/staff/cases/{case_id}",
    spec=Spec(
        summary="工作台：诉求详情",
        operation_id="staffCase",
        tags=("staff",),
        security=STAFF,
        description=(
            "One case as staff see it: the contact data, the full timeline, assignments, "
            "deadlines and pending requests. 404 when there is no such case."
        ),
        responses={200: answer("StaffCase")},
        errors=(401, 403, 404, 503),
    ),
)
def case(case_id: str) -> dict[str, Any]:
    from functions.services import coordination

    s = _session(CASE_STAFF)
    return coordination.case_view(case_id, now(), scope=s.county)


_guarded("GET", "/api/staff/cases/{case_id}/similar", CASE_STAFF)


@route(
    staff,
    "/api/staff/cases/{case_id}/similar",
    spec=Spec(
        summary="工作台：可能重复的诉求（并件候选）",
        operation_id="staffSimilarCases",
        tags=("staff",),
        security=STAFF,
        description=(
            "Up to five open cases (public or not) in the case's district, filed within 90 "
            "days, most like it: the duplicates a coordinator may merge it into (并件). "
            "404 when there is no such case."
        ),
        responses={200: answer("StaffSimilarCases")},
        errors=(401, 403, 404, 503),
    ),
)
def similar_cases(case_id: str) -> dict[str, Any]:
    from functions.services import coordination, similar

    s = _session(CASE_STAFF)
    case = coordination.load_scoped(case_id, s.county)
    return {"items": similar.for_case(case, now(), scope=s.county)}


_guarded("GET", "/api/staff/cases/{case_id}/files/{index}", CASE_STAFF)


@route(
    staff,
    "/api/staff/cases/{case_id}/files/{index}",
    spec=Spec(
        summary="工作台：下载来信附件",
        operation_id="staffCaseFile",
        tags=("staff",),
        security=STAFF,
        description=(
            "A mailed case's file that is not a photo (市长信箱), for staff who may see the case: "
            "a presigned link to the private bucket, good for 60 seconds, that downloads it "
            "(`Content-Disposition: attachment` with the original name). `index` is the file's "
            "place in the case view's `files`. Each link handed out is recorded in the access "
            "log. 404 `file_not_found` (no such file on this case), `file_not_kept` (over the "
            "size cap: only its name and size were recorded), or when there is no such case."
        ),
        parameters=(
            path_param(
                "index",
                "the file's place in `files`, from 0",
                {"type": "string", "pattern": "^[0-9]+$"},
                example="0",
            ),
        ),
        responses={200: answer("CaseFileLink")},
        errors=(401, 403, 404, 503),
    ),
)
def case_file(case_id: str, index: str) -> dict[str, Any]:
    from functions.services import case_files

    s = _session(CASE_STAFF)
    return case_files.download(case_id, index, s, now())


_guarded("POST", "/api/staff/cases", INTAKE)


@route(
    staff,
    "/api/staff/cases",
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="代录诉求（热线、信箱）",
        operation_id="staffEnterCase",
        tags=("staff",),
        security=STAFF,
        description="`channel` defaults to `hotline`.",
        parameters=(IDEMPOTENCY_KEY,),
        request="case-submission",
        responses={201: answer("Created")},
        errors=(400, 401, 403, 409, 413, 415, 503),
    ),
)
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


# 回音壁: not lifecycle actions (the wall is a record beside the case), on the same path.
_SHOWCASE = {"feature": "feature", "unfeature": "empty"}


def route_roles() -> dict[tuple[str, str], frozenset[Role]]:
    """Every guarded staff route with the roles it admits: the table above, plus the
    coordinator's lifecycle actions of the registry (read on first use, not at import)."""
    from functions.api.knowledge import ROUTE_ROLES as KNOWLEDGE_ROLES
    from functions.domain import actions

    suffixes = [a.route.suffix for a in actions.routed("staff") if a.route] + list(_SHOWCASE)
    return {
        **ROUTE_ROLES,
        **KNOWLEDGE_ROLES,
        **{
            ("POST", f"/api/staff/cases/{{case_id}}/{suffix}"): _action_roles(suffix)
            for suffix in suffixes
        },
    }


def _action_roles(suffix: str) -> frozenset[Role]:
    """Who reaches a case action's route: coordinators (回音壁: the city's), and operators
    where the action admits them (直接答复, §16); the action's own table decides the rest."""
    if suffix in _SHOWCASE:
        return COORDINATORS
    from functions.domain import actions
    from functions.domain.errors import NotFound

    try:
        declared = actions.by_suffix("staff", suffix)
    except NotFound:  # an unknown action: the dispatcher answers 404 once signed in
        return CASE_STAFF
    return CASE_STAFF | (declared.actors & {Role.OPERATOR})


@route(
    staff,
    "/api/staff/cases/{case_id}/{action}",
    methods=("POST",),
    spec=lifecycle_specs("staff"),
)
def act(case_id: str, action: str) -> dict[str, Any]:
    """A coordinator's action on a case: a lifecycle action of the registry (受理, 交办, …, as
    its module declares it) or 回音壁 on/off. An unknown one is a 404."""
    from functions.services import coordination
    from functions.services.common import run_once

    s = _session(_action_roles(action))
    if action in _SHOWCASE:
        from functions.services import showcase

        service = showcase.feature if action == "feature" else showcase.unfeature
        schema = _SHOWCASE[action]
    else:
        from functions.domain import actions

        declared = actions.by_suffix("staff", action)  # 404 ``no_such_action`` when unknown
        assert declared.route is not None
        schema = declared.route.schema

        def service(
            case_id: str, body: dict[str, Any], session: StaffSession, now: datetime
        ) -> dict[str, Any]:
            return coordination.act(action, case_id, body, session, now)

    data, at = body(staff, schema), now()
    # A retry with the same Idempotency-Key replays the first answer (the record joins the
    # transition's transaction), scoped to this coordinator, case and action.
    return run_once(  # type: ignore[no-any-return]
        header(staff, "idempotency-key"),
        ("staff", s.email, case_id, action),
        data,
        lambda: service(case_id, data, s, at),
        now=at,
        replay=lambda: coordination.case_view(case_id, at),
    )
