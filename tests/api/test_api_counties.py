"""1+8+N (§15, issue 17 §1–§2): county platforms with their own coordinators. A case in a
county's district goes to the county's queue; the city may hand an accepted case down to a
county as a whole (市级交办), which passes it to one of its units (县级交办) on the citizen's
one clock; a county coordinator sees and touches only what their platform holds (another
county's case is a 404), may give a case back to the city, and decides its units' first
extension, the city every later one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import Api, reply_body

EAST = "east-platform"
WEST = "west-platform"
EAST_COORDINATOR = "east-coordinator@wenzheng.example"
WEST_COORDINATOR = "west-coordinator@wenzheng.example"


@pytest.fixture
def counties(api: Api) -> Api:
    """Two county platforms: 东区 (triages its own cases; the city keeps 交通出行) with a
    town under it, and 西区 (leaves triage to the city), each with a coordinator."""
    from functions.storage import directory
    from tests.conftest import TEST_CITY

    city = {**TEST_CITY, "districts": [*TEST_CITY["districts"], {"code": "west", "label": "西区"}]}
    directory.put_taxonomy(city)
    for unit in (
        {
            "id": EAST,
            "name": "东区网络问政平台",
            "districts": ["east"],
            "district": "east",
            "level": "county",
            "triage": "county_triage",
            "city_categories": ["transport"],
        },
        {
            "id": WEST,
            "name": "西区网络问政平台",
            "districts": ["west"],
            "district": "west",
            "level": "county",
            "triage": "city_triage",
        },
        {
            "id": "east-town",
            "name": "东区翠湖街道办事处",
            "district": "east",
            "kind": "town",
            "handler": {"name": "经办人", "email": "east-town@dept.example"},
        },
        {
            "id": "west-town",
            "name": "西区白沙镇人民政府",
            "district": "west",
            "kind": "town",
            "handler": {"name": "经办人", "email": "west-town@dept.example"},
        },
    ):
        directory.put_department(unit)
    directory.put_staff(EAST_COORDINATOR, "county_coordinator", "东区值班员", county=EAST)
    directory.put_staff(WEST_COORDINATOR, "county_coordinator", "西区值班员", county=WEST)
    directory.clear_cache()
    return api


def county_headers(api: Api, email: str) -> dict[str, str]:
    token = api.sign_in_token(email)
    opened = api.ok(api.post("/api/staff/session", {"token": token}))
    assert opened["role"] == "county_coordinator" and opened["county"]["id"] in (EAST, WEST)
    return {"Authorization": f"Bearer {opened['session_token']}"}


def act(api: Api, headers: dict[str, str], case_id: str, action: str, body: Any) -> Any:
    return api.post(f"/api/staff/cases/{case_id}/{action}", body, headers)


def test_a_case_goes_to_its_countys_queue_and_only_the_county_sees_it(counties: Api) -> None:
    api = counties
    east = county_headers(api, EAST_COORDINATOR)
    west = county_headers(api, WEST_COORDINATOR)
    own = api.submit(district="east")["case_id"]
    kept = api.submit(district="east", category="transport")["case_id"]  # the city keeps it
    citys = api.submit(district="west")["case_id"]  # 西区 leaves triage to the city

    assert api.staff_case(own)["holder"] == {"id": EAST, "name": "东区网络问政平台"}
    assert api.staff_case(kept)["holder"]["id"] == "city"
    assert api.staff_case(citys)["holder"]["id"] == "city"
    mine = api.ok(api.get("/api/staff/queue", east))
    assert [c["case_id"] for c in mine["items"]] == [own]
    assert api.ok(api.get("/api/staff/queue", west))["items"] == []
    everything = {c["case_id"] for c in api.queue()["items"]}  # the city sees every queue
    assert {own, kept, citys} <= everything

    # Another county's (or the city's) case answers as if it did not exist.
    for path in (f"/api/staff/cases/{own}", f"/api/staff/cases/{own}/similar"):
        hidden = api.get(path, west)
        assert hidden.status == 404 and hidden.error["code"] == "case_not_found"
    refused = act(api, west, own, "accept", {"urgency": "general", "public": True})
    assert refused.status == 404
    assert api.get(f"/api/staff/cases/{kept}", east).status == 404
    assert api.staff_case(own)["state"] == "submitted"

    # The county accepts and assigns its own case to its own unit, not to the city's.
    api.ok(act(api, east, own, "accept", {"urgency": "general", "public": True}))
    other = act(api, east, own, "assign", {"lead": "dept-1", "co_handlers": []})
    assert other.status == 400 and set(other.fields) == {"lead"}
    assigned = api.ok(act(api, east, own, "assign", {"lead": "east-town", "co_handlers": []}))
    assert assigned["state"] == "assigned" and assigned["holder"]["id"] == EAST
    assert assigned["events"][-1]["type"] == "county_assigned"
    # The county's coordinators hear of their cases' 群众关注 and the like, not the city's.
    assert api.get("/api/staff/outbox", east).status == 403


def test_city_to_county_to_town_to_reply_to_rating_on_one_clock(counties: Api) -> None:
    api = counties
    east = county_headers(api, EAST_COORDINATOR)
    created = api.submit(district="east", category="transport")  # city triage
    case_id = created["case_id"]
    api.accept(case_id)
    handed = api.ok(api.act(case_id, "assign", {"lead": EAST, "co_handlers": []}))
    assert handed["state"] == "accepted" and handed["holder"]["id"] == EAST
    handoff = handed["handoff"]
    assert handoff["to"] == EAST and handoff["due_at"] < handoff["reply_due_at"]
    told = api.messages(case_id=case_id, to=EAST_COORDINATOR)
    assert any("市级交办" in m["subject"] for m in told)
    assert case_id in {c["case_id"] for c in api.ok(api.get("/api/staff/queue", east))["items"]}

    # A county cannot hand it further down as a whole, nor to another county.
    again = act(api, east, case_id, "assign", {"lead": WEST, "co_handlers": []})
    assert again.status == 400 and set(again.fields) == {"lead"}
    api.advance(timedelta(minutes=20))  # some working time passes at the county
    placed = api.ok(act(api, east, case_id, "assign", {"lead": "east-town", "co_handlers": []}))
    assert placed["assignment"]["lead"]["id"] == "east-town" and placed["handoff"] is None
    # One clock: the town's reply deadline is the one the city's hand-off started.
    assert placed["reply_due_at"] == handoff["reply_due_at"]

    public = api.ok(api.public(case_id))
    labels = [e["label"] for e in public["timeline"]]
    assert labels.index("市级交办") < labels.index("县级交办")

    link = api.link("east-town", case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    closed = api.ok(api.rate(case_id, created["tracking_code"], "satisfied"))
    assert closed["state"] == "closed"


def test_a_county_returns_a_case_to_the_city_which_decides(counties: Api) -> None:
    api = counties
    east = county_headers(api, EAST_COORDINATOR)
    case_id = api.submit(district="east")["case_id"]
    assert "return_to_city" in api.ok(api.get(f"/api/staff/cases/{case_id}", east))["actions"]
    empty = act(api, east, case_id, "return-to-city", {"reason": ""})
    assert empty.status == 400 and set(empty.fields) == {"reason"}
    back = api.ok(
        act(api, east, case_id, "return-to-city", {"reason": "反映的是市管道路，不属于区级事权"})
    )
    assert back["holder"]["id"] == "city" and back["state"] == "submitted"
    assert api.get(f"/api/staff/cases/{case_id}", east).status == 404
    told = api.messages(case_id=case_id, to="coordinator@wenzheng.example")
    assert any("县级退回" in m["subject"] for m in told)
    assert "return_to_city" not in api.staff_case(case_id)["actions"]  # the city's own view
    api.accept(case_id)
    api.assign(case_id, "dept-1")  # the city decides: assigns it itself


def test_a_county_decides_its_units_first_extension_and_the_city_the_next(
    counties: Api,
) -> None:
    from tests.api.test_api_notices import _put_policy

    api = counties
    _put_policy(api, extensions_allowed=2)
    east = county_headers(api, EAST_COORDINATOR)
    case_id = api.submit(district="east")["case_id"]
    api.ok(act(api, east, case_id, "accept", {"urgency": "general", "public": True}))
    api.ok(act(api, east, case_id, "assign", {"lead": "east-town", "co_handlers": []}))
    link = api.link("east-town", case_id)
    api.ok(api.handle_act(link, "sign"))
    ask = {"working_days": 3, "reason": "需协调多个部门现场勘查，申请延期"}
    api.ok(api.handle_act(link, "extension", ask))
    decision = {"decision": "approve", "working_days": 3, "note": "同意"}
    api.ok(act(api, east, case_id, "extension-decision", decision))

    api.ok(api.handle_act(link, "extension", ask))
    view = api.ok(api.get(f"/api/staff/cases/{case_id}", east))
    assert "extension-decision" not in view["actions"]
    beyond = act(api, east, case_id, "extension-decision", decision)
    assert beyond.status == 409 and beyond.error["code"] == "beyond_county_authority"
    assert "extension-decision" in api.staff_case(case_id)["actions"]
    api.ok(api.act(case_id, "extension-decision", decision))  # the city decides it


def test_a_countys_waiting_case_reminds_the_countys_coordinators(
    counties: Api, client: Any
) -> None:
    """The platform's own 受理 ladder runs against the platform holding the case."""
    from tests.api.helpers import sh, sweep

    api = counties
    case_id = api.submit(district="east")["case_id"]
    sweep(api, client, sh(11, 3, 10))  # the 受理 deadline: 8 working hours after T0
    told = [m["to"] for m in api.messages(case_id=case_id, template="triage_overdue")]
    assert told == [EAST_COORDINATOR]
    api.advance(timedelta(minutes=1))
    delays = api.ok(api.get("/api/overdue"))["platforms"]
    east = next(p for p in delays if p["platform"] == EAST)
    assert east["count"] == 1 and east["platform_label"] == "东区网络问政平台"
    # The county's own 督办 list holds its case; the city's holds the city's own.
    headers = county_headers(api, EAST_COORDINATOR)
    listed = api.ok(api.get("/api/staff/overdue?card=triage", headers))["items"]
    assert [c["case_id"] for c in listed] == [case_id]
    city = api.ok(api.get("/api/staff/overdue?card=triage", api.as_role("coordinator")))
    assert case_id not in [c["case_id"] for c in city["items"]]
    assert api.ok(api.get("/api/staff/overdue?card=yellow", headers))["items"] == []


def test_a_county_that_does_not_pass_a_handed_down_case_on_is_reminded(
    counties: Api, client: Any
) -> None:
    """The county's allowance to pass on the city's hand-down runs on the platform's ladder,
    reminding the county's coordinators; passing it on stops it."""
    from tests.api.helpers import sh, sweep

    api = counties
    east = county_headers(api, EAST_COORDINATOR)
    case_id = api.submit(district="east", category="transport")["case_id"]  # city triage
    api.accept(case_id)
    handed = api.ok(api.act(case_id, "assign", {"lead": EAST, "co_handlers": []}))
    assert handed["triage_due_at"] == handed["handoff"]["due_at"]
    sweep(api, client, sh(11, 3, 10))  # 8 working hours after the hand-down at T0
    told = [m["to"] for m in api.messages(case_id=case_id, template="triage_overdue")]
    assert told == [EAST_COORDINATOR]
    reminder = next(e for e in api.staff_case(case_id)["events"] if e["type"] == "triage_reminder")
    assert "交办时限已到" in reminder["note"]
    east = county_headers(api, EAST_COORDINATOR)  # the first session went idle
    placed = api.ok(act(api, east, case_id, "assign", {"lead": "east-town", "co_handlers": []}))
    assert placed["triage_due_at"] is None
