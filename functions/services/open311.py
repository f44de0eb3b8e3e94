"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the public board.

Services are the (kind × category) pairs of the taxonomy, coded ``<kind>.<category>``
(``complaint.urban``). Each has one required attribute, ``district`` (a single-value list of
the taxonomy's districts), so a stock client learns it from the service definition and posts
it as ``attribute[district]``; it may be left out when the request has a place (``lat`` +
``long`` inside a district's boundary, or an ``address_string`` naming a district), which
the district is then worked out from (§13, as for the web form). A request without any
place is accepted for services that need none (filed under 市本级 when no district is
given) and refused naming ``address_string`` for the categories the admin marks as needing
one. Requests are PUBLIC cases only (the ones the board shows), never any contact data; text
is the scrubbed public text. Submitting goes through ``citizen.submit``, so validation and
limits are those of the web form. ``media_url`` is kept as a link staff see (never fetched).
Spec form fields we cannot use (``address_id``, ``device_id``, ``account_id``,
``jurisdiction_id``, other ``attribute[…]``) are ignored, not refused, so stock clients can
post.

Field mapping (GET requests):

- ``service_request_id`` is the case id; ``status`` is ``closed`` for 已办结 / 已归档 /
  不予受理 and ``open`` otherwise; ``status_notes`` is the latest public reply, else the
  state label; ``agency_responsible`` is the lead department; ``expected_datetime`` is the
  reply deadline (答复时限); ``service_notice`` says what is promised (the reply outcome, the
  planned date of a 列入计划 reply, or the deadline in Beijing time, as the e-mails write it).
- Location: ``address`` is the case's address as the public sees it (cut at the building),
  else the district label; ``lat`` and ``long`` the point rounded to ~10 m (null without
  one); ``media_url`` the first photo the public sees (absolute); ``address_id`` and
  ``zipcode`` are empty (null).

Extensions, in an ``extended_attributes`` object sent only when the client asks with
``extensions=true`` (as the Chicago endpoint does; the spec leaves extensions to implementers):
``response_deadline`` (签收时限), ``rating`` ({rating, rating_label} or null), ``reopen_count``,
``co_handlers`` (协办单位 names), ``state`` and ``state_label`` (our finer lifecycle). The POST
answer carries the citizen's ``tracking_code`` (查询码) there too (its ``service_notice`` always
names it).

Reading back one's own request: when api keys are configured, a case filed through Open311
keeps a fingerprint of the key that filed it, and a client presenting that same ``api_key``
reads the request before it is published, status only (no description, no address, no reply
text). Anyone else gets 404 until a coordinator publishes the case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.domain import geo
from functions.domain.cases import Case, public_content, public_text
from functions.domain.errors import FieldError, Forbidden, InvalidRequest, NotFound, invalid_fields
from functions.domain.lifecycle import STATE_LABELS, TERMINAL, State
from functions.domain.taxonomy import (
    KIND_HINTS,
    KIND_LABELS,
    OUTCOME_LABELS,
    RATING_LABELS,
    Channel,
    Kind,
)
from functions.services import citizen
from functions.storage import cases_repo, directory
from functions.storage.codec import iso
from functions.storage.directory import Taxonomy
from functions.validation import check

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (the discovery document's ``changeset``).
CHANGESET = "2026-12-04T00:00:00Z"
MAX_RESULTS = 1000  # the spec's cap on one GET requests answer
DEFAULT_WINDOW = timedelta(days=90)  # the spec's default when no dates are given
CLOSED_STATES = TERMINAL
TITLE_FROM_DESCRIPTION = 30  # characters of the description that make a missing title
_CJK = re.compile(r"[\u3400-\u9fff]")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}

# case-submission field → the form field a client sent it as
_FORM_NAMES = {
    "kind": "service_code",
    "category": "service_code",
    "content": "description",
    "title": "title",
    "public": "public",
    "contact": "phone",
    "contact.phone": "phone",
    "contact.email": "email",
    "contact.name": "first_name",
    "district": "attribute[district]",
    "location": "address_string",
    "location.address": "address_string",
    "location.lat": "lat",
    "location.lng": "long",
    "media_url": "media_url",
}
MEDIA_URL_MAX = 500


# --- discovery ------------------------------------------------------------------------------


def discovery(
    *, base_url: str, production: bool, contact: str, keys_required: bool
) -> dict[str, Any]:
    """The Service Discovery document (https://wiki.open311.org/Service_Discovery): one
    GeoReport v2 endpoint, ``production`` on the prod stage and ``test`` elsewhere."""
    if keys_required:
        key_service = (
            f"提交诉求须使用平台发放的 api_key，请联系 {contact} 申请；凭提交时的 api_key 可在诉求"
            "公开前查询其办理状态。 POST needs an api_key issued by the platform: ask "
            f"{contact}. The same api_key reads back the requests it filed before they are "
            "published (status only)."
        )
    else:
        key_service = (
            "提交诉求无需 api_key；诉求经总平台受理并同意公开后方可查询。 No api_key is "
            "needed to post; a request can be read once a coordinator has published it."
        )
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# --- services -------------------------------------------------------------------------------


def _service_name(kind: Kind, category_label: str) -> str:
    return f"{KIND_LABELS[kind]} · {category_label}"


def services() -> list[dict[str, Any]]:
    """One service per (kind × category) of the taxonomy; each has attributes (``district``)."""
    tax = directory.taxonomy()
    return [
        {
            "service_code": f"{kind.value}.{code}",
            "service_name": _service_name(kind, label),
            "description": f"{label}方面的{KIND_LABELS[kind]}：{KIND_HINTS[kind]}",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join((KIND_LABELS[kind], label, kind.value, code)),
            "group": KIND_LABELS[kind],
        }
        for kind in Kind
        for code, label in tax.categories
    ]


def _unknown_service(code: str) -> FieldError:
    return FieldError("service_code", f"没有这个服务代码：{code[:60]}", "unknown service_code")


def _service(code: str, tax: Taxonomy) -> tuple[Kind, str]:
    kind, _, category = code.partition(".")
    if kind not in {k.value for k in Kind} or category not in dict(tax.categories):
        raise NotFound(
            f"没有这个服务代码：{code[:60]}",
            f"unknown service_code: {code[:60]}",
            "service_not_found",
        )
    return Kind(kind), category


def district_attribute(tax: Taxonomy) -> dict[str, Any]:
    """The one attribute every service has: where the matter is, as the spec's single-value
    list (posted as ``attribute[district]=<key>``); optional, since a place may show it."""
    return {
        "variable": True,
        "code": "district",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": (
            "区县代码，取 values 中的 key；有坐标（lat/long）或含区县名的地址时可不填 / a key "
            "from values; may be left out when lat/long or the address shows the district"
        ),
        "order": 1,
        "description": "所在区县 District",
        "values": [{"key": code, "name": label} for code, label in tax.districts],
    }


def service_definition(code: str) -> dict[str, Any]:
    """The definition of one service: its attributes (``district``)."""
    tax = directory.taxonomy()
    _service(code, tax)
    return {"service_code": code, "attributes": [district_attribute(tax)]}


# --- requests -------------------------------------------------------------------------------


def _status(case: Case) -> str:
    return "closed" if case.state in CLOSED_STATES else "open"


def _notice(case: Case) -> str:
    last = case.last_reply
    if last is not None:
        notice = OUTCOME_LABELS[last.outcome]
        if last.planned_date:
            notice += f"，计划于 {last.planned_date.isoformat()} 前完成"
        return notice
    deadline = case.assignment.reply_due_at if case.assignment else None
    if deadline is not None and case.state not in CLOSED_STATES:
        from functions.notify.templates import local  # only a notice with a deadline

        return f"承办单位须于 {local(deadline)} 前答复"
    return ""


def _address(case: Case, tax: Taxonomy) -> str:
    """The address as the public reads it (scrubbed, cut at the building), else the district."""
    given = case.location.address if case.location else None
    return public_text(case, given) if given else tax.district_label(case.district)


def _media_url(case: Case) -> str | None:
    """The first photo the public sees of the citizen's, as an absolute URL (clients link it
    from elsewhere); None without one."""
    from functions.services.presenters import public_photos
    from functions.settings import settings

    shown = public_photos(case)
    return settings().public_base_url + shown[0]["url"] if shown else None


def request_view(
    case: Case, tax: Taxonomy, *, extensions: bool = False, own: bool = False
) -> dict[str, Any]:
    """One case as a GeoReport v2 service request: a public case in full, or (``own``) an
    unpublished one for the client that filed it, status only: no text, no address."""
    a = case.assignment
    last = case.last_reply
    last_rated = next((r for r in reversed(case.replies) if r.rating), None)
    point = geo.public_point(case.location.lat, case.location.lng) if case.location else None
    view: dict[str, Any] = {
        "service_request_id": case.case_id,
        "status": _status(case),
        "status_notes": public_text(case, last.text)
        if last and not own
        else STATE_LABELS[case.state],
        "service_name": _service_name(case.kind, tax.category_label(case.category)),
        "service_code": f"{case.kind.value}.{case.category}",
        "description": None if own else public_content(case),
        "agency_responsible": a.lead.name if a else None,
        "service_notice": _notice(case),
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(case.updated_at or case.created_at),
        "expected_datetime": iso(a.reply_due_at) if a else None,
        "address": None if own else _address(case, tax),
        "address_id": None,
        "zipcode": None,
        "lat": point[0] if point and not own else None,
        "long": point[1] if point and not own else None,
        "media_url": None if own else _media_url(case),
    }
    if extensions:
        view["extended_attributes"] = {
            "response_deadline": iso(a.response_due_at) if a and a.response_due_at else None,
            "rating": {
                "rating": last_rated.rating.value,
                "rating_label": RATING_LABELS[last_rated.rating],
            }
            if last_rated and last_rated.rating and not own
            else None,
            "reopen_count": case.reopen_count,
            "co_handlers": [c.department.name for c in a.co_handlers] if a else [],
            "state": case.state.value,
            "state_label": STATE_LABELS[case.state],
        }
    return view


def _readable(case: Case, client: str | None) -> str | None:
    """How ``client`` may see ``case``: "public", "own" (status only) or not at all."""
    if case.is_public:
        return "public"
    filed_by = case.open311_client
    if client is not None and filed_by is not None and hmac.compare_digest(client, filed_by):
        return "own"
    return None


def flag(value: str | None) -> bool:
    """A spec boolean argument (``extensions=true``)."""
    return (value or "").strip().lower() in _TRUE


def parse_datetime(name: str, text: str) -> datetime:
    """A W3C date-time with a time zone (``2026-11-02T10:00:00+08:00`` or ``…Z``)."""
    # An unencoded "+" in a query string arrives as a space.
    cleaned = text.strip().replace(" ", "+")
    try:
        parsed = datetime.fromisoformat(cleaned) if "T" in cleaned else None
    except ValueError:
        parsed = None
    # Far years would overflow the arithmetic on the window; no case is older than 1900.
    if parsed is None or parsed.tzinfo is None or not 1900 <= parsed.year <= 2999:
        raise invalid_fields(
            [
                FieldError(
                    name,
                    "须为带时区的 W3C 日期时间，如 2026-11-02T10:00:00+08:00",
                    "must be a W3C date-time with a time zone, e.g. 2026-11-02T10:00:00Z",
                )
            ]
        )
    return parsed.astimezone(UTC)


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def requests(
    params: Mapping[str, str], now: datetime, *, client: str | None = None
) -> list[dict[str, Any]]:
    """GET requests: by ``service_request_id`` (a comma-separated list that overrides every
    other argument; a client's own unpublished requests are among them, status only), else by
    ``service_code`` (comma-separated), ``status`` (open|closed, comma-separated) and
    ``start_date``/``end_date`` (requested_datetime, both inclusive; the last 90 days when
    neither is given, 90 days before ``end_date`` when only it is, up to now when only
    ``start_date`` is). Newest first, at most 1,000. ``extensions=true`` adds
    ``extended_attributes``."""
    tax = directory.taxonomy()
    extensions = flag(params.get("extensions"))
    ids = _list(params.get("service_request_id"))
    if ids:
        if len(ids) > MAX_RESULTS:
            raise invalid_fields(
                [
                    FieldError(
                        "service_request_id",
                        f"一次最多查询 {MAX_RESULTS} 个编号",
                        f"at most {MAX_RESULTS} ids",
                    )
                ]
            )
        found = cases_repo.get_many([i for i in ids if len(i) <= 40])
        views = []
        for case_id in dict.fromkeys(ids):
            case = found.get(case_id)
            how = _readable(case, client) if case else None
            if case and how:
                views.append(request_view(case, tax, extensions=extensions, own=how == "own"))
        return views

    bad: list[FieldError] = []
    wanted: list[tuple[str, str]] = []
    for code in _list(params.get("service_code")):
        try:
            kind, category = _service(code, tax)
        except NotFound:
            bad.append(_unknown_service(code))
            continue
        wanted.append((kind.value, category))
    statuses = _list(params.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        bad.append(FieldError("status", "状态只能是 open 或 closed", "must be open or closed"))
    dates: dict[str, datetime] = {}
    for name in ("start_date", "end_date"):
        if params.get(name):
            try:
                dates[name] = parse_datetime(name, params[name])
            except InvalidRequest as error:
                bad.extend(error.fields)
    if "start_date" in dates and "end_date" in dates and dates["start_date"] > dates["end_date"]:
        bad.append(FieldError("end_date", "结束时间早于开始时间", "end_date is before start_date"))
    if bad:
        raise invalid_fields(bad)

    end = dates.get("end_date", now)
    start = dates.get("start_date", end - DEFAULT_WINDOW)
    if start > end:  # only a start_date, and it lies ahead
        return []
    states = [
        s.value
        for s in State
        if not statuses or ("closed" if s in CLOSED_STATES else "open") in statuses
    ]
    found_cases = cases_repo.public_requested_between(
        start,
        end,
        services=wanted,
        states=states if len(states) < len(State) else (),
        limit=MAX_RESULTS,
    )
    return [request_view(c, tax, extensions=extensions) for c in found_cases]


def request(
    case_id: str, *, extensions: bool = False, client: str | None = None
) -> list[dict[str, Any]]:
    """GET a request: a one-item list as the spec has it; 404 unless the case is public or
    (status only) filed by ``client``."""
    case = cases_repo.get(case_id) if 0 < len(case_id) <= 40 else None
    how = _readable(case, client) if case else None
    if case is None or how is None:
        raise NotFound(
            f"没有这个公开诉求：{case_id[:40]}",
            f"no public service request {case_id[:40]}",
            "case_not_found",
        )
    tax = directory.taxonomy()
    return [request_view(case, tax, extensions=extensions, own=how == "own")]


# --- POST a request -------------------------------------------------------------------------


def _form_field(path: str) -> str:
    return _FORM_NAMES.get(path, path)


def _name(first: str, last: str) -> str:
    """张 + 三 → 张三 (Chinese: family name first, no space); John + Doe → John Doe."""
    first, last = first.strip(), last.strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _district(value: str, tax: Taxonomy) -> str:
    """A district code, or its label (市本级 → city) as a person would type it."""
    by_label = {label: code for code, label in tax.districts}
    return by_label.get(value, value)


# The district as the spec's attribute (FixMyStreet posts ``attribute[district]=east``), or as
# the plain field this endpoint took before it published the attribute.
DISTRICT_FIELDS = ("attribute[district]", "district")


def _district_field(form: Mapping[str, str]) -> tuple[str, str]:
    """(the form field the district came in, its value); the attribute when neither did."""
    for name in DISTRICT_FIELDS:
        value = form.get(name, "").strip()
        if value:
            return name, value
    return DISTRICT_FIELDS[0], ""


def fingerprint(api_key: str) -> str:
    """What a case keeps of the api_key that filed it: enough to recognise the key again."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def client_of(api_key: str, keys: tuple[str, ...]) -> str | None:
    """The fingerprint of ``api_key`` when it is one of the configured ``keys``, else None
    (no keys configured: POST is open and no client is told apart)."""
    if api_key and any(hmac.compare_digest(api_key.encode(), k.encode()) for k in keys):
        return fingerprint(api_key)
    return None


def _check_api_key(api_key: str, keys: tuple[str, ...]) -> str | None:
    client = client_of(api_key, keys)
    if keys and client is None:
        raise Forbidden(
            "api_key 无效，不能提交诉求",
            "invalid api_key received -- can't proceed with create_request",
            "invalid_api_key",
        )
    return client


def _coordinate(form: Mapping[str, str], name: str, bad: list[FieldError]) -> float | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        label = "纬度" if name == "lat" else "经度"
        bad.append(FieldError(name, f"{label}须为数字（WGS-84）", f"{name} must be a number"))
        return None
    return value


def _location(form: Mapping[str, str], bad: list[FieldError]) -> dict[str, Any] | None:
    """The spec's location fields as a case's ``location``: ``lat`` + ``long`` (WGS-84) and
    ``address_string`` (cut to the 100 characters a case keeps: clients write long ones)."""
    lat, lng = _coordinate(form, "lat", bad), _coordinate(form, "long", bad)
    address = form.get("address_string", "").strip()[:100].strip()
    location: dict[str, Any] = {}
    if address:
        location["address"] = address
    if lat is not None and lng is not None:
        location.update(lat=lat, lng=lng)
    elif (lat is None) != (lng is None) and not any(f.field in ("lat", "long") for f in bad):
        missing = "long" if lng is None else "lat"
        bad.append(FieldError(missing, "纬度和经度需同时填写", "lat and long go together (WGS-84)"))
    return location or None


def media_link(form: Mapping[str, str]) -> str | None:
    """``media_url``: a link staff may open, never fetched by the server; 400 unless http(s)."""
    url = form.get("media_url", "").strip()
    if not url:
        return None
    if len(url) > MEDIA_URL_MAX or not re.match(r"^https?://[^\s/]+\S*$", url):
        raise invalid_fields(
            [
                FieldError(
                    "media_url",
                    f"media_url 须为 http(s) 链接（不超过 {MEDIA_URL_MAX} 个字符）",
                    f"media_url must be an http(s) URL of at most {MEDIA_URL_MAX} characters",
                )
            ]
        )
    return url


def submission(form: Mapping[str, str], tax: Taxonomy) -> dict[str, Any]:
    """The form fields as a ``case-submission`` body, validated like the web form's."""
    bad: list[FieldError] = []
    code = form.get("service_code", "").strip()
    kind, category = "", ""
    if not code:
        bad.append(FieldError("service_code", "请填写服务代码", "service_code is required"))
    else:
        try:
            found_kind, category = _service(code, tax)
            kind = found_kind.value
        except NotFound as error:
            # The spec's 404 "service_code not found"; the other fields mean nothing without
            # a service, so they are not judged.
            error.fields = [_unknown_service(code)]
            raise
    district_field, district = _district_field(form)
    location = _location(form, bad)
    consent = form.get("public", "").strip().lower()
    if consent not in _TRUE | _FALSE:
        bad.append(FieldError("public", "是否公开须为 true 或 false", "must be true or false"))
    description = form.get("description", "").strip()
    given_title = form.get("title", "").strip()
    title = given_title or description[:TITLE_FROM_DESCRIPTION].strip()
    contact: dict[str, str] = {}
    name = _name(form.get("first_name", ""), form.get("last_name", ""))
    for key, value in (
        ("name", name),
        ("phone", form.get("phone", "").strip()),
        ("email", form.get("email", "").strip()),
    ):
        if value:
            contact[key] = value
    body: dict[str, Any] = {
        "kind": kind or "complaint",
        "category": category or "-",
        "district": _district(district, tax),
        "title": title,
        "content": description,
        "contact": contact,
        "public": consent in _TRUE,
    }
    if location:
        body["location"] = location
    if not body["district"]:
        del body["district"]
        if not location and category and category not in tax.place_categories:
            # No place and none needed (a question about a city-wide rule): 市本级.
            body["district"] = "city" if "city" in dict(tax.districts) else ""
            if not body["district"]:
                del body["district"]
    try:
        checked = check("case-submission", body)
    except InvalidRequest as error:
        bad.extend(
            FieldError(
                district_field if f.field == "district" else _form_field(f.field),
                f.message,
                f.message_en,
            )
            for f in error.fields
            # service_code is reported above; a title made from a valid description is
            # valid, so its errors repeat the description's.
            if _form_field(f.field) != "service_code" and (given_title or f.field != "title")
        )
        checked = body
    if "district" in body and body["district"] not in dict(tax.districts):
        bad.append(
            FieldError(
                district_field,
                "请选择有效的区县（取值见服务定义中 district 属性的 values）",
                "unknown district: use a key of the district attribute's values",
            )
        )
    if bad:
        raise invalid_fields(bad)
    return checked


def _readable_when(public: bool, client: str | None) -> str:
    """The POST answer's word on when the new request can be read through this endpoint."""
    if client is not None:
        own = "凭提交时所用的 api_key 可随时查询办理状态（不含诉求内容）"
        if public:
            return f"{own}；总平台受理并同意公开后，任何人可查看。"
        return f"{own}；本诉求不公开。"
    if public:
        return "总平台受理并同意公开后，可通过本接口查看（此前查询返回 404）。"
    return "本诉求不公开，本接口查询不到，请凭诉求编号和查询码在网站查询。"


def create(
    form: Mapping[str, str],
    *,
    api_key: str,
    api_keys: tuple[str, ...],
    idempotency_key: str | None,
    now: datetime,
    extensions: bool = False,
    limits: Callable[[], None],
) -> list[dict[str, Any]]:
    """POST a request: a new case through ``citizen.submit`` (channel 开放接口). ``api_key``
    is the one the client presented (in the body or the query string); ``limits`` counts
    the request against the rate limits unless it replays an earlier answer."""
    client = _check_api_key(api_key, api_keys)
    body = submission(form, directory.taxonomy())
    link = media_link(form)
    try:
        created = citizen.submit(
            body,
            idempotency_key=idempotency_key,
            now=now,
            channel=Channel.OPEN311,
            open311_client=client,
            limits=limits,
            media_link=link,
        )
    except InvalidRequest as error:  # the place's rules: named as the client sent them
        error.fields = [
            FieldError(_form_field(f.field), f.message, f.message_en) for f in error.fields
        ]
        raise
    code = created["tracking_code"]
    answer: dict[str, Any] = {
        "service_request_id": created["case_id"],
        "service_notice": (
            f"诉求已提交，总平台一般在 1 个工作日内受理。请保存查询码 {code}，"
            "凭诉求编号和查询码查询办理进度、阅读答复并评价。"
            + _readable_when(body["public"], client)
        ),
        "account_id": None,
        "token": None,
    }
    if extensions:
        answer["extended_attributes"] = {"tracking_code": code}
    return [answer]
