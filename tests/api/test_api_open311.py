"""Open311 GeoReport v2 at /open311/v2/: services and service definitions (with the required
district attribute), requests listed (public cases only, the spec's filters, its 90-day default
window, extensions only when asked for) and read one by one, a form-encoded POST that files a
case like the web form does, the optional api_key (body or query) that also reads back its own
unpublished requests, the discovery document, and errors in the spec's own format, in JSON and
in XML, for any path under /open311/. No contact data in any answer.

tests/api/test_api_open311_clients.py drives the same endpoint with outside clients over HTTP."""

from __future__ import annotations

import dataclasses
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.api.helpers import CONTENT_PHONE, EMAIL, NAME, PHONE, T0, Answer, Api, iso

BASE = "/open311/v2"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
EXTENSIONS = [
    "response_deadline",
    "rating",
    "reopen_count",
    "co_handlers",
    "state",
    "state_label",
]
POSTED_FIELDS = ["service_request_id", "service_notice", "account_id", "token"]


def _type(answer: Answer) -> str:
    return {k.lower(): v for k, v in answer.headers.items()}["content-type"]


def _clean(answer: Answer) -> Answer:
    """Every Open311 answer: never a server error, never contact data."""
    text = answer.body if isinstance(answer.body, str) else repr(answer.body)
    assert answer.status < 500, (answer.status, text)
    for secret in (NAME, PHONE, EMAIL, CONTENT_PHONE):
        assert secret not in text, (secret, text)
    return answer


def _get(api: Api, path: str) -> Answer:
    return _clean(api.get(BASE + path))


def _json(api: Api, path: str, status: int = 200) -> Any:
    answer = _get(api, path)
    assert answer.status == status, (answer.status, answer.body)
    assert _type(answer) == "application/json; charset=utf-8"
    return answer.body


def _xml(api: Api, path: str, status: int = 200) -> ET.Element:
    answer = _get(api, path)
    assert answer.status == status, (answer.status, answer.body)
    assert _type(answer) == "text/xml; charset=utf-8"
    assert answer.body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(answer.body.split("\n", 1)[1])


def _ids(api: Api, query: str = "") -> list[str]:
    return [r["service_request_id"] for r in _json(api, f"/requests.json{query}")]


def _post(
    api: Api, form: dict[str, str], fmt: str = "json", query: str = "", **headers: str
) -> Answer:
    return _clean(
        api.call(
            "POST",
            f"{BASE}/requests.{fmt}{query}",
            headers={**FORM, **headers},
            raw=urlencode(form),
        )
    )


def _form(**overrides: str) -> dict[str, str]:
    form = {
        "service_code": "complaint.urban",
        "description": f"翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快处理。{CONTENT_PHONE}",
        "last_name": "欧阳",
        "first_name": "明月",
        "phone": PHONE,
        "email": EMAIL,
        "district": "city",
        "public": "true",
        "lat": "30.27",  # spec fields we cannot use are ignored
        "long": "120.15",
    }
    form.update(overrides)
    return form


def _errors(answer: Answer, status: int) -> list[str]:
    """The descriptions of a JSON error answer, checking the spec's shape."""
    assert answer.status == status, (answer.status, answer.body)
    assert isinstance(answer.body, list) and answer.body, answer.body
    for entry in answer.body:
        assert set(entry) == {"code", "description"} and entry["code"] == status
    return [e["description"] for e in answer.body]


def _xml_errors(answer: Answer, status: int) -> list[str]:
    assert answer.status == status, (answer.status, answer.body)
    assert _type(answer) == "text/xml; charset=utf-8"
    root = ET.fromstring(answer.body.split("\n", 1)[1])
    assert root.tag == "errors" and len(root)
    for error in root:
        assert error.tag == "error" and [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
    return [e.findtext("description") or "" for e in root]


@pytest.fixture
def api_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from functions.settings import settings

    monkeypatch.setenv("WZ_OPEN311_API_KEYS", "key-one, key-two")
    settings.cache_clear()
    yield
    monkeypatch.delenv("WZ_OPEN311_API_KEYS")
    settings.cache_clear()


# --- services -------------------------------------------------------------------------------


def test_services_list_each_kind_and_category_in_json_and_xml(api: Api) -> None:
    services = _json(api, "/services.json")
    assert len(services) == 5 * 2  # kinds × the test city's categories
    assert all(list(s) == SERVICE_FIELDS for s in services)
    by_code = {s["service_code"]: s for s in services}
    complaint = by_code["complaint.urban"]
    assert complaint["service_name"] == "投诉 · 城乡建设"
    assert complaint["metadata"] is True and complaint["type"] == "realtime"
    assert complaint["group"] == "投诉" and "城乡建设" in complaint["keywords"].split(",")
    assert complaint["description"]
    assert by_code["help.transport"]["service_name"] == "求助 · 交通出行"

    root = _xml(api, "/services.xml")
    assert root.tag == "services" and len(root) == 10
    for element in root:
        assert element.tag == "service" and [c.tag for c in element] == SERVICE_FIELDS
    first = root[0]
    assert first.findtext("metadata") == "true"
    assert first.findtext("service_code") == services[0]["service_code"]
    assert first.findtext("service_name") == services[0]["service_name"]


DISTRICT_ATTRIBUTE = {
    "variable": True,
    "code": "district",
    "datatype": "singlevaluelist",
    "required": False,  # a place (lat/long, an address naming it) may show the district
    "datatype_description": (
        "区县代码，取 values 中的 key；有坐标（lat/long）或含区县名的地址时可不填 / a key "
        "from values; may be left out when lat/long or the address shows the district"
    ),
    "order": 1,
    "description": "所在区县 District",
    "values": [{"key": "city", "name": "市本级"}, {"key": "east", "name": "东区"}],
}


def test_service_definition_publishes_the_district_and_unknown_codes_are_404(
    api: Api,
) -> None:
    assert _json(api, "/services/complaint.urban.json") == {
        "service_code": "complaint.urban",
        "attributes": [DISTRICT_ATTRIBUTE],
    }
    root = _xml(api, "/services/praise.transport.xml")
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "praise.transport"
    [attribute] = root.findall("attributes/attribute")
    assert [c.tag for c in attribute] == list(DISTRICT_ATTRIBUTE)
    assert attribute.findtext("code") == "district"
    assert attribute.findtext("required") == "false"
    assert attribute.findtext("datatype") == "singlevaluelist"
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")] == [
        ("city", "市本级"),
        ("east", "东区"),
    ]

    for code in ("complaint.nowhere", "gossip.urban", "complaint"):
        assert "service_code" in _errors(_get(api, f"/services/{code}.json"), 404)[0]
    assert _xml_errors(_get(api, "/services/gossip.urban.xml"), 404)
    assert "format" in _errors(_get(api, "/services/complaint.urban.csv"), 400)[0]


# --- requests -------------------------------------------------------------------------------


def _make(api: Api) -> dict[str, str]:
    """Public cases in three states and two hidden ones, a minute apart."""
    made: dict[str, str] = {}

    def tick(n: int) -> None:
        api.set_clock(T0 + timedelta(minutes=n))

    tick(1)
    made["accepted"] = api.submit(kind="help", category="transport", district="east")["case_id"]
    api.accept(made["accepted"])
    tick(2)
    created, _ = api.assigned_case("dept-1", co_handlers=["dept-2"])
    made["assigned"] = created["case_id"]
    tick(3)
    closed, _ = api.replied_case("dept-3")
    made["closed"] = closed["case_id"]
    api.ok(api.rate(closed["case_id"], closed["tracking_code"], "satisfied"))
    tick(4)
    made["waiting"] = api.submit()["case_id"]  # not accepted: not public
    tick(5)
    made["private"] = api.submit(public=False)["case_id"]
    api.accept(made["private"])
    tick(6)
    return made


def test_requests_list_public_cases_with_the_spec_fields(api: Api) -> None:
    made = _make(api)
    assert all(list(r) == REQUEST_FIELDS for r in _json(api, "/requests.json"))
    listed = _json(api, "/requests.json?extensions=true")
    assert [r["service_request_id"] for r in listed] == [
        made["closed"],
        made["assigned"],
        made["accepted"],
    ]
    assert all(list(r) == [*REQUEST_FIELDS, "extended_attributes"] for r in listed)
    assert all(list(r["extended_attributes"]) == EXTENSIONS for r in listed)
    closed, assigned, accepted = listed

    assert assigned["status"] == "open" and assigned["status_notes"] == "已交办"
    assert assigned["service_code"] == "complaint.urban"
    assert assigned["service_name"] == "投诉 · 城乡建设"
    assert assigned["agency_responsible"] == "市住房和城乡建设局"
    assert assigned["address"] == "市本级"
    assert assigned["requested_datetime"] == iso(T0 + timedelta(minutes=2))
    assert assigned["expected_datetime"] and assigned["expected_datetime"].endswith("Z")
    # The notice speaks Chinese: Beijing time, written as the e-mails write it.
    due = datetime.fromisoformat(assigned["expected_datetime"]).astimezone(SHANGHAI)
    assert assigned["service_notice"] == f"承办单位须于 {due:%Y年%m月%d日 %H:%M} 前答复"
    assert "翠湖小区" in assigned["description"]  # the scrubbed text, phone masked
    for absent in ("address_id", "zipcode", "lat", "long", "media_url"):
        assert assigned[absent] is None
    extended = assigned["extended_attributes"]
    assert extended["co_handlers"] == ["市交通运输局"]
    assert extended["response_deadline"] and extended["rating"] is None
    assert extended["reopen_count"] == 0 and extended["state"] == "assigned"

    assert closed["status"] == "closed"
    assert closed["status_notes"].startswith("您好！经现场核查")  # the public reply
    assert closed["service_notice"] == "已解决"
    assert closed["agency_responsible"] == "市城市管理局"
    assert closed["extended_attributes"]["rating"] == {
        "rating": "satisfied",
        "rating_label": "满意",
    }
    assert closed["updated_datetime"] >= closed["requested_datetime"]

    assert accepted["status"] == "open" and accepted["agency_responsible"] is None
    assert accepted["expected_datetime"] is None and accepted["address"] == "东区"
    assert accepted["service_code"] == "help.transport"

    assert [c.tag for c in _xml(api, "/requests.xml")[0]] == REQUEST_FIELDS
    root = _xml(api, "/requests.xml?extensions=true")
    assert root.tag == "service_requests" and len(root) == 3
    for element in root:
        tags = [c.tag for c in element]
        assert element.tag == "request" and tags == [*REQUEST_FIELDS, "extended_attributes"]
        assert [c.tag for c in element.find("extended_attributes") or []] == EXTENSIONS
    xml_assigned = root[1]
    assert xml_assigned.findtext("service_request_id") == made["assigned"]
    assert xml_assigned.findtext("lat") is None or xml_assigned.findtext("lat") == ""
    handlers = xml_assigned.find("extended_attributes/co_handlers")
    assert handlers is not None and [c.tag for c in handlers] == ["co_handler"]
    assert handlers[0].text == "市交通运输局"
    rating = root[0].find("extended_attributes/rating")
    assert rating is not None and rating.findtext("rating_label") == "满意"


def test_requests_filters(api: Api) -> None:
    made = _make(api)
    public = [made["closed"], made["assigned"], made["accepted"]]
    # service_request_id: a comma-separated list that overrides every other argument; hidden
    # and unknown ids are left out.
    query = ",".join([made["accepted"], made["private"], "WZ19990101-NOSUCH", made["closed"]])
    assert _ids(api, f"?service_request_id={query}&status=open") == [
        made["accepted"],
        made["closed"],
    ]
    assert _ids(api, f"?service_request_id={made['waiting']}") == []
    # service_code, one or several
    assert _ids(api, "?service_code=complaint.urban") == [made["closed"], made["assigned"]]
    assert _ids(api, "?service_code=help.transport,praise.urban") == [made["accepted"]]
    assert _ids(api, "?service_code=praise.urban") == []
    # status
    assert _ids(api, "?status=open") == [made["assigned"], made["accepted"]]
    assert _ids(api, "?status=closed") == [made["closed"]]
    assert _ids(api, "?status=open,closed") == public
    assert _ids(api, "?status=closed&service_code=complaint.urban") == [made["closed"]]
    # dates: requested_datetime within [start_date, end_date], both inclusive
    start = quote(iso(T0 + timedelta(minutes=2)))
    end = quote((T0 + timedelta(minutes=3)).isoformat())  # an offset, not Z
    assert _ids(api, f"?start_date={start}&end_date={end}") == [made["closed"], made["assigned"]]
    assert _ids(api, f"?start_date={start}") == [made["closed"], made["assigned"]]
    assert _ids(api, f"?end_date={quote(iso(T0 + timedelta(minutes=1)))}") == [made["accepted"]]
    shanghai = quote("2026-11-02T10:02:30+08:00")  # = T0 + 2.5 minutes
    assert _ids(api, f"?end_date={shanghai}") == [made["assigned"], made["accepted"]]
    assert _xml(api, "/requests.xml?status=closed")[0].findtext("status") == "closed"


def test_requests_default_to_the_last_90_days(api: Api) -> None:
    api.set_clock(T0 - timedelta(days=100))
    old = api.submit()["case_id"]
    api.accept(old)
    api.set_clock(T0 - timedelta(days=80))
    recent = api.submit()["case_id"]
    api.accept(recent)
    api.set_clock(T0)
    assert _ids(api) == [recent]
    since = quote(iso(T0 - timedelta(days=120)))
    assert _ids(api, f"?start_date={since}") == [recent, old]
    # only an end date: the 90 days before it
    assert _ids(api, f"?end_date={quote(iso(T0 - timedelta(days=90)))}") == [old]
    assert _ids(api, f"?service_request_id={old}") == [old]
    assert _ids(api, f"?start_date={quote(iso(T0 + timedelta(days=1)))}") == []  # ahead


def test_requests_are_capped_at_1000(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.services import open311

    made = _make(api)
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)
    assert _ids(api) == [made["closed"], made["assigned"]]
    assert _ids(api, "?status=open") == [made["assigned"], made["accepted"]]


def test_one_request_by_id_public_only(api: Api) -> None:
    made = _make(api)
    one = _json(api, f"/requests/{made['assigned']}.json")
    assert len(one) == 1 and list(one[0]) == REQUEST_FIELDS
    [extended] = _json(api, f"/requests/{made['assigned']}.json?extensions=true")
    assert extended["extended_attributes"]["state"] == "assigned"
    assert one[0]["service_request_id"] == made["assigned"]
    root = _xml(api, f"/requests/{made['closed']}.xml")
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    assert root[0].findtext("status") == "closed"
    for hidden in ("waiting", "private"):
        assert made[hidden] in _errors(_get(api, f"/requests/{made[hidden]}.json"), 404)[0]
        assert _xml_errors(_get(api, f"/requests/{made[hidden]}.xml"), 404)
    assert _errors(_get(api, "/requests/WZ19990101-NOSUCH.json"), 404)
    assert _errors(_get(api, "/requests/" + "W" * 300 + ".json"), 404)
    assert "format" in _errors(_get(api, f"/requests/{made['assigned']}"), 400)[0]
    assert "format" in _errors(_get(api, f"/requests/{made['assigned']}.html"), 400)[0]


# --- errors ---------------------------------------------------------------------------------


def test_bad_arguments_get_spec_errors_naming_each_field(api: Api) -> None:
    answer = _get(api, "/requests.json?start_date=yesterday&status=pending&service_code=x.y")
    described = _errors(answer, 400)
    assert [d.split(":")[0] for d in described] == ["service_code", "status", "start_date"]
    assert _xml_errors(_get(api, "/requests.xml?end_date=2026-11-02T10:00:00"), 400)[0].startswith(
        "end_date"  # no time zone
    )
    after = quote(iso(T0))
    before = quote(iso(T0 - timedelta(days=1)))
    assert _errors(_get(api, f"/requests.json?start_date={after}&end_date={before}"), 400)
    many = ",".join(f"WZ20261102-{n:06d}" for n in range(1001))
    assert (
        "service_request_id"
        in _errors(_get(api, f"/requests.json?service_request_id={many}"), 400)[0]
    )
    # unsupported formats and unknown resources
    assert "format" in _errors(_get(api, "/requests.csv"), 400)[0]
    assert "format" in _errors(_get(api, "/services"), 400)[0]
    assert "format" in _errors(_get(api, "/requests"), 400)[0]
    assert "format" in _errors(_clean(api.call("POST", f"{BASE}/requests", raw="")), 400)[0]
    assert _errors(_get(api, "/nothing.json"), 404)
    assert _xml_errors(_get(api, "/nothing.xml"), 404)


# --- POST a request -------------------------------------------------------------------------


def test_post_form_files_a_case_that_shows_up_once_accepted(api: Api) -> None:
    answer = _post(api, _form(), query="?extensions=true")
    assert answer.status == 201, answer.body
    assert _type(answer) == "application/json; charset=utf-8"
    [posted] = answer.body
    assert list(posted) == [*POSTED_FIELDS, "extended_attributes"]
    assert posted["account_id"] is None and posted["token"] is None
    case_id = posted["service_request_id"]
    code = posted["extended_attributes"]["tracking_code"]
    assert code in posted["service_notice"]
    assert (
        "总平台受理并同意公开后，可通过本接口查看（此前查询返回 404）" in posted["service_notice"]
    )

    # The citizen's own view through the tracking code: what was filed, as filed.
    mine = api.track(case_id, code)
    assert mine["contact"] == {"name": NAME, "phone": f"+86{PHONE}", "email": EMAIL}
    assert mine["kind"] == "complaint" and mine["category"] == "urban"
    assert mine["district"] == "city" and mine["public"] is True
    assert mine["title"] == _form()["description"][:30]  # no title: the description's start
    assert api.staff_case(case_id)["channel"] == "open311"

    # Not public until a coordinator accepts it as public.
    assert _errors(_get(api, f"/requests/{case_id}.json"), 404)
    assert _ids(api) == []
    api.accept(case_id)
    [shown] = _json(api, f"/requests/{case_id}.json")
    assert shown["service_code"] == "complaint.urban" and shown["status"] == "open"
    assert _ids(api) == [case_id]


def test_post_answer_carries_extensions_only_when_asked(api: Api) -> None:
    [plain] = _post(api, _form()).body
    assert list(plain) == POSTED_FIELDS  # the tracking code is in the notice all the same
    code = re.search(r"查询码 ([A-Z0-9]{8})", plain["service_notice"])
    assert code and api.track(plain["service_request_id"], code[1])["state"] == "submitted"
    [asked] = _post(api, _form(extensions="true")).body  # in the form works too
    assert set(asked["extended_attributes"]) == {"tracking_code"}


def test_post_maps_titles_districts_and_consent(api: Api) -> None:
    answer = _post(
        api,
        _form(
            title="电梯停运",
            district="东区",
            public="0",
            first_name="Ming",
            last_name="Li",
            extensions="true",
        ),
        "xml",
    )
    assert answer.status == 201, answer.body
    assert _type(answer) == "text/xml; charset=utf-8"
    root = ET.fromstring(answer.body.split("\n", 1)[1])
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    request = root[0]
    assert [c.tag for c in request][:4] == POSTED_FIELDS
    assert "本诉求不公开" in (request.findtext("service_notice") or "")
    case_id = request.findtext("service_request_id") or ""
    code = request.findtext("extended_attributes/tracking_code") or ""
    mine = api.track(case_id, code)
    assert mine["title"] == "电梯停运" and mine["district"] == "east"
    assert mine["public"] is False and mine["contact"]["name"] == "Ming Li"
    api.accept(case_id)
    assert _ids(api) == []  # no consent: never public


def test_post_takes_the_district_as_the_spec_attribute(api: Api) -> None:
    """FixMyStreet posts each attribute of the service definition as attribute[code]."""
    form = _form(extensions="true", **{"attribute[district]": "east"})
    del form["district"]
    [posted] = _post(api, form).body
    mine = api.track(posted["service_request_id"], posted["extended_attributes"]["tracking_code"])
    assert mine["district"] == "east"
    # Given both ways, the attribute wins.
    [both] = _post(api, _form(extensions="true", **{"attribute[district]": "city"})).body
    code = both["extended_attributes"]["tracking_code"]
    assert api.track(both["service_request_id"], code)["district"] == "city"


def test_post_validation_names_each_form_field(api: Api) -> None:
    bad = _post(
        api,
        {
            "service_code": "complaint.urban",
            "description": "太短",
            "phone": "12345",
            "email": "not-an-email",
            "district": "atlantis",
            "public": "maybe",
        },
    )
    fields = {d.split(":")[0] for d in _errors(bad, 400)}
    assert fields == {"description", "phone", "email", "district", "public"}
    unknown = _post(api, {"attribute[district]": "atlantis", **_form(district="")})
    [described] = _errors(unknown, 400)
    assert described.startswith("attribute[district]: unknown district")
    missing = _post(
        api,
        {"service_code": "help.transport", "description": "一段足够长的描述文字，说明问题所在。"},
        "xml",
    )
    described = _xml_errors(missing, 400)
    # Without a place or a district a service that needs no place goes to 市本级: only the
    # contact is missing (tests/api/test_api_open311_clients.py has the place rules).
    assert {d.split(":")[0] for d in described} == {"phone"}
    assert _ids(api, "?start_date=2000-01-01T00:00:00Z") == []
    # The body must be a form.
    as_json = api.call("POST", f"{BASE}/requests.json", {"service_code": "complaint.urban"})
    assert "x-www-form-urlencoded" in _errors(_clean(as_json), 415)[0]
    not_utf8 = api.call("POST", f"{BASE}/requests.json", headers=FORM, raw=b"description=\xff")
    assert _errors(_clean(not_utf8), 400)


def test_post_with_an_unknown_or_no_service_code(api: Api) -> None:
    """The spec's 404 "service_code not found", whatever else the form holds; none: 400."""
    unknown = _post(api, _form(service_code="gossip.urban", description="短"))
    assert [d.split(":")[0] for d in _errors(unknown, 404)] == ["service_code"]
    assert _xml_errors(_post(api, _form(service_code="complaint.nowhere"), "xml"), 404)
    assert "service_code" in _errors(_post(api, _form(service_code="")), 400)[0]


def test_api_key_is_required_when_configured(
    api: Api, api_keys: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="wenzheng.security"):
        assert "api_key" in _errors(_post(api, _form()), 403)[0]
        assert _xml_errors(_post(api, _form(api_key="wrong-key-1"), "xml"), 403)
        assert _errors(_post(api, _form(), query="?api_key=wrong-key-2"), 403)
    records = [r for r in caplog.records if r.name == "wenzheng.security"]
    assert [r.getMessage() for r in records] == ["open311_api_key_rejected"] * 3
    assert [r.where for r in records] == ["none", "body", "query"]  # type: ignore[attr-defined]
    assert not [r for r in records if "wrong-key" in str(r.__dict__)]
    assert _post(api, _form(api_key="key-two")).status == 201
    assert _json(api, "/services.json")  # reading needs no key


def test_api_key_is_taken_from_the_body_or_the_query_string(api: Api, api_keys: None) -> None:
    assert _post(api, _form(), query="?api_key=key-one").status == 201
    # The body's key is the one presented when both are.
    assert _post(api, _form(api_key="key-one"), query="?api_key=wrong").status == 201
    assert _post(api, _form(api_key="wrong"), query="?api_key=key-one").status == 403


def test_api_key_is_optional_when_not_configured(api: Api) -> None:
    assert _post(api, _form()).status == 201
    assert _post(api, _form(api_key="anything")).status == 201


def _filed_with(api: Api, key: str, **overrides: str) -> str:
    answer = _post(api, _form(**overrides), query=f"?api_key={key}")
    assert answer.status == 201, answer.body
    case_id: str = answer.body[0]["service_request_id"]
    assert "凭提交时所用的 api_key 可随时查询办理状态" in answer.body[0]["service_notice"]
    return case_id


def test_the_client_that_filed_a_request_reads_its_status_before_publication(
    api: Api, api_keys: None
) -> None:
    case_id = _filed_with(api, "key-one")
    path = f"/requests/{case_id}.json"
    assert _errors(_get(api, path), 404)  # anyone
    assert _errors(_get(api, f"{path}?api_key=key-two"), 404)  # another client
    [own] = _json(api, f"{path}?api_key=key-one&extensions=true")
    assert list(own) == [*REQUEST_FIELDS, "extended_attributes"]
    assert own["service_request_id"] == case_id and own["status"] == "open"
    assert own["status_notes"] == "待受理" and own["service_code"] == "complaint.urban"
    assert own["description"] is None and own["address"] is None  # status only
    assert own["extended_attributes"]["state"] == "submitted"
    root = _xml(api, f"/requests/{case_id}.xml?api_key=key-one")
    assert root[0].findtext("status") == "open" and not root[0].findtext("description")
    listed = f"/requests.json?service_request_id={case_id}&api_key="
    assert _ids(api, "?" + listed.split("?", 1)[1] + "key-one") == [case_id]
    assert _ids(api, "?" + listed.split("?", 1)[1] + "key-two") == []

    # Published: everyone reads it in full.
    api.accept(case_id)
    [public] = _json(api, path)
    assert public["description"] and public["address"] == "市本级"


def test_a_request_kept_private_stays_status_only_for_its_client(api: Api, api_keys: None) -> None:
    case_id = _filed_with(api, "key-two", public="false")
    api.accept(case_id)
    assert _errors(_get(api, f"/requests/{case_id}.json"), 404)
    [own] = _json(api, f"/requests/{case_id}.json?api_key=key-two")
    assert own["status"] == "open" and own["status_notes"] == "已受理"
    assert own["description"] is None
    assert _errors(_get(api, f"/requests/{case_id}.json?api_key=nonsense"), 404)


def test_without_configured_keys_no_client_reads_an_unpublished_request(api: Api) -> None:
    [posted] = _post(api, _form(api_key="self-chosen")).body
    case_id = posted["service_request_id"]
    assert _errors(_get(api, f"/requests/{case_id}.json?api_key=self-chosen"), 404)


# --- discovery and other paths --------------------------------------------------------------


def test_discovery_document_in_json_and_xml(api: Api) -> None:
    answer = _clean(api.get("/open311/discovery.json"))
    assert answer.status == 200 and _type(answer) == "application/json; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    found = answer.body
    assert list(found) == ["changeset", "contact", "key_service", "endpoints"]
    assert found["changeset"].endswith("Z") and "测试市网络问政平台" in found["contact"]
    assert "无需 api_key" in found["key_service"]
    assert found["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://wenzheng.test/open311/v2",
            "changeset": found["changeset"],
            "type": "test",  # the local stage
            "formats": ["text/xml", "application/json"],
        }
    ]
    xml = _clean(api.get("/open311/discovery.xml"))
    assert _type(xml) == "text/xml; charset=utf-8"
    root = ET.fromstring(xml.body.split("\n", 1)[1])
    assert root.tag == "discovery" and root.findtext("changeset") == found["changeset"]
    [endpoint] = root.findall("endpoints/endpoint")
    assert endpoint.findtext("url") == "http://wenzheng.test/open311/v2"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_discovery_on_production_names_the_contact_and_the_keys(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.api import open311 as routes
    from functions.settings import settings

    production = dataclasses.replace(
        settings(),
        stage="prod",
        open311_contact="开放接口 open311@city.example 12345",
        open311_api_keys=("key-one",),
    )
    monkeypatch.setattr(routes, "settings", lambda: production)
    found = _clean(api.get("/open311/discovery.json")).body
    assert found["contact"] == "开放接口 open311@city.example 12345"
    assert found["endpoints"][0]["type"] == "production"
    assert "api_key" in found["key_service"] and "open311@city.example" in found["key_service"]
    assert "status only" in found["key_service"]


@pytest.mark.parametrize(
    ("method", "path", "fmt"),
    [
        ("GET", "/open311/v2/tokens/123.xml", "xml"),  # a spec resource we do not offer
        ("GET", "/open311/v2/servicerequestupdates.xml", "xml"),  # FixMyStreet's extension
        ("GET", "/open311/v2/service/complaint.urban.json", "json"),  # open311 1.1's typo
        ("GET", "/open311/v2/services/complaint.urban/attributes.json", "json"),
        ("GET", "/open311/v2/requests/a/b/c", "json"),
        ("GET", "/open311/v3/services.json", "json"),
        ("GET", "/open311/v2", "json"),
        ("GET", "/open311/v2/", "json"),
        ("GET", "/open311/nothing", "json"),
        ("GET", "/open311/discovery.csv", "json"),
        ("POST", "/open311/v2/tokens/123.xml", "xml"),
        ("POST", "/open311/requests.json", "json"),
    ],
)
def test_every_other_path_under_open311_is_a_spec_404(
    api: Api, method: str, path: str, fmt: str
) -> None:
    answer = _clean(api.call(method, path, headers=FORM, raw=""))
    if fmt == "xml":
        [described] = _xml_errors(answer, 404)
    else:
        [described] = _errors(answer, 404)
    assert "no such resource" in described and "没有这个资源" in described
    assert "/open311/discovery.json" in described


@pytest.mark.parametrize(
    "path",
    [
        "/requests.json?start_date=2026-13-45T00:00:00Z",
        "/requests.json?start_date=2026-11-02",
        "/requests.json?end_date=0001-01-01T00:00:00%2B01:00",
        "/requests.json?start_date=9999-12-31T23:59:59-01:00",
        "/requests.json?service_request_id=,,,",
        "/requests.json?service_code=.",
        "/requests.json?service_code=complaint.",
        "/requests.xml?status=",
        "/requests/%00.json",
        "/requests/.json",
        "/services/..json",
        "/services/.xml",
        "/requests.json?service_request_id=" + "X" * 5000,
    ],
)
def test_odd_arguments_are_client_errors_or_empty_answers(api: Api, path: str) -> None:
    answer = _get(api, path)
    assert answer.status in (200, 400, 404), (answer.status, answer.body)
    assert isinstance(answer.body, (list, str)), answer.body


def test_xml_drops_characters_xml_cannot_carry(api: Api) -> None:
    created = api.submit(content="路灯不亮\x01已经两周了，夜里行人看不清路。")
    api.accept(created["case_id"])
    root = _xml(api, "/requests.xml")
    assert root[0].findtext("description") == "路灯不亮已经两周了，夜里行人看不清路。"
