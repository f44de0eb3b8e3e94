"""Open311 GeoReport v2 routes under ``/open311/v2/`` for existing civic tools: services,
service definitions, requests (list, one, create), each as ``.json`` or ``.xml``, and the
Service Discovery document at ``/open311/discovery.{json,xml}``.

The spec's own shapes, not our ``/api`` envelope: errors are ``[{"code", "description"}]``
or ``<errors><error>…</error></errors>`` (one entry per offending field), POST bodies are
``application/x-www-form-urlencoded``; any other path under ``/open311/`` is a 404 in that
format, never the gateway's own 403. What the fields mean, the public-only rule and our
extensions are in ``functions.services.open311``."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response

from functions.api.http import (
    CONTENT_TYPES,
    STATUS,
    dependency_failure,
    header,
    ip,
    now,
    screen_request,
    security_log,
    too_large,
)
from functions.api.spec import (
    IDEMPOTENCY_KEY,
    ONLY_ERRORS,
    OPEN311_KEY,
    PUBLIC,
    Declared,
    Json,
    Spec,
    answer,
    path_param,
    query_param,
    record,
)
from functions.domain import errors
from functions.settings import settings

open311 = Blueprint(__name__)

ROOT = "/open311"
BASE = f"{ROOT}/v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
ACCEPTED = [*CONTENT_TYPES, "application/xml", "text/xml"]
FORM = "application/x-www-form-urlencoded"
# Characters XML 1.0 cannot carry (a citizen's text may hold them): dropped from XML output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# XML names for the items of a list-valued element.
_ITEM_TAGS = {
    "co_handlers": "co_handler",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# --- rendering ------------------------------------------------------------------------------


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        for inner in value:
            _fill(ET.SubElement(element, _ITEM_TAGS.get(element.tag, "item")), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def _xml(root: str, item: str | None, data: Any) -> str:
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    else:
        for entry in data:
            _fill(ET.SubElement(top, item), entry)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")


def _response(fmt: str, text: str, status: int, cache_seconds: int = 0) -> Response:
    return Response(
        body=text,
        status_code=status,
        headers={
            "Content-Type": FORMATS[fmt],
            "Cache-Control": f"public, max-age={cache_seconds}" if cache_seconds else "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _error(fmt: str, error: errors.DomainError) -> Response:
    status = next((code for cls, code in STATUS.items() if isinstance(error, cls)), 500)
    described = [f"{f.field}: {f.message_en} ({f.message})" for f in error.fields] or [
        f"{error.message_en} ({error.message})"
    ]
    entries = [{"code": status, "description": text} for text in described]
    if fmt == "xml":
        answer = _response(fmt, _xml("errors", "error", entries), status)
    else:
        answer = _response("json", json.dumps(entries, ensure_ascii=False), status)
    if isinstance(error, errors.TooManyRequests):
        answer.headers["Retry-After"] = str(error.retry_after)
    return answer


def _answer(
    fmt: str,
    make: Callable[[], Any],
    root: str,
    item: str | None,
    *,
    status: int = 200,
    cache_seconds: int = 0,
) -> Response:
    """Run ``make`` and render its result, or its domain error, in the spec's ``fmt``."""
    try:
        screen_request(open311.current_request)
        if fmt not in FORMATS:
            raise _unsupported(fmt)
        data = make()
    except errors.DomainError as error:
        return _error(fmt if fmt in FORMATS else "json", error)
    except Exception as error:
        mapped = dependency_failure(error)
        if mapped is None:
            raise
        return _error(fmt if fmt in FORMATS else "json", mapped)
    if fmt == "xml":
        return _response(fmt, _xml(root, item, data), status, cache_seconds)
    return _response(fmt, json.dumps(data, ensure_ascii=False), status, cache_seconds)


def _unsupported(fmt: str) -> errors.InvalidRequest:
    return errors.InvalidRequest(
        f"不支持的格式：{fmt[:20]}，请用 .json 或 .xml",
        f"unsupported format {fmt[:20]!r}: use .json or .xml",
        "unsupported_format",
    )


def _split(name: str) -> tuple[str, str]:
    """``WZ20261102-ABC234.json`` → (``WZ20261102-ABC234``, ``json``); no dot → format ""."""
    stem, dot, fmt = name.rpartition(".")
    return (stem, fmt.lower()) if dot else (name, "")


# --- request input --------------------------------------------------------------------------


def _params() -> dict[str, str]:
    params: dict[str, Any] = dict(open311.current_request.query_params or {})
    return {name: str(params[name])[:20000] for name in params}


def _form() -> dict[str, str]:
    """The POST body as form fields (the first value of a repeated field wins)."""
    request = open311.current_request
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > settings().max_body_bytes:  # before anything looks at its content
        raise too_large()
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if raw and content_type != FORM:
        raise errors.UnsupportedMediaType(
            "请以表单格式（application/x-www-form-urlencoded）提交",
            f"send {FORM}",
            "unsupported_media_type",
        )
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except ValueError:  # not UTF-8 (UnicodeDecodeError is a ValueError) or too many fields
        raise errors.InvalidRequest(
            "表单内容无法解析（须为 UTF-8 编码，且字段不超过 100 个）",
            "the form could not be parsed (UTF-8, at most 100 fields)",
            "invalid_form",
        ) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def _api_key(form: dict[str, str] | None = None) -> tuple[str, str]:
    """(the api_key the client presented, where): the form's, else the query string's, as
    clients send it either way (FixMyStreet in the body, others in the query)."""
    if form and form.get("api_key"):
        return form["api_key"], "body"
    given = _params().get("api_key", "")
    return given, "query" if given else "none"


def _key_rejected(where: str) -> None:
    """One WARNING line for a refused api_key: client IP and where it came (the route and
    method come with the request's log scope); never the key or a digest of it (a key may be
    short enough to guess from one)."""
    security_log.warning("open311_api_key_rejected", extra={"ip": ip(open311), "where": where})


def _reader() -> str | None:
    """The Open311 client reading, known by a configured api_key in the query string (reading
    needs none; a wrong one is logged and read as none)."""
    from functions.services import open311 as service

    key, where = _api_key()
    keys = settings().open311_api_keys
    client = service.client_of(key, keys)
    if key and keys and client is None:
        _key_rejected(where)
    return client


def _create(service: Any, form: dict[str, str]) -> Any:
    """A citizen's request: counted per client IP and per contact like the web form's."""
    from functions.domain.rate_limits import contact_subjects
    from functions.services import rate_limits

    at, path, client = now(), f"{BASE}/requests", ip(open311)

    def limits() -> None:  # counted only for a new request, never for a replay
        rate_limits.hit("submit_ip", client, at, route=path)
        subjects = contact_subjects(form.get("phone"), form.get("email"))
        rate_limits.hit_all("submit_contact", subjects, at, route=path)

    key, where = _api_key(form)
    try:
        return service.create(
            form,
            api_key=key,
            api_keys=settings().open311_api_keys,
            idempotency_key=header(open311, "idempotency-key"),
            now=at,
            extensions=service.flag(form.get("extensions") or _params().get("extensions")),
            limits=limits,
        )
    except errors.Forbidden:
        _key_rejected(where)
        raise


# --- what the API document says of them ----------------------------------------------------

GEOREPORT = (
    "GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the spec's shapes, not the `/api` "
    "envelope."
)
EXTENSIONS = query_param(
    "extensions",
    "`true`: add `extended_attributes` (our extensions: deadlines, rating, state…); without it "
    "the answer holds the spec's fields only",
    {"type": "string", "enum": ["true", "false"]},
)
REQUESTS_FILTER = (
    query_param("service_request_id", "comma-separated case ids (overrides the other arguments)"),
    query_param("service_code", "comma-separated"),
    query_param("status", "comma-separated `open` / `closed`"),
    query_param(
        "start_date",
        "W3C date-time with a time zone (inclusive)",
        {"type": "string", "format": "date-time"},
    ),
    query_param(
        "end_date",
        "W3C date-time with a time zone (inclusive)",
        {"type": "string", "format": "date-time"},
    ),
    EXTENSIONS,
)
DISCOVERY: Json = {
    "type": "object",
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                    "url": {"type": "string"},
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {
                        "type": "array",
                        "items": {"enum": ["text/xml", "application/json"]},
                    },
                },
                "required": ["specification", "url", "changeset", "type", "formats"],
            },
        },
    },
    "required": ["changeset", "contact", "key_service", "endpoints"],
}


DEFINITION: Json = {"$ref": "#/components/schemas/Open311ServiceDefinition"}


def _list_of(component: str) -> Json:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}}


def _in_format(fmt: str, schema: Json, root: str, description: str = "OK") -> Json:
    """The success answer in ``fmt``: ``schema`` as JSON, or XML under the element ``root``."""
    if fmt == "json":
        return answer(schema, description)
    xml = {"type": "string", "description": f"XML, root element `<{root}>`"}
    return answer(xml, description, media="text/xml")


def _spec(summary: str, operation_id: str, **more: Any) -> Spec:
    return Spec(summary=summary, operation_id=operation_id, tags=("open311",), **more)


def _error_only(summary: str, operation_id: str, description: str, *errors: int) -> Spec:
    """A route that exists to answer GeoReport's error list in place of the gateway's 403."""
    return _spec(
        summary,
        operation_id,
        security=PUBLIC,
        description=description,
        responses={"default": ONLY_ERRORS},
        errors=errors,
    )


def _route(path: str, specs: dict[str, Declared]) -> Callable[[Callable[..., Any]], Any]:
    """Register an Open311 route for the methods ``specs`` documents."""

    def register(fn: Callable[..., Any]) -> Any:
        for method, declared in specs.items():
            record((method,), path, declared)
        return open311.route(path, methods=list(specs), content_types=ACCEPTED)(fn)

    return register


def _discovery_spec(fmt: str) -> Spec:
    return _spec(
        f"服务发现文档（{fmt.upper()}）",
        f"open311Discovery{fmt.upper()}",
        security=PUBLIC,
        description=(
            "Open311 Service Discovery (https://wiki.open311.org/Service_Discovery): the "
            "GeoReport v2 endpoint (`type` `production` on the prod stage, else `test`), its "
            "formats, `contact` (`WZ_OPEN311_CONTACT`) and how to get an `api_key`."
        ),
        responses={200: _in_format(fmt, DISCOVERY, "discovery", "the discovery document")},
        errors=(503,),
        cache_seconds=300,
    )


def _services_spec(fmt: str) -> Spec:
    return _spec(
        f"服务列表（{fmt.upper()}）",
        f"open311Services{fmt.upper()}",
        security=PUBLIC,
        description=GEOREPORT,
        responses={
            200: _in_format(
                fmt, _list_of("Open311Service"), "services", "one service per kind × category"
            )
        },
        errors=(503,),
        cache_seconds=60,
    )


def _service_definition_spec(fmt: str) -> Spec:
    return _spec(
        f"服务定义（{fmt.upper()}）",
        f"open311ServiceDefinition{fmt.upper()}",
        security=PUBLIC,
        description=(
            "Served by the route `/open311/v2/services/{service_file}` (the file name's ending "
            "picks the format). 404 for an unknown code."
        ),
        parameters=(path_param("service_code", "`<kind>.<category>`", example="complaint.urban"),),
        responses={200: _in_format(fmt, DEFINITION, "service_definition")},
        errors=(404,),
        cache_seconds=60,
    )


def _requests_spec(fmt: str) -> Spec:
    return _spec(
        f"诉求列表（公开诉求，{fmt.upper()}）",
        f"open311Requests{fmt.upper()}",
        security=OPEN311_KEY,
        description=(
            f"{GEOREPORT} Public cases only, never contact data. Without dates: the last 90 "
            "days. `service_request_id` lists also hold a client's own unpublished requests "
            "when it presents its `api_key`, status only."
        ),
        parameters=REQUESTS_FILTER,
        responses={
            200: _in_format(
                fmt, _list_of("Open311Request"), "service_requests", "newest first, at most 1,000"
            )
        },
        errors=(400, 503),
    )


def _create_spec(fmt: str) -> Spec:
    return _spec(
        f"提交诉求（{fmt.upper()}）",
        f"open311Create{fmt.upper()}",
        security=OPEN311_KEY,
        description=(
            f"{GEOREPORT} Files the case like `POST /api/cases` (channel `open311`, 开放接口). "
            "When `WZ_OPEN311_API_KEYS` is set, `api_key` (form field, else query string) must "
            "be one of them, else 403. The district is the service definition's required "
            "attribute, `attribute[district]=<key>` (also taken as `district`). 404 for an "
            "unknown `service_code`. `service_notice` names the tracking code and says when "
            "the request becomes readable here."
        ),
        parameters=(IDEMPOTENCY_KEY, EXTENSIONS),
        form="Open311Form",
        responses={201: _in_format(fmt, _list_of("Open311Created"), "service_requests", "Created")},
        errors=(400, 403, 404, 409, 413, 415, 429, 503),
    )


def _request_spec(fmt: str) -> Spec:
    return _spec(
        f"单件诉求（{fmt.upper()}）",
        f"open311Request{fmt.upper()}",
        security=OPEN311_KEY,
        description=(
            "Served by the route `/open311/v2/requests/{request_file}`. 404 unless the case "
            "exists and is public. With `api_key` (query) of the client that filed a request, "
            "that request is readable before it is published: status only (`description`, "
            "`address` null, `status_notes` the state label)."
        ),
        parameters=(
            path_param("service_request_id", "case id", example="WZ20261102-ABC234"),
            EXTENSIONS,
        ),
        responses={
            200: _in_format(
                fmt, _list_of("Open311Request"), "service_requests", "a list of one request"
            )
        },
        errors=(404,),
    )


NO_FORMAT = (
    "Answers in the spec's error format (JSON): 400 `unsupported_format` — every resource "
    "ends in `.json` or `.xml`."
)
VERSION_ROOT = (
    "Answers 404 in the spec's error format (JSON): the endpoint's resources are below it "
    "(`/open311/discovery.json` lists it)."
)
OTHER_RESOURCE = (
    "400 `unsupported_format` for `services.*` / `requests.*` in another format; 404 "
    "`not_found` for anything else. Spec error format (JSON)."
)
ANY_OTHER = (
    "Every other path under `/open311/` (`v2/tokens/123.xml`, `v2/services/a/b.json`, "
    "`v3/…`): 404 `not_found` in the spec's error format, XML when the path ends in `.xml`, "
    "else JSON; never the gateway's 403. API Gateway tries this route after every more "
    "specific one. The route is `/open311/{proxy+}`; OpenAPI has no greedy path templating, "
    "so it is written here with one ordinary parameter, `proxy`."
)
RESOURCE = path_param("resource", "e.g. `services.csv`")
PROXY = path_param(
    "proxy",
    "the rest of the path below `/open311/`, any number of segments (API Gateway's greedy "
    "path variable `{proxy+}` of the route), e.g. `v2/tokens/123.xml`",
    {"type": "string", "minLength": 1},
    example="v2/tokens/123.xml",
)


# --- routes ---------------------------------------------------------------------------------


def _discovery(fmt: str) -> Response:
    from functions.services import open311 as service
    from functions.storage import directory

    def make() -> Any:
        config = settings()
        contact = config.open311_contact or (
            f"{directory.taxonomy().platform_name} {config.public_base_url}/"
        )
        return service.discovery(
            base_url=config.public_base_url,
            production=config.stage == "prod",
            contact=contact,
            keys_required=bool(config.open311_api_keys),
        )

    return _answer(fmt, make, "discovery", None, cache_seconds=300)


@_route(f"{ROOT}/discovery.json", {"GET": _discovery_spec("json")})
def discovery_json() -> Response:
    return _discovery("json")


@_route(f"{ROOT}/discovery.xml", {"GET": _discovery_spec("xml")})
def discovery_xml() -> Response:
    return _discovery("xml")


def _services(fmt: str) -> Response:
    from functions.services import open311 as service

    return _answer(fmt, service.services, "services", "service", cache_seconds=60)


def _requests(fmt: str) -> Response:
    from functions.services import open311 as service

    if open311.current_request.method == "POST":
        return _answer(
            fmt,
            lambda: _create(service, _form()),
            "service_requests",
            "request",
            status=201,
        )
    return _answer(
        fmt,
        lambda: service.requests(_params(), now(), client=_reader()),
        "service_requests",
        "request",
    )


@_route(f"{BASE}/services.json", {"GET": _services_spec("json")})
def services_json() -> Response:
    return _services("json")


@_route(f"{BASE}/services.xml", {"GET": _services_spec("xml")})
def services_xml() -> Response:
    return _services("xml")


@_route(
    f"{BASE}/services/{{service_file}}",
    {
        "GET": {
            f"{BASE}/services/{{service_code}}.{fmt}": _service_definition_spec(fmt)
            for fmt in FORMATS
        }
    },
)
def service_definition(service_file: str) -> Response:
    from functions.services import open311 as service

    code, fmt = _split(service_file)
    return _answer(
        fmt,
        lambda: service.service_definition(code),
        "service_definition",
        None,
        cache_seconds=60,
    )


@_route(f"{BASE}/requests.json", {"GET": _requests_spec("json"), "POST": _create_spec("json")})
def requests_json() -> Response:
    return _requests("json")


@_route(f"{BASE}/requests.xml", {"GET": _requests_spec("xml"), "POST": _create_spec("xml")})
def requests_xml() -> Response:
    return _requests("xml")


@_route(
    f"{BASE}/requests/{{request_file}}",
    {
        "GET": {
            f"{BASE}/requests/{{service_request_id}}.{fmt}": _request_spec(fmt) for fmt in FORMATS
        }
    },
)
def request(request_file: str) -> Response:
    from functions.services import open311 as service

    case_id, fmt = _split(request_file)
    return _answer(
        fmt,
        lambda: service.request(
            case_id,
            extensions=service.flag(_params().get("extensions")),
            client=_reader(),
        ),
        "service_requests",
        "request",
    )


# API Gateway answers a path that only parents other routes itself (403): these get ours.
@_route(
    f"{BASE}/services",
    {"GET": _error_only("缺少格式后缀（错误应答）", "open311ServicesNoFormat", NO_FORMAT, 400)},
)
def services_without_format() -> Response:
    return _other("services")


@_route(
    f"{BASE}/requests",
    {
        "GET": _error_only(
            "缺少格式后缀（错误应答）", "open311RequestsNoFormatGet", NO_FORMAT, 400
        ),
        "POST": _error_only(
            "缺少格式后缀（错误应答）", "open311RequestsNoFormatPost", NO_FORMAT, 400, 413
        ),
    },
)
def requests_without_format() -> Response:
    return _other("requests")


@_route(
    BASE,
    {
        "GET": _error_only("版本根路径（错误应答）", "open311VersionRootGet", VERSION_ROOT, 404),
        "POST": _error_only(
            "版本根路径（错误应答）", "open311VersionRootPost", VERSION_ROOT, 404, 413
        ),
    },
)
def version_root() -> Response:
    return _other("v2")


@_route(
    f"{BASE}/{{resource}}",
    {
        "GET": replace(
            _error_only("其他资源（错误应答）", "open311OtherGet", OTHER_RESOURCE, 400, 404),
            parameters=(RESOURCE,),
        ),
        "POST": replace(
            _error_only("其他资源（错误应答）", "open311OtherPost", OTHER_RESOURCE, 400, 404, 413),
            parameters=(RESOURCE,),
        ),
    },
)
def other(resource: str) -> Response:
    return _other(resource)


# Every other path under /open311/ (``tokens/1.xml``, ``v2/services/a/b.json``, ``v3/…``):
# API Gateway's greedy path variable, tried after every more specific route. Chalice passes
# it to no argument (``{proxy+}`` is not a ``{name}``): the rest of the path is read from
# the request, as API Gateway sends it (``pathParameters.proxy``). infra/local_stack.py
# matches it the same way on one machine.
@_route(
    f"{ROOT}/{{proxy+}}",
    {
        "GET": replace(
            _error_only("其他路径（错误应答）", "open311AnyOtherGet", ANY_OTHER, 404),
            parameters=(PROXY,),
        ),
        "POST": replace(
            _error_only("其他路径（错误应答）", "open311AnyOtherPost", ANY_OTHER, 404, 413),
            parameters=(PROXY,),
        ),
    },
)
def anything_else() -> Response:
    request = open311.current_request
    rest = str((request.uri_params or {}).get("proxy") or "")
    if not rest:  # a matcher that knows no greedy variables: the request's own path
        path = str((request.context or {}).get("path") or "")
        rest = path.split(f"{ROOT}/", 1)[-1]
    return _other(rest, versioned=False)


def _other(resource: str, *, versioned: bool = True) -> Response:
    """``v2/services.csv`` and the like: a format we do not serve; anything else: no such
    resource. Answered in the spec's error format (XML when the path ends in ``.xml``)
    rather than the gateway's."""
    name, fmt = _split(resource.rsplit("/", 1)[-1])

    def fail() -> Any:
        if versioned and name in ("services", "requests"):
            raise _unsupported(fmt)
        raise errors.NotFound(
            f"没有这个资源：{resource[:60]}（服务发现文档：{ROOT}/discovery.json）",
            f"no such resource: {resource[:60]} (service discovery: {ROOT}/discovery.json)",
            "not_found",
        )

    return _answer(fmt if fmt in FORMATS else "json", fail, "errors", None)
