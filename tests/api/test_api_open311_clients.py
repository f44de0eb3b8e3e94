"""The Open311 endpoint as outside clients use it, over real HTTP: the app behind the local
stack's own request handler (infra/local_stack.py: API Gateway's routing, greedy path
variables included) on a free loopback port, in this process, on the same moto tables as the
test client, which plays the coordinator.

- ``georeport`` 0.3.1 (PyPI), as it is: services, service definitions, request lists and one
  request, in JSON and in XML (parsed with its own xmltodict).
- FixMyStreet's ``perllib/Open311.pm`` (Perl, not run here): its request shapes, rebuilt with
  ``requests``: a form-encoded POST to ``requests.xml`` carrying ``jurisdiction_id``,
  ``api_key`` and each attribute of the service definition as ``attribute[code]``; XML answers
  read the way its XML::Simple settings read them (``request`` and ``error`` as lists).
- ``open311`` 1.1 (PyPI) does not import on Python 3 (``from api import API``: an implicit
  relative import; ``post_service_request`` hands ``urlopen`` a str body): its shapes instead,
  ``api_key`` and ``jurisdiction_id`` in the query string of the POST, and its
  ``service/<code>.<format>`` path (sic) for a service definition."""

from __future__ import annotations

import json
import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import requests
import xmltodict
from georeport import GeoReport

from tests.api.helpers import EMAIL, NAME, PHONE, Api

KEY = "fms-7Qd2-long-random-key"  # the integrator's api_key
OTHER_KEY = "another-client-key"
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Site:
    base: str  # http://127.0.0.1:<port>

    @property
    def endpoint(self) -> str:
        return f"{self.base}/open311/v2"

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(self.base + path, params=params, timeout=30)


@pytest.fixture
def site(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    from chalice.cli.factory import CLIFactory

    from app import app
    from functions.settings import settings
    from infra.local_stack import handler_class
    from tests.localstack import ROOT

    config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name="local")
    # The app keeps the request it handles in one attribute, shared with the test client: the
    # clients here send one request at a time and wait for each answer. A thread per
    # connection, so a kept-alive connection never holds up the next one.
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(app, config))
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("WZ_PUBLIC_BASE_URL", base)
    monkeypatch.setenv("WZ_OPEN311_API_KEYS", f"{KEY},{OTHER_KEY}")
    monkeypatch.setenv("WZ_OPEN311_CONTACT", "开放接口 open311@city.example")
    settings.cache_clear()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield Site(base)
    finally:
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)
        monkeypatch.undo()
        settings.cache_clear()


def _fms_xml(text: str) -> dict[str, Any]:
    """An XML answer as FixMyStreet reads it: XML::Simple with ForceArray on the group tags
    (request, error, attribute, value, service), KeyAttr off, empty elements as undef."""
    force = {"request", "error", "attribute", "value", "service"}

    def read(element: ET.Element) -> Any:
        if len(element) == 0:
            return element.text
        found: dict[str, Any] = {}
        for child in element:
            value = read(child)
            if child.tag in force:
                found.setdefault(child.tag, []).append(value)
            else:
                found[child.tag] = value
        return found

    return dict(read(ET.fromstring(text.encode())))


def _fms_post(site: Site, **params: str) -> requests.Response:
    """FixMyStreet's send_service_request: POST requests.xml, form-encoded UTF-8, with the
    jurisdiction and the api_key among the fields."""
    fields = {"jurisdiction_id": "testcity", "api_key": KEY, **params}
    return requests.post(f"{site.endpoint}/requests.xml", data=fields, timeout=30)


def _fms_params(**overrides: str) -> dict[str, str]:
    """What _populate_service_request_params sends for a report with a map pin."""
    params = {
        "description": "title:  翠湖小区电梯停运\n\ndetail: 3 号楼电梯停运两个月，物业一直推脱。"
        "\n\nurl: https://fms.example/report/42\n\nSubmitted via FixMyStreet",
        "service_code": "complaint.urban",
        "first_name": "明月",
        "last_name": "欧阳",
        "email": EMAIL,
        "phone": PHONE,
        "lat": "30.27",
        "long": "120.15",
        "attribute[district]": "east",  # the service definition's one attribute
    }
    params.update(overrides)
    return params


def _no_contact(text: str) -> None:
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in text, (secret, text)


# --- discovery and services -----------------------------------------------------------------


def test_discovery_leads_a_client_to_the_endpoint(site: Site) -> None:
    as_json = site.get("/open311/discovery.json")
    assert as_json.status_code == 200 and as_json.headers["Content-Type"] == JSON_TYPE
    [endpoint] = as_json.json()["endpoints"]
    assert endpoint["url"] == site.endpoint and endpoint["type"] == "test"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "application/json" in endpoint["formats"] and "text/xml" in endpoint["formats"]

    as_xml = site.get("/open311/discovery.xml")
    assert as_xml.headers["Content-Type"] == XML_TYPE
    parsed = xmltodict.parse(as_xml.content)["discovery"]
    assert parsed["contact"] == "开放接口 open311@city.example"
    assert "api_key" in parsed["key_service"]
    assert parsed["endpoints"]["endpoint"]["url"] == site.endpoint
    assert parsed["endpoints"]["endpoint"]["formats"]["format"] == [
        "text/xml",
        "application/json",
    ]

    # The URL it names is one georeport can use as it is.
    assert GeoReport(endpoint["url"]).get_service_list()


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_services_and_reads_the_district_attribute(
    site: Site, output_format: str
) -> None:
    client = GeoReport(site.endpoint, output_format=output_format)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "complaint.urban" in codes and len(codes) == 10
    complaint = services[codes.index("complaint.urban")]
    assert complaint["service_name"] == "投诉 · 城乡建设"
    assert complaint["metadata"] in (True, "true")  # metadata: ask for the definition

    definition = client.get_service_definition("complaint.urban")
    attribute = definition["attributes"]
    if output_format == "xml":  # xmltodict: one <attribute> is a dict, one list of values
        attribute = attribute["attribute"]
        values = attribute["values"]["value"]
        assert attribute["required"] == "false" and attribute["variable"] == "true"
    else:
        [attribute] = attribute
        values = attribute["values"]
        assert attribute["required"] is False and attribute["variable"] is True
    assert attribute["code"] == "district" and attribute["datatype"] == "singlevaluelist"
    assert [(v["key"], v["name"]) for v in values] == [("city", "市本级"), ("east", "东区")]


def test_fixmystreet_reads_the_service_definition_as_its_populate_step_does(site: Site) -> None:
    """PopulateServiceList: services.xml, then services/<code>.xml when metadata is true,
    attributes read with ForceArray (a list even for one)."""
    services = _fms_xml(site.get("/open311/v2/services.xml", jurisdiction_id="testcity").text)
    first = services["service"][0]
    assert first["metadata"] == "true"
    meta = _fms_xml(site.get(f"/open311/v2/services/{first['service_code']}.xml").text)
    [attribute] = meta["attributes"]["attribute"]
    assert attribute["code"] == "district" and attribute["required"] == "false"
    assert attribute["order"] == "1" and attribute["description"]
    assert [v["key"] for v in attribute["values"]["value"]] == ["city", "east"]


# --- creating and reading back ---------------------------------------------------------------


def test_a_fixmystreet_post_files_the_case_and_its_client_reads_it_back(
    site: Site, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        posted = _fms_post(site, **_fms_params())
        assert posted.status_code == 201, posted.text
        assert posted.headers["Content-Type"] == XML_TYPE
        answer = _fms_xml(posted.text)
        [request] = answer["request"]
        case_id = request["service_request_id"]  # what FixMyStreet stores as external_id
        assert case_id and case_id.startswith("WZ") and request["token"] is None
        assert "凭提交时所用的 api_key 可随时查询办理状态" in request["service_notice"]
        assert "extended_attributes" not in request  # not asked for

        # The client polls it before a coordinator has looked at it: status only.
        own = site.get(f"/open311/v2/requests/{case_id}.json", api_key=KEY)
        assert own.status_code == 200 and own.headers["Content-Type"] == JSON_TYPE
        [status] = own.json()
        assert status["status"] == "open" and status["status_notes"] == "待受理"
        assert status["description"] is None and status["address"] is None
        listed = _fms_xml(
            site.get("/open311/v2/requests.xml", service_request_id=case_id, api_key=KEY).text
        )
        assert [r["service_request_id"] for r in listed["request"]] == [case_id]
        # Nobody else does; georeport, which sends no key when reading, is told 404.
        assert site.get(f"/open311/v2/requests/{case_id}.json").status_code == 404
        other = site.get(f"/open311/v2/requests/{case_id}.xml", api_key=OTHER_KEY)
        assert other.status_code == 404 and other.headers["Content-Type"] == XML_TYPE
        with pytest.raises(requests.HTTPError) as refused:
            GeoReport(site.endpoint, api_key=KEY).get_service_request(case_id)
        assert refused.value.response.status_code == 404

    # Filed as FixMyStreet sent it: the attribute is the district (the pin lies in no
    # district this city has a boundary for), the pin is kept; no `public` field, so no
    # consent to publish.
    filed = api.staff_case(case_id)
    assert filed["district"] == "east" and filed["channel"] == "open311"
    assert filed["location"] == {"address": None, "lat": 30.27, "lng": 120.15}
    assert filed["kind"] == "complaint" and filed["category"] == "urban"
    assert filed["public"] is False

    # Accepted but never published: its client follows the status, nobody else sees it.
    api.accept(case_id)
    [status] = site.get(f"/open311/v2/requests/{case_id}.json", api_key=KEY).json()
    assert status["status_notes"] == "已受理" and status["description"] is None
    assert site.get(f"/open311/v2/requests/{case_id}.json").status_code == 404

    # The key never reaches a log line; the local stack's request log masks it.
    logged = [r.getMessage() for r in caplog.records]
    assert not [line for line in logged if KEY in line]
    assert [line for line in logged if "api_key=-" in line]


def test_the_open311_client_shape_sends_the_key_in_the_query_string(site: Site, api: Api) -> None:
    """open311 1.1's post_service_request: POST requests.<format>?jurisdiction_id=…&api_key=…
    with the other fields urlencoded in the body (here with our `public` extension: the
    citizen agreed to publish)."""
    body = _fms_params(district="市本级", public="true")
    del body["attribute[district]"]
    posted = requests.post(
        f"{site.endpoint}/requests.json",
        params={"jurisdiction_id": "", "api_key": OTHER_KEY},
        data=body,
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    [created] = posted.json()
    case_id = created["service_request_id"]
    assert "总平台受理并同意公开后，任何人可查看" in created["service_notice"]
    assert api.staff_case(case_id)["district"] == "city"
    wrong = requests.post(
        f"{site.endpoint}/requests.json", params={"api_key": "guess"}, data=body, timeout=30
    )
    assert wrong.status_code == 403 and wrong.json()[0]["code"] == 403

    # Published: georeport reads it, with the scrubbed text and no contact data.
    api.accept(case_id)
    request_json = GeoReport(site.endpoint).get_service_request(case_id)
    assert request_json["status"] == "open" and "翠湖小区电梯停运" in request_json["description"]
    assert request_json["address"] == "市本级" and "extended_attributes" not in request_json
    request_xml = GeoReport(site.endpoint, output_format="xml").get_service_request(case_id)
    assert request_xml["service_request_id"] == case_id and request_xml["address"] == "市本级"
    listed = GeoReport(site.endpoint).get_service_requests(service_request_id=case_id)
    assert [r["service_request_id"] for r in listed] == [case_id]
    _no_contact(json.dumps(request_json, ensure_ascii=False) + json.dumps(request_xml))


def test_a_post_whose_place_shows_no_district_names_the_attribute(site: Site) -> None:
    params = _fms_params()  # a pin outside every boundary this city has
    del params["attribute[district]"]
    refused = _fms_post(site, **params)
    assert refused.status_code == 400 and refused.headers["Content-Type"] == XML_TYPE
    [error] = _fms_xml(refused.text)["error"]  # as Open311.pm's _process_error reads it
    assert error["code"] == "400"
    assert error["description"].startswith("attribute[district]: district is required unless")
    assert "请选择所属区县" in error["description"]


def test_a_post_for_an_unknown_service_is_404(site: Site) -> None:
    refused = _fms_post(site, **_fms_params(service_code="pothole"))
    assert refused.status_code == 404
    [error] = _fms_xml(refused.text)["error"]
    assert error["code"] == "404" and error["description"].startswith("service_code")


# --- extensions and other paths -------------------------------------------------------------


def test_extensions_come_only_when_asked_for(site: Site, api: Api) -> None:
    posted = requests.post(
        f"{site.endpoint}/requests.json?extensions=true",
        data={**_fms_params(public="true"), "api_key": KEY},
        timeout=30,
    )
    [created] = posted.json()
    case_id = created["service_request_id"]
    assert set(created["extended_attributes"]) == {"tracking_code"}
    api.accept(case_id)

    plain = GeoReport(site.endpoint).get_service_requests()
    assert [r["service_request_id"] for r in plain] == [case_id]
    assert "extended_attributes" not in plain[0]
    [extended] = site.get("/open311/v2/requests.json", extensions="true").json()
    assert extended["extended_attributes"]["state"] == "accepted"
    xml = site.get(f"/open311/v2/requests/{case_id}.xml", extensions="true")
    assert xml.headers["Content-Type"] == XML_TYPE
    request = xmltodict.parse(xml.content)["service_requests"]["request"]
    assert request["extended_attributes"]["state_label"] == "已受理"
    off = site.get(f"/open311/v2/requests/{case_id}.xml", extensions="false")
    assert "extended_attributes" not in xmltodict.parse(off.content)["service_requests"]["request"]


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/open311/v2/tokens/8f2e.xml", XML_TYPE),  # FixMyStreet, when a POST gave a token
        ("/open311/v2/servicerequestupdates.xml", XML_TYPE),  # FixMyStreet's updates
        ("/open311/v2/service/complaint.urban.json", JSON_TYPE),  # open311 1.1's path
        ("/open311/v2/services/complaint.urban/extra.xml", XML_TYPE),
        ("/open311/v2", JSON_TYPE),
        ("/open311/georeport", JSON_TYPE),
    ],
)
def test_paths_clients_try_that_we_do_not_serve_are_spec_404s(
    site: Site, path: str, media: str
) -> None:
    answer = site.get(path, jurisdiction_id="testcity")
    assert answer.status_code == 404, answer.text
    assert answer.headers["Content-Type"] == media
    if media == XML_TYPE:
        [error] = _fms_xml(answer.text)["error"]
        assert error["code"] == "404"
    else:
        assert answer.json() == [{"code": 404, "description": answer.json()[0]["description"]}]
        assert "no such resource" in answer.json()[0]["description"]


# --- where: lat/long, address_string, media_url (§13) ------------------------------------------


@pytest.fixture
def placed_site(site: Site, api: Api) -> Site:
    """The test city with 东区's boundary (tests/api/test_api_location.py) and 城乡建设
    marked as needing a place."""
    import copy

    from infra import bootstrap
    from tests.api.test_api_location import EAST
    from tests.conftest import TEST_CITY

    city = copy.deepcopy(TEST_CITY)
    city["categories"][0]["needs_place"] = True  # urban
    bootstrap.load_city(city)
    body = {"type": "FeatureCollection", "features": [EAST]}
    api.ok(api.call("PUT", "/api/admin/geo/districts", body, api.as_role("admin")))
    return site


def test_a_fixmystreet_pin_without_the_attribute_is_placed_in_its_district(
    placed_site: Site, api: Api
) -> None:
    """Exactly the fields Open311.pm's _populate_service_request_params sends for a report
    with a pin, an address and a photo link, and no attribute: the pin finds the district."""
    params = _fms_params(
        lat="31.2123456",
        long="121.4187654",
        address_string="东区人民路12号翠湖小区3栋2单元501室",
        media_url="https://fms.example/photo/42.0.full.jpeg",
        public="true",
    )
    del params["attribute[district]"]
    posted = _fms_post(placed_site, **params)
    assert posted.status_code == 201, posted.text
    [request] = _fms_xml(posted.text)["request"]
    case_id = request["service_request_id"]
    filed = api.staff_case(case_id)
    assert (filed["district"], filed["district_source"]) == ("east", "point")
    assert filed["media_link"] == "https://fms.example/photo/42.0.full.jpeg"  # never fetched

    api.accept(case_id)
    read = GeoReport(placed_site.endpoint).get_service_request(case_id)
    assert (read["lat"], read["long"]) == (31.2123, 121.4188)  # ~10 m
    assert read["address"] == "东区人民路12号翠湖小区3栋**"  # cut at the building
    assert read["media_url"] is None  # a client's link is not a photo of ours
    as_xml = GeoReport(placed_site.endpoint, output_format="xml").get_service_request(case_id)
    assert (as_xml["lat"], as_xml["long"]) == ("31.2123", "121.4188")


def test_a_georeport_shaped_post_with_an_address_only_is_placed_by_its_text(
    placed_site: Site, api: Api
) -> None:
    """Fields as a GeoReport v2 client builds them from the spec: service_code, an
    address_string, description and an e-mail, the api_key in the query string."""
    posted = requests.post(
        f"{placed_site.endpoint}/requests.json",
        params={"api_key": OTHER_KEY},
        data={
            "service_code": "complaint.urban",
            "address_string": "东区解放路口",
            "description": "解放路口的井盖松动，车辆经过时响声很大，存在安全隐患。",
            "email": EMAIL,
        },
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    [created] = posted.json()
    filed = api.staff_case(created["service_request_id"])
    assert (filed["district"], filed["district_source"]) == ("east", "address")


def test_a_service_that_needs_a_place_refuses_a_request_without_one(placed_site: Site) -> None:
    params = _fms_params()
    for name in ("lat", "long", "attribute[district]"):
        del params[name]
    refused = _fms_post(placed_site, **params)
    assert refused.status_code == 400
    errors = [e["description"] for e in _fms_xml(refused.text)["error"]]
    assert {e.split(":")[0] for e in errors} == {"address_string", "attribute[district]"}
    assert any(e.startswith("address_string: this category needs a place") for e in errors)
    # Half a point, or a point that is not a number, names the field.
    half = _fms_post(placed_site, **{**params, "lat": "31.21"})
    assert [e["description"].split(":")[0] for e in _fms_xml(half.text)["error"]] == ["long"]
    nan = _fms_post(placed_site, **{**params, "lat": "north", "long": "121.4"})
    assert [e["description"].split(":")[0] for e in _fms_xml(nan.text)["error"]] == ["lat"]
    link = _fms_post(placed_site, **_fms_params(media_url="javascript:alert(1)"))
    assert [e["description"].split(":")[0] for e in _fms_xml(link.text)["error"]] == ["media_url"]
