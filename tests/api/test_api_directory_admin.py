"""The directory in the browser (§15, issue 17 §4): admins list, create, update, disable and
enable units, county platforms and staff accounts, and import units from CSV; a unit with
open cases is not disabled until they are reassigned; every change is recorded for
auditors."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import Api
from tests.api.test_api_counties import EAST
from tests.api.test_api_counties import counties as _counties

counties = _counties  # the two county platforms (东区, 西区) as a fixture of this module

UNITS = "/api/admin/units"
STAFF_URL = "/api/admin/staff"


def town(unit_id: str = "east-lake", **more: Any) -> dict[str, Any]:
    return {
        "id": unit_id,
        "name": "东区湖滨街道办事处",
        "kind": "town",
        "parent": EAST,
        "district": "east",
        "categories": ["urban"],
        "handler": {"name": "王经办", "email": f"{unit_id}@dept.example", "phone": "0571-1234567"},
        "spokesperson": {"name": "李发言", "email": "fyr@dept.example", "phone": "13900001111"},
        "leader": {"name": "赵主任", "email": "leader@dept.example"},
        **more,
    }


def admin(api: Api) -> dict[str, str]:
    return api.as_role("admin")


def listed(api: Api, unit_id: str) -> dict[str, Any]:
    units = api.ok(api.get(UNITS, admin(api)))["items"]
    return next(u for u in units if u["id"] == unit_id)


def test_an_admin_creates_updates_disables_and_enables_a_town_under_a_county(
    counties: Api,
) -> None:
    api = counties
    created = api.ok(api.post(UNITS, town(), admin(api)), 201)
    assert created["platform"] == EAST and created["parent"] == EAST and created["active"]
    again = api.post(UNITS, town(), admin(api))
    assert again.status == 409 and again.code == "unit_exists"
    platform = listed(api, EAST)
    assert platform["level"] == "county" and platform["districts"] == ["east"]
    # The assign list (directory.departments) sees it at once: the cache was cleared.
    from functions.storage import directory

    assert directory.department("east-lake") is not None
    changed = api.ok(
        api.call("PUT", f"{UNITS}/east-lake", town(name="东区湖滨街道（新）"), admin(api))
    )
    assert changed["name"] == "东区湖滨街道（新）"
    assert api.call("PUT", f"{UNITS}/nope", town(), admin(api)).code == "no_such_unit"
    off = api.ok(api.post(f"{UNITS}/east-lake/disable", {}, admin(api)))
    assert off["active"] is False and directory.department("east-lake") is None
    assert listed(api, "east-lake")["active"] is False  # no hard delete
    on = api.ok(api.post(f"{UNITS}/east-lake/enable", {}, admin(api)))
    assert on["active"] is True


def test_each_wrong_field_is_named(counties: Api) -> None:
    api = counties
    bad = town(
        district="mars",
        categories=["urban", "space"],
        parent="no-such-platform",
        spokesperson={"phone": "12345"},
    )
    answer = api.post(UNITS, bad, admin(api))
    assert answer.status == 400
    assert "spokesperson.phone" in answer.fields
    answer = api.post(UNITS, {**bad, "spokesperson": {}}, admin(api))
    assert answer.status == 400
    assert {"district", "categories.1", "parent"} <= set(answer.fields)
    county = {"id": "north", "name": "北区平台", "level": "county", "districts": ["north"]}
    answer = api.post(UNITS, county, admin(api))
    assert answer.status == 400 and "districts.0" in answer.fields
    no_id = api.post(UNITS, {k: v for k, v in town().items() if k != "id"}, admin(api))
    assert no_id.status == 400 and "id" in no_id.fields


def test_a_unit_with_open_cases_is_disabled_only_after_they_are_reassigned(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    refused = api.post(f"{UNITS}/dept-1/disable", {}, admin(api))
    assert refused.status == 409 and refused.code == "unit_has_open_cases"
    assert refused.body["error"]["cases"] == [case_id]
    assert case_id in refused.error["message"]
    assert listed(api, "dept-1")["active"] is True
    api.ok(api.handle_act(link, "return", {"reason": "不属于我局职责"}))
    api.ok(api.act(case_id, "return-decision", {"decision": "reassign", "lead": "dept-2"}))
    assert api.ok(api.post(f"{UNITS}/dept-1/disable", {}, admin(api)))["active"] is False


def test_a_county_platform_holding_open_cases_is_not_disabled(counties: Api) -> None:
    api = counties
    held = api.submit(district="east")["case_id"]  # waits in 东区's queue
    refused = api.post(f"{UNITS}/{EAST}/disable", {}, admin(api))
    assert refused.status == 409 and held in refused.body["error"]["cases"]


def test_staff_accounts_and_the_county_scope(counties: Api) -> None:
    api = counties
    bare = {"email": "new-county@wenzheng.example", "role": "county_coordinator", "name": "新"}
    assert "county" in api.post(STAFF_URL, bare, admin(api)).fields
    wrong = {**bare, "county": "nowhere"}
    assert "county" in api.post(STAFF_URL, wrong, admin(api)).fields
    made = api.ok(api.post(STAFF_URL, {**bare, "county": EAST}, admin(api)), 201)
    assert made == {**bare, "county": EAST, "active": True, "second_factor": "none"}
    assert api.post(STAFF_URL, {**bare, "county": EAST}, admin(api)).code == "account_exists"
    scoped_operator = {"email": "op2@wenzheng.example", "role": "operator", "county": EAST}
    assert "county" in api.post(STAFF_URL, scoped_operator, admin(api)).fields
    path = f"{STAFF_URL}/new-county%40wenzheng.example"
    moved = api.ok(api.call("PUT", path, {"role": "coordinator", "name": "新"}, admin(api)))
    assert moved["role"] == "coordinator" and "county" not in moved
    assert api.ok(api.post(f"{path}/disable", {}, admin(api)))["active"] is False
    from functions.storage import directory

    assert directory.staff_account("new-county@wenzheng.example") is None
    assert api.ok(api.post(f"{path}/enable", {}, admin(api)))["active"] is True
    emails = {s["email"] for s in api.ok(api.get(STAFF_URL, admin(api)))["items"]}
    assert "new-county@wenzheng.example" in emails
    myself = api.post(f"{STAFF_URL}/admin@wenzheng.example/disable", {}, admin(api))
    assert myself.status == 409 and myself.code == "own_account"


def test_only_admins_edit_the_directory(api: Api) -> None:
    for role in ("coordinator", "operator", "auditor"):
        headers = api.as_role(role)
        assert api.get(UNITS, headers).status == 403
        assert api.post(UNITS, town(), headers).status == 403
        assert api.post(STAFF_URL, {"email": "x@y.example", "role": "admin"}, headers).status == 403
        assert api.get(f"{UNITS}/export", headers).status == 403
    assert api.get(UNITS).status == 401


def _import(api: Api, text: str) -> Any:
    return api.post(f"{UNITS}/import", {"csv": text}, admin(api))


def test_the_export_imports_back_unchanged_with_or_without_its_bom(counties: Api) -> None:
    api = counties
    api.ok(api.post(UNITS, town(), admin(api)), 201)
    exported = api.get(f"{UNITS}/export", admin(api))
    assert exported.status == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    text = exported.body
    assert text.startswith("\ufeffid,name,level,kind,parent,district")
    assert "east-lake" in text and "东区湖滨街道办事处" in text
    same = api.ok(_import(api, text))
    assert same["created"] == 0 and same["updated"] == 0 and same["unchanged"] == same["rows"]
    renamed = text.removeprefix("\ufeff").replace("东区湖滨街道办事处", "东区湖滨街道")
    changed = api.ok(_import(api, renamed))
    assert changed["updated"] == 1
    assert listed(api, "east-lake")["name"] == "东区湖滨街道"


def _rows(n: int) -> str:
    from functions.domain import directory as rules

    units = [
        {
            "id": f"bulk-{i:03d}",
            "name": f"批量单位{i:03d}",
            "level": "unit",
            "kind": "department",
            "district": "city",
            "categories": ["urban"],
            "handler": {"name": "经办", "email": f"bulk-{i}@dept.example"},
            "active": True,
        }
        for i in range(n)
    ]
    return rules.to_csv(units)


def test_a_hundred_units_import_in_one_go(api: Api) -> None:
    done = api.ok(_import(api, _rows(100).removeprefix("\ufeff")))
    assert done == {"rows": 100, "created": 100, "updated": 0, "unchanged": 0}
    assert listed(api, "bulk-099")["name"] == "批量单位099"
    changes = api.ok(api.get("/api/audit/directory-changes", api.as_role("auditor")))
    assert len(changes["items"]) == 50 and changes["next_cursor"]
    rest = api.ok(
        api.get(
            f"/api/audit/directory-changes?cursor={changes['next_cursor']}",
            api.as_role("auditor"),
        )
    )
    assert len(rest["items"]) == 50 and rest["items"][0]["action"] == "unit.import"


def test_one_bad_row_in_a_hundred_rejects_the_file_and_writes_nothing(api: Api) -> None:
    lines = _rows(100).split("\r\n")
    lines[38] = lines[38].replace("@dept.example", "-not-an-address")  # unit 37: row 39
    lines[71] = lines[71].replace(",city,", ",atlantis,")  # unit 70: row 72
    answer = _import(api, "\r\n".join(lines))
    assert answer.status == 400 and answer.code == "import_invalid"
    assert set(answer.fields) == {"rows.39.handler_email", "rows.72.district"}
    assert "第 39 行" in answer.fields["rows.39.handler_email"]["message"]
    ids = {u["id"] for u in api.ok(api.get(UNITS, admin(api)))["items"]}
    assert not any(i.startswith("bulk-") for i in ids)
    changes = api.ok(api.get("/api/audit/directory-changes", api.as_role("auditor")))
    assert changes["items"] == []


def test_a_header_without_the_columns_is_refused(api: Api) -> None:
    answer = _import(api, "名称,邮箱\n市局,a@b.example\n")
    assert answer.status == 400 and "header.id" in answer.fields


def test_every_change_is_recorded_and_shown_to_auditors_newest_first(counties: Api) -> None:
    api = counties
    api.ok(api.post(UNITS, town(), admin(api)), 201)
    api.ok(api.call("PUT", f"{UNITS}/east-lake", town(name="东区湖滨街道"), admin(api)))
    record = api.ok(api.get("/api/audit/directory-changes", api.as_role("auditor")))["items"]
    assert [r["action"] for r in record] == ["unit.update", "unit.create"]
    update = record[0]
    assert update["by"] == "admin@wenzheng.example" and update["target"] == "east-lake"
    assert update["before"]["name"] == "东区湖滨街道办事处"
    assert update["after"]["name"] == "东区湖滨街道"
    assert record[1]["before"] is None
    assert api.get("/api/audit/directory-changes", admin(api)).status == 200
    denied = api.get("/api/audit/directory-changes", api.as_role("coordinator"))
    assert denied.status == 403
