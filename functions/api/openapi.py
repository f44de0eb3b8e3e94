"""The OpenAPI 3.1 document ``GET /api/openapi.json`` serves, made of the Chalice route table and
what each route declares (``functions/api/spec.py``) inside this module's frame: info, servers,
tags, security schemes and the shared components (the error envelopes and their responses, the
``Idempotency-Key`` parameter). Answer shapes are ``schemas/components/*.json``; request bodies
stay ``$ref``s to their schema files, which ``schemas.bundle`` copies in (docs/API.md, "API
document"). Imported on the first request of the document, never at cold start."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from functions.api.spec import SPECS, Declared, Json, Spec, path_param

METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
LOCAL_ONLY = "x-local-only"
LOCAL_ONLY_NOTE = "Local stage only: registered when `WZ_STAGE=local`, never in dev or prod."
OPEN311_TAG = "open311"
# API Gateway's greedy path variable (``/open311/{proxy+}``): OpenAPI has no such templating,
# so the document writes it as one ordinary parameter (``/open311/{proxy}``).
_GREEDY = re.compile(r"\{(\w+)\+\}")
_TEMPLATE = re.compile(r"\{(\w+)\}")

INFO: Json = {
    "title": "问政 Wenzheng API",
    "version": "1.0.0",
    "summary": "网络问政平台的 HTTP 接口",
    "description": (
        "JSON over `/api/...`, same origin as the site; Open311 GeoReport v2 under "
        "`/open311/v2/`. Request bodies are defined by the JSON Schemas (Draft 2020-12) in "
        "`schemas/`, each served at `/api/schemas/{name}` (the name without `.json`); this "
        "document holds them as components (`case-submission.json` → "
        "`#/components/schemas/CaseSubmissionBody`, `common.json#/$defs/email` → "
        "`CommonEmail`), each linking to its file (`externalDocs`), so it resolves from its "
        "own URL alone. Each route declares its operation beside its handler; the document is "
        "made of them. Errors of `/api` routes share one envelope (`Error`). Instants are UTC "
        "ISO-8601 with `Z`; every coded value comes with its Chinese label (`state` + "
        "`state_label`…). Lists are `{items, next_cursor}`; pass `cursor=` to continue. The "
        "prose contract is docs/API.md."
    ),
}
SERVERS: list[Json] = [{"url": "/", "description": "same origin as the site"}]
TAGS: list[Json] = [
    {"name": "public", "description": "公众：留言板、提交、查询评价、回音壁、亮晒比"},
    {"name": "department", "description": "承办单位：办理链接，令牌放在 `X-Link-Token` 头"},
    {
        "name": "staff",
        "description": (
            "工作人员：`Authorization: Bearer <session_token>`，每个接口检查角色（`x-roles`）"
        ),
    },
    {"name": "admin", "description": "设置：工作日日历与时限政策（coordinator 可读，admin 可写）"},
    {
        "name": "audit",
        "description": (
            "审计：只读查询档案（已办结、已归档）、哈希链校验、导出；仅 auditor 角色，"
            "每次查询均记入访问记录"
        ),
    },
    {
        "name": "dev",
        "description": (
            "本地演示专用（jobs/dev）：开发邮箱、平台时钟、手动运行定时任务；只在 local 阶段注册"
        ),
    },
    {
        "name": OPEN311_TAG,
        "description": "Open311 GeoReport v2：供现有城市工具对接，`.json` 或 `.xml`",
    },
]
SECURITY_SCHEMES: Json = {
    "staffSession": {
        "type": "http",
        "scheme": "bearer",
        "description": "The `session_token` from `POST /api/staff/session`.",
    },
    "citizenSession": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "我的诉求: the `session_token` from `POST /api/citizen/session` (30 minutes, opened "
            "by a code sent by SMS to the case's phone number)."
        ),
    },
    "linkToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Link-Token",
        "description": "The department's magic-link token (`…/handle.html#t=<token>`).",
    },
    "deskLink": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Link-Token",
        "description": (
            "A unit's desk-link token (`…/desk.html#t=<token>`, 单位工作台): the same header as "
            "a handling link, another kind of token."
        ),
    },
    "open311ApiKey": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": (
            "Open311 `api_key`: in the query string, or as a field of the form-encoded POST body "
            "(see `Open311Form`; the body's wins). Required to POST only when "
            "`WZ_OPEN311_API_KEYS` is set; on GET it lets the client that filed a request read "
            "it before publication (status only)."
        ),
    },
}
PARAMETERS: Json = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": (
            "Optional: a repeated submission with the same key and body answers the first "
            "result instead of filing twice."
        ),
    }
}
# The path parameters many routes share; a route names any other in its spec.
PATH_PARAMETERS: dict[str, Json] = {
    "case_id": path_param("case_id", "case id (受理编号)", example="WZ20261102-ABC234"),
    "message_id": path_param("message_id", "outbox message id"),
    "export_id": path_param("export_id", "audit export id"),
}

# The error envelopes: functions/api/http.py's ``error_response`` and Open311's error list.
ENVELOPES: Json = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "description": (
                            "machine code, e.g. `validation_failed`, `case_not_found`, "
                            "`invalid_link`"
                        ),
                    },
                    "message": {"type": "string", "description": "Chinese"},
                    "message_en": {"type": "string"},
                    "fields": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/FieldError"},
                        "description": "validation errors only",
                    },
                    "cases": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": (
                            "a 409 `unit_has_open_cases`: the open cases to reassign first"
                        ),
                    },
                },
                "required": ["code", "message", "message_en"],
            }
        },
        "required": ["error"],
        "description": "The one error envelope of every `/api` route.",
    },
    "FieldError": {
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": 'dotted path; `""` for the body as a whole'},
            "message": {"type": "string"},
            "message_en": {"type": "string"},
        },
        "required": ["field", "message", "message_en"],
    },
    "Open311Errors": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            "required": ["code", "description"],
        },
        "description": "one entry per offending field",
    },
}

_RETRY_AFTER: Json = {
    "Retry-After": {
        "description": "Seconds until the limit's window ends (at most the window)",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _error(description: str, example: Json | None = None) -> Json:
    media: Json = {"schema": {"$ref": "#/components/schemas/Error"}}
    if example is not None:
        media["example"] = {"error": example}
    return {"description": description, "content": {"application/json": media}}


def _open311_error(description: str) -> Json:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Open311Errors"}},
            "text/xml": {
                "schema": {
                    "type": "string",
                    "description": (
                        "`<errors><error><code>…</code><description>…</description></error>"
                        "</errors>`"
                    ),
                }
            },
        },
    }


RESPONSES: Json = {
    "BadRequest": _error(
        "Invalid request: `error.fields` names each offending field (Chinese and English)",
        {
            "code": "validation_failed",
            "message": "请求内容有误，请检查标出的字段",
            "message_en": "The request is invalid",
            "fields": [
                {
                    "field": "contact.phone",
                    "message": "请填写正确的中国大陆手机号（11 位）",
                    "message_en": "must be a mainland China mobile number",
                }
            ],
        },
    ),
    "Unauthorized": _error("No valid session or link (`invalid_link`, session missing or expired)"),
    "Forbidden": _error("Authenticated, but the role may not do this (`forbidden`)"),
    "NotFound": _error("No such resource, or not visible to the caller"),
    "Conflict": _error(
        "The case's state does not allow this, or it changed meanwhile (`stale_case`)"
    ),
    "Gone": _error("The assignment behind the link has ended (`assignment_ended`)"),
    "TooLarge": _error("The body exceeds 64 KiB (`too_large`)"),
    "UnsupportedMediaType": _error("The body is not `application/json` (`unsupported_media_type`)"),
    "TooManyRequests": {
        **_error(
            "Over a rate limit (`rate_limited`); retry after `Retry-After` seconds. See "
            'docs/API.md "Rate limits".',
            {
                "code": "rate_limited",
                "message": "提交过于频繁，请 42 分钟后再试",
                "message_en": "too many submissions: try again in 42 minutes",
            },
        ),
        "headers": _RETRY_AFTER,
    },
    "Unavailable": _error("Storage unavailable; retry later (`unavailable`)"),
    "Open311BadRequest": _open311_error("Bad arguments or format"),
    "Open311Forbidden": _open311_error("Missing or unknown `api_key`"),
    "Open311NotFound": _open311_error(
        "Unknown service (also on POST), request, or any other path under `/open311/`"
    ),
    "Open311Conflict": _open311_error("`Idempotency-Key` reused with a different form"),
    "Open311TooLarge": _open311_error("The form exceeds 64 KiB"),
    "Open311UnsupportedMediaType": _open311_error(
        "The body is not `application/x-www-form-urlencoded`"
    ),
    "Open311TooManyRequests": {
        **_open311_error(
            "Over a rate limit (the submission limits of `POST /api/cases`); retry after "
            "`Retry-After` seconds"
        ),
        "headers": _RETRY_AFTER,
    },
    "Open311Unavailable": _open311_error("Storage unavailable; retry later"),
}
# The status → shared response of each error format.
ERRORS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    503: "Unavailable",
}
OPEN311_ERRORS: dict[int, str] = {
    400: "Open311BadRequest",
    403: "Open311Forbidden",
    404: "Open311NotFound",
    409: "Open311Conflict",
    413: "Open311TooLarge",
    415: "Open311UnsupportedMediaType",
    429: "Open311TooManyRequests",
    503: "Open311Unavailable",
}


class UndocumentedRoute(LookupError):
    """Routes the app registers without a spec: the document would silently miss them."""


def documented_path(route: str) -> str:
    return _GREEDY.sub(r"{\1}", route)


def route_roles() -> dict[tuple[str, str], list[str]]:
    """(method, path) → the roles its route admits, from the route tables the authorisation
    test walks, in the order of ``Role``."""
    from functions.api.admin import ROUTE_ROLES as ADMIN
    from functions.api.audit import ROUTE_ROLES as AUDIT
    from functions.api.reviews import ROUTE_ROLES as REVIEWS
    from functions.api.staff import route_roles as staff_route_roles
    from functions.domain.lifecycle import Role

    return {
        key: [role.value for role in Role if role in roles]
        for key, roles in {**staff_route_roles(), **REVIEWS, **ADMIN, **AUDIT}.items()
    }


def _parameters(path: str, spec: Spec) -> list[Json]:
    declared = {p["name"]: p for p in spec.parameters if p.get("in") == "path"}
    named = _TEMPLATE.findall(path)
    if set(declared) - set(named):
        raise ValueError(f"{path}: path parameters not in the path: {set(declared) - set(named)}")
    found: list[Json] = []
    for name in named:
        parameter = declared.get(name) or PATH_PARAMETERS.get(name)
        if parameter is None:
            raise ValueError(f"{path}: no spec of the path parameter {name}")
        found.append(dict(parameter))
    return [*found, *(dict(p) for p in spec.parameters if p.get("in") != "path")]


def _responses(path: str, spec: Spec) -> Json:
    shared = OPEN311_ERRORS if OPEN311_TAG in spec.tags else ERRORS
    found: Json = {str(status): dict(item) for status, item in spec.responses.items()}
    for status in spec.errors:
        if str(status) in found or status not in shared:
            raise ValueError(f"{path}: error {status} is declared twice or has no shared answer")
        found[str(status)] = {"$ref": f"#/components/responses/{shared[status]}"}
    success = [s for s in found if s.startswith("2")]
    if spec.cache_seconds:
        if not success:
            raise ValueError(f"{path}: cache_seconds without a success answer")
        first = found[success[0]] = dict(found[success[0]])
        first["headers"] = {
            **first.get("headers", {}),
            "Cache-Control": {
                "description": f"`public, max-age={spec.cache_seconds}`",
                "schema": {"type": "string"},
            },
        }
    return dict(sorted(found.items(), key=lambda item: (item[0] == "default", item[0])))


def operation(method: str, path: str, spec: Spec, roles: list[str] | None) -> Json:
    """The OpenAPI operation object of ``spec`` at ``path``."""
    found: Json = {"tags": list(spec.tags), "summary": spec.summary}
    found["operationId"] = spec.operation_id
    description = " ".join(
        text for text in (LOCAL_ONLY_NOTE if spec.local_only else "", spec.description) if text
    )
    if description:
        found["description"] = description
    parameters = _parameters(path, spec)
    if parameters:
        found["parameters"] = parameters
    if spec.request == "empty":  # ``{}`` or nothing: the body may be left out
        if spec.form is not None:
            raise ValueError(f"{method} {path}: an empty body or a form, not both")
        found["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"$ref": "empty.json"}}},
            "description": "`{}` or no body at all",
        }
    elif spec.request is not None or spec.form is not None:
        # A JSON body, a form, or either (RFC 8058's one-click POST beside the page's JSON).
        content: Json = {}
        if spec.request is not None:
            content["application/json"] = {"schema": {"$ref": f"{spec.request}.json"}}
        if spec.form is not None:
            content["application/x-www-form-urlencoded"] = {
                "schema": {"$ref": f"#/components/schemas/{spec.form}"}
            }
        found["requestBody"] = {"required": True, "content": content}
    found["security"] = [dict(entry) for entry in spec.security]
    if roles is not None:
        found["x-roles"] = roles
    if spec.local_only:
        found[LOCAL_ONLY] = True
    found["responses"] = _responses(f"{method} {path}", spec)
    return found


def _concrete(route: str, declared: Declared) -> Iterable[tuple[str, Spec]]:
    if isinstance(declared, Spec):
        return [(documented_path(route), declared)]
    if callable(declared):  # read when the document is made (a registry, not at import)
        return declared().items()
    return declared.items()


def paths(
    routes: Mapping[str, Mapping[str, Any]],
    *,
    local: bool,
    specs: Mapping[tuple[str, str], Declared] = SPECS,
) -> Json:
    """The document's ``paths`` of a Chalice route table (``app.routes``: path → method →
    entry). Raises ``UndocumentedRoute`` naming every route without a spec; leaves out the
    local stage's routes elsewhere (``local=False``)."""
    roles = route_roles()
    missing = [
        f"{method} {route}"
        for route, methods in routes.items()
        for method in methods
        if (method, route) not in specs
    ]
    if missing:
        raise UndocumentedRoute(
            "routes without a spec (route(…, spec=Spec(…)), functions/api/spec.py): "
            + ", ".join(missing)
        )
    found: Json = {}
    for route, methods in routes.items():
        for method in sorted(methods, key=METHODS.index):
            for path, spec in _concrete(route, specs[(method, route)]):
                if spec.local_only and not local:
                    continue
                item = found.setdefault(path, {})
                if method.lower() in item:
                    raise ValueError(f"{method} {path} is documented twice")
                item[method.lower()] = operation(method, path, spec, roles.get((method, path)))
    return found


def document(routes: Mapping[str, Mapping[str, Any]], *, local: bool) -> Json:
    """The whole document, its request bodies still ``$ref``s to their schema files (what
    ``schemas.bundle`` takes)."""
    import schemas

    return {
        "openapi": "3.1.0",
        "info": INFO,
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": SERVERS,
        "tags": TAGS,
        "paths": paths(routes, local=local),
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "parameters": PARAMETERS,
            "schemas": {**ENVELOPES, **schemas.components()},
            "responses": RESPONSES,
        },
    }
