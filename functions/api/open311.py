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


@open311.route(f"{ROOT}/discovery.json", methods=["GET"], content_types=ACCEPTED)
def discovery_json() -> Response:
    return _discovery("json")


@open311.route(f"{ROOT}/discovery.xml", methods=["GET"], content_types=ACCEPTED)
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


@open311.route(f"{BASE}/services.json", methods=["GET"], content_types=ACCEPTED)
def services_json() -> Response:
    return _services("json")


@open311.route(f"{BASE}/services.xml", methods=["GET"], content_types=ACCEPTED)
def services_xml() -> Response:
    return _services("xml")


@open311.route(f"{BASE}/services/{{service_file}}", methods=["GET"], content_types=ACCEPTED)
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


@open311.route(f"{BASE}/requests.json", methods=["GET", "POST"], content_types=ACCEPTED)
def requests_json() -> Response:
    return _requests("json")


@open311.route(f"{BASE}/requests.xml", methods=["GET", "POST"], content_types=ACCEPTED)
def requests_xml() -> Response:
    return _requests("xml")


@open311.route(f"{BASE}/requests/{{request_file}}", methods=["GET"], content_types=ACCEPTED)
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
@open311.route(f"{BASE}/services", methods=["GET"], content_types=ACCEPTED)
def services_without_format() -> Response:
    return _other("services")


@open311.route(f"{BASE}/requests", methods=["GET", "POST"], content_types=ACCEPTED)
def requests_without_format() -> Response:
    return _other("requests")


@open311.route(BASE, methods=["GET", "POST"], content_types=ACCEPTED)
def version_root() -> Response:
    return _other("v2")


@open311.route(f"{BASE}/{{resource}}", methods=["GET", "POST"], content_types=ACCEPTED)
def other(resource: str) -> Response:
    return _other(resource)


# Every other path under /open311/ (``tokens/1.xml``, ``v2/services/a/b.json``, ``v3/…``):
# API Gateway's greedy path variable, tried after every more specific route. Chalice passes
# it to no argument (``{proxy+}`` is not a ``{name}``): the rest of the path is read from
# the request, as API Gateway sends it (``pathParameters.proxy``). infra/local_stack.py
# matches it the same way on one machine.
@open311.route(f"{ROOT}/{{proxy+}}", methods=["GET", "POST"], content_types=ACCEPTED)
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
