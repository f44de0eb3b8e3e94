"""Staff sign-in and sessions (§7), and a table-driven authorisation check over every staff
route in ``functions.api.staff.ROUTE_ROLES`` and admin route in
``functions.api.admin.ROUTE_ROLES``: no session → 401, an expired or revoked session
→ 401, a role the route does not admit → 403, a role it admits → neither."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.helpers import STAFF, T0, Api, iso, submission

ROLES = ("coordinator", "operator", "auditor", "admin", "supervisor", "leader")

# A plausible body for each guarded route (the role check comes first anyway).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/staff/cases"): submission(),
    ("POST", "/api/staff/cases/{case_id}/accept"): {"urgency": "general", "public": True},
    ("POST", "/api/staff/cases/{case_id}/reject"): {"reason_code": "spam", "reason": "广告信息"},
    ("POST", "/api/staff/cases/{case_id}/assign"): {"lead": "dept-1"},
    ("POST", "/api/staff/cases/{case_id}/return-decision"): {"decision": "insist"},
    ("POST", "/api/staff/cases/{case_id}/extension-decision"): {"decision": "refuse"},
    ("POST", "/api/staff/cases/{case_id}/reply-review"): {"decision": "approve"},
    ("POST", "/api/staff/cases/{case_id}/close"): {"note": "经研究办结"},
    ("POST", "/api/staff/cases/{case_id}/feature"): {"summary": "一周内修好了电梯"},
    ("POST", "/api/staff/cases/{case_id}/reviews"): {"text": "答复及时，整改到位，值得肯定。"},
    ("POST", "/api/staff/reviews/{review_id}/moderation"): {"decision": "approve"},
    ("PUT", "/api/admin/calendar"): {"extra_holidays": [], "confirmed_through": 2026},
    ("PUT", "/api/admin/policy"): {"extensions_allowed": 1},
    ("POST", "/api/staff/cases/{case_id}/answer"): {"text": "您好，可以申请，请携身份证办理。"},
    ("POST", "/api/staff/kb"): {
        "question": "公租房如何申请？",
        "answer": "携身份证到街道政务服务中心申请。",
        "category": "urban",
        "source_unit": "市住房和城乡建设局",
        "public": True,
    },
}


def _routes() -> dict[tuple[str, str], frozenset[Any]]:
    from functions.api.admin import ROUTE_ROLES as ADMIN_ROUTE_ROLES
    from functions.api.reviews import ROUTE_ROLES as REVIEW_ROUTE_ROLES
    from functions.api.staff import route_roles

    return {**route_roles(), **REVIEW_ROUTE_ROLES, **ADMIN_ROUTE_ROLES}


def _call(api: Api, route: tuple[str, str], case_id: str, headers: dict[str, str]) -> Any:
    method, template = route
    path = template.replace("{case_id}", case_id).replace("{review_id}", f"{case_id}-00000000")
    if method == "GET":
        return api.get(path, headers)
    return api.call(method, path, BODIES.get(route, {}), headers)


def _sessions(api: Api) -> dict[str, dict[str, str]]:
    return {
        role: {"Authorization": f"Bearer {api.session(role)['session_token']}"} for role in ROLES
    }


def test_route_table_covers_every_guarded_staff_route() -> None:
    from app import app

    ROUTE_ROLES = _routes()
    open_routes = {
        "/api/staff/sign-in",
        "/api/staff/session",
        "/api/staff/session/verify",  # the second factor's step (test_api_second_factor.py)
        "/api/staff/sign-out",
        # Single sign-on through the IdP, ending in a sign-in link (test_api_staff_oidc.py).
        "/api/staff/oidc",
        "/api/staff/oidc/start",
        "/api/staff/oidc/callback",
    }
    registered = {
        (method, path)
        for path, methods in app.routes.items()
        if path.startswith(("/api/staff", "/api/admin")) and path not in open_routes
        for method in methods
    }
    actions = {
        (m, p)
        for (m, p) in ROUTE_ROLES
        if m == "POST" and p.startswith("/api/staff/cases/{case_id}/")
    }
    expanded = (registered - {("POST", "/api/staff/cases/{case_id}/{action}")}) | actions
    assert expanded == set(ROUTE_ROLES)
    assert ("GET", "/api/staff/me") in ROUTE_ROLES
    # Eleven workflow actions (并件, 撤销并件, 退回市级平台, 审核答复 and 直接答复 among them),
    # public version, hide-photo, 回音壁 on and off, and a supervisor's 评议 (§16).
    assert len(actions) == 16


def test_every_staff_route_checks_the_session_and_the_role(api: Api) -> None:
    from functions.domain.lifecycle import Role

    case_id = api.submit()["case_id"]
    sessions = _sessions(api)
    failures: list[str] = []
    for route, roles in _routes().items():
        for label, headers in (
            ("no session", {}),
            ("garbage bearer", {"Authorization": "Bearer not-a-session-token"}),
            ("not a bearer", {"Authorization": "Basic Y29vcmRpbmF0b3I6cHc="}),
        ):
            answer = _call(api, route, case_id, headers)
            if answer.status != 401 or answer.code != "unauthorized":
                failures.append(f"{route} {label}: {answer.status} {answer.body}")
        for role in ROLES:
            answer = _call(api, route, case_id, sessions[role])
            if Role(role) in roles:
                if answer.status in (401, 403):
                    failures.append(f"{route} as {role} (admitted): {answer.status} {answer.body}")
            elif answer.status != 403 or answer.code != "forbidden":
                failures.append(f"{route} as {role} (not admitted): {answer.status} {answer.body}")
    assert not failures, "\n".join(failures)


def test_the_roles_the_design_names(api: Api) -> None:
    """Spot checks of the table against §2/§7: auditors read-only and not on coordinator
    routes; operators enter cases but do not see the queue; admins do what coordinators do."""
    from functions.domain.lifecycle import Role

    routes = _routes()
    coordinator_routes = [r for r in routes if r != ("GET", "/api/staff/me")]
    assert all(Role.AUDITOR not in routes[r] for r in coordinator_routes)
    assert Role.OPERATOR not in routes[("GET", "/api/staff/queue")]
    assert Role.OPERATOR in routes[("POST", "/api/staff/cases")]
    assert all(Role.ADMIN in routes[r] for r in routes if Role.COORDINATOR in routes[r])
    # A supervisor (§16) reads what the public reads; the staff routes it may use are its own.
    assert {r for r in routes if Role.SUPERVISOR in routes[r]} == {
        ("GET", "/api/staff/me"),
        ("POST", "/api/staff/cases/{case_id}/reviews"),
        ("GET", "/api/staff/reviews/mine"),
    }
    queue = api.get("/api/staff/queue", api.as_role("operator"))
    assert queue.status == 403 and queue.error["message"] == "当前账号无权访问此功能"
    entered = api.ok(api.post("/api/staff/cases", submission(), api.as_role("admin")), 201)
    assert api.staff_case(entered["case_id"], role="admin")["channel"] == "hotline"
    me = api.ok(api.get("/api/staff/me", api.as_role("auditor")))
    assert me == {"email": STAFF["auditor"], "role": "auditor", "name": "审计员 陈立"} | {
        "county": None
    }


def test_every_staff_route_refuses_a_session_after_the_idle_timeout(api: Api) -> None:
    case_id = api.submit()["case_id"]
    sessions = _sessions(api)
    api.set_clock(T0 + timedelta(minutes=61))
    failures = [
        f"{route} as {role}: {answer.status}"
        for route in _routes()
        for role in ROLES
        if (answer := _call(api, route, case_id, sessions[role])).status != 401
    ]
    assert not failures, failures


def test_activity_keeps_a_session_alive_until_the_absolute_timeout(api: Api) -> None:
    opened = api.session("coordinator")
    bearer = {"Authorization": f"Bearer {opened['session_token']}"}
    assert opened["expires_at"] == iso(T0 + timedelta(hours=12))
    for minutes in range(50, 12 * 60, 50):  # in use every 50 minutes: never idle
        api.set_clock(T0 + timedelta(minutes=minutes))
        assert api.get("/api/staff/queue", bearer).status == 200, minutes
    api.set_clock(T0 + timedelta(hours=12, seconds=1))
    expired = api.get("/api/staff/queue", bearer)
    assert expired.status == 401 and expired.code == "unauthorized"


def test_sign_out_ends_the_session(api: Api) -> None:
    bearer = {"Authorization": f"Bearer {api.session('coordinator')['session_token']}"}
    assert api.get("/api/staff/me", bearer).status == 200
    assert api.ok(api.post("/api/staff/sign-out", {}, bearer)) == {"signed_out": True}
    assert api.get("/api/staff/me", bearer).status == 401
    assert api.post("/api/staff/sign-out", {}, bearer).status == 200  # harmless twice
    assert api.post("/api/staff/sign-out", {}).status == 200


def test_a_sign_in_link_is_single_use(api: Api) -> None:
    token = api.sign_in_token(STAFF["coordinator"])
    first = api.ok(api.post("/api/staff/session", {"token": token}))
    assert first["role"] == "coordinator" and first["role_label"] == "总平台"
    assert len(first["session_token"]) >= 32 and first["session_token"] != token
    second = api.post("/api/staff/session", {"token": token})
    assert second.status == 401 and second.code == "invalid_link"
    assert api.get("/api/staff/me", {"Authorization": f"Bearer {token}"}).status == 401


def test_a_sign_in_link_expires_after_15_minutes(api: Api) -> None:
    fresh = api.sign_in_token(STAFF["auditor"])
    stale = api.sign_in_token(STAFF["coordinator"])
    api.set_clock(T0 + timedelta(minutes=14))
    assert api.ok(api.post("/api/staff/session", {"token": fresh}))["role"] == "auditor"
    api.set_clock(T0 + timedelta(minutes=15, seconds=1))
    late = api.post("/api/staff/session", {"token": stale})
    assert late.status == 401 and late.code == "invalid_link"
    mail = [m for m in api.outbox() if m["to"] == STAFF["coordinator"]]
    assert "15 分钟内有效" in mail[-1]["body"]


def test_sign_in_answers_the_same_for_unknown_addresses_and_sends_nothing(api: Api) -> None:
    known = api.post("/api/staff/sign-in", {"email": STAFF["coordinator"]})
    before = api.outbox()
    unknown = api.post("/api/staff/sign-in", {"email": "stranger@example.com"})
    assert known.status == unknown.status == 202
    assert known.body == unknown.body
    assert api.outbox() == before
    mixed = api.post("/api/staff/sign-in", {"email": "Coordinator@Wenzheng.example"})
    assert mixed.status == 202
    assert len(api.outbox()) == len(before) + 1
    assert api.outbox()[-1]["to"] == STAFF["coordinator"]


def test_tokens_only_work_for_their_own_purpose(api: Api) -> None:
    _, link = api.assigned_case("dept-1")
    session = api.session("coordinator")["session_token"]
    assert api.get("/api/staff/me", {"Authorization": f"Bearer {link.token}"}).status == 401
    assert api.get("/api/handle", {"X-Link-Token": session}).status == 401
    assert api.post("/api/staff/session", {"token": link.token}).status == 401
    assert api.post("/api/staff/session", {"token": session}).status == 401
    assert api.handle(link).status == 200  # the link was not used up by any of that
