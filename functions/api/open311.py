"""Open311 GeoReport v2 routes under ``/open311/v2/`` for existing civic tools: services,
service definitions, requests (list, one, create), each as ``.json`` or ``.xml``.

The spec's own shapes, not our ``/api`` envelope: errors are ``[{"code", "description"}]``
or ``<errors><error>…</error></errors>`` (one entry per offending field), POST bodies are
``application/x-www-form-urlencoded``. What the fields mean, the public-only rule and our
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
    too_large,
)
from functions.domain import errors
from functions.settings import settings

open311 = Blueprint(__name__)

BASE = "/open311/v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}
ACCEPTED = [*CONTENT_TYPES, "application/xml", "text/xml"]
FORM = "application/x-www-form-urlencoded"
# Characters XML 1.0 cannot carry (a citizen's text may hold them): dropped from XML output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# XML names for the items of a list-valued element.
_ITEM_TAGS = {"co_handlers": "co_handler", "attributes": "attribute"}


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


def _create(service: Any, form: dict[str, str]) -> Any:
    """A citizen's request: counted per client IP and per contact like the web form's."""
    from functions.domain.rate_limits import contact_subjects
    from functions.services import rate_limits

    at, path, client = now(), "/open311/v2/requests", ip(open311)

    def limits() -> None:  # counted only for a new request, never for a replay
        rate_limits.hit("submit_ip", client, at, route=path)
        subjects = contact_subjects(form.get("phone"), form.get("email"))
        rate_limits.hit_all("submit_contact", subjects, at, route=path)

    return service.create(
        form,
        api_keys=settings().open311_api_keys,
        idempotency_key=header(open311, "idempotency-key"),
        now=at,
        limits=limits,
    )


# --- routes ---------------------------------------------------------------------------------


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
    return _answer(fmt, lambda: service.requests(_params(), now()), "service_requests", "request")


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
    return _answer(fmt, lambda: service.request(case_id), "service_requests", "request")


# API Gateway answers a path that only parents other routes itself: these two get ours.
@open311.route(f"{BASE}/services", methods=["GET"], content_types=ACCEPTED)
def services_without_format() -> Response:
    return _other("services")


@open311.route(f"{BASE}/requests", methods=["GET", "POST"], content_types=ACCEPTED)
def requests_without_format() -> Response:
    return _other("requests")


@open311.route(f"{BASE}/{{resource}}", methods=["GET", "POST"], content_types=ACCEPTED)
def other(resource: str) -> Response:
    return _other(resource)


def _other(resource: str) -> Response:
    """``services.csv`` and the like: a format we do not serve; anything else: no such
    resource. Answered in the spec's error format rather than the gateway's."""
    name, fmt = _split(resource)

    def fail() -> Any:
        if name in ("services", "requests"):
            raise _unsupported(fmt)
        raise errors.NotFound(
            f"没有这个资源：{resource[:40]}", f"no such resource: {resource[:40]}", "not_found"
        )

    return _answer(fmt if fmt in FORMATS else "json", fail, "errors", None)
