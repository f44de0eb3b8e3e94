"""Open311 GeoReport v2 at /open311/v2/: services and service definitions, requests listed
(public cases only, the spec's filters, its 90-day default window) and read one by one, a
form-encoded POST that files a case like the web form does, the optional api_key, and errors
in the spec's own format, in JSON and in XML. No contact data in any answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.api.helpers import CONTENT_PHONE, EMAIL, NAME, PHONE, T0, Answer, Api, iso

BASE = "/open311/v2"
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
    "extended_attributes",
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
    assert _type(answer) == "application/xml; charset=utf-8"
    assert answer.body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(answer.body.split("\n", 1)[1])


def _ids(api: Api, query: str = "") -> list[str]:
    return [r["service_request_id"] for r in _json(api, f"/requests.json{query}")]


def _post(api: Api, form: dict[str, str], fmt: str = "json", **headers: str) -> Answer:
    return _clean(
        api.call("POST", f"{BASE}/requests.{fmt}", headers={**FORM, **headers}, raw=urlencode(form))
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
    assert _type(answer) == "application/xml; charset=utf-8"
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
    assert complaint["metadata"] is False and complaint["type"] == "realtime"
    assert complaint["group"] == "投诉" and "城乡建设" in complaint["keywords"].split(",")
    assert complaint["description"]
    assert by_code["help.transport"]["service_name"] == "求助 · 交通出行"

    root = _xml(api, "/services.xml")
    assert root.tag == "services" and len(root) == 10
    for element in root:
        assert element.tag == "service" and [c.tag for c in element] == SERVICE_FIELDS
    first = root[0]
    assert first.findtext("metadata") == "false"
    assert first.findtext("service_code") == services[0]["service_code"]
    assert first.findtext("service_name") == services[0]["service_name"]


def test_service_definition_has_no_attributes_and_unknown_codes_are_404(api: Api) -> None:
    assert _json(api, "/services/complaint.urban.json") == {
        "service_code": "complaint.urban",
        "attributes": [],
    }
    root = _xml(api, "/services/praise.transport.xml")
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "praise.transport" and len(root[1]) == 0

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
    listed = _json(api, "/requests.json")
    assert [r["service_request_id"] for r in listed] == [
        made["closed"],
        made["assigned"],
        made["accepted"],
    ]
    assert all(list(r) == REQUEST_FIELDS for r in listed)
    assert all(list(r["extended_attributes"]) == EXTENSIONS for r in listed)
    closed, assigned, accepted = listed

    assert assigned["status"] == "open" and assigned["status_notes"] == "已交办"
    assert assigned["service_code"] == "complaint.urban"
    assert assigned["service_name"] == "投诉 · 城乡建设"
    assert assigned["agency_responsible"] == "市住房和城乡建设局"
    assert assigned["address"] == "市本级"
    assert assigned["requested_datetime"] == iso(T0 + timedelta(minutes=2))
    assert assigned["expected_datetime"] and assigned["expected_datetime"].endswith("Z")
    assert assigned["expected_datetime"] in assigned["service_notice"]
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

    root = _xml(api, "/requests.xml")
    assert root.tag == "service_requests" and len(root) == 3
    for element in root:
        assert element.tag == "request" and [c.tag for c in element] == REQUEST_FIELDS
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
    answer = _post(api, _form())
    assert answer.status == 201, answer.body
    assert _type(answer) == "application/json; charset=utf-8"
    [posted] = answer.body
    assert list(posted)[:4] == POSTED_FIELDS
    assert posted["account_id"] is None and posted["token"] is None
    case_id = posted["service_request_id"]
    code = posted["extended_attributes"]["tracking_code"]
    assert code in posted["service_notice"]

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


def test_post_maps_titles_districts_and_consent(api: Api) -> None:
    answer = _post(
        api,
        _form(title="电梯停运", district="东区", public="0", first_name="Ming", last_name="Li"),
        "xml",
    )
    assert answer.status == 201, answer.body
    root = ET.fromstring(answer.body.split("\n", 1)[1])
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    request = root[0]
    assert [c.tag for c in request][:4] == POSTED_FIELDS
    case_id = request.findtext("service_request_id") or ""
    code = request.findtext("extended_attributes/tracking_code") or ""
    mine = api.track(case_id, code)
    assert mine["title"] == "电梯停运" and mine["district"] == "east"
    assert mine["public"] is False and mine["contact"]["name"] == "Ming Li"
    api.accept(case_id)
    assert _ids(api) == []  # no consent: never public


def test_post_validation_names_each_form_field(api: Api) -> None:
    bad = _post(
        api,
        {
            "service_code": "gossip.urban",
            "description": "太短",
            "phone": "12345",
            "email": "not-an-email",
            "district": "atlantis",
            "public": "maybe",
        },
    )
    fields = {d.split(":")[0] for d in _errors(bad, 400)}
    assert fields == {"service_code", "description", "phone", "email", "district", "public"}
    missing = _post(api, {"description": "一段足够长的描述文字，说明问题所在。"}, "xml")
    fields = {d.split(":")[0] for d in _xml_errors(missing, 400)}
    assert fields == {"service_code", "district", "phone"}  # phone or email is required
    assert _ids(api, "?start_date=2000-01-01T00:00:00Z") == []
    # The body must be a form.
    as_json = api.call("POST", f"{BASE}/requests.json", {"service_code": "complaint.urban"})
    assert "x-www-form-urlencoded" in _errors(_clean(as_json), 415)[0]
    not_utf8 = api.call("POST", f"{BASE}/requests.json", headers=FORM, raw=b"description=\xff")
    assert _errors(_clean(not_utf8), 400)


def test_api_key_is_required_when_configured(api: Api, api_keys: None) -> None:
    assert "api_key" in _errors(_post(api, _form()), 403)[0]
    assert _xml_errors(_post(api, _form(api_key="wrong"), "xml"), 403)
    answer = _post(api, _form(api_key="key-two"))
    assert answer.status == 201, answer.body
    assert _json(api, "/services.json")  # reading needs no key


def test_api_key_is_optional_when_not_configured(api: Api) -> None:
    assert _post(api, _form()).status == 201
    assert _post(api, _form(api_key="anything")).status == 201


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
