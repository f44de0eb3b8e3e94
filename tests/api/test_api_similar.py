"""Similar cases (§14, issue 16 §1): while a citizen types, the public cases like the report
in the same district (and within 1 km when both have a point); for the coordinator, the open
cases like a new one, public or not. The index is written in the submission's own
transaction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.api.helpers import Api, submission

LIGHT = {
    "title": "解放路翠湖街路口路灯连续一周不亮",
    "content": "解放路与翠湖街交叉口的三盏路灯从上周一开始就不亮了，晚上路口一片漆黑，"
    "过马路的老人和孩子很危险，电动车也看不清行人，希望尽快派人修复。",
}
SAME_LIGHT = {
    "title": "翠湖街口路灯坏了一个星期",
    "content": "翠湖街和解放路交叉口的路灯一个星期都不亮了，晚上路口漆黑一片，"
    "行人过马路很危险，请有关部门尽快修复路灯。",
}
OTHER = {
    "title": "滨江小区物业乱收停车费",
    "content": "滨江小区物业今年起每月向业主收取三百元地面停车费，没有任何公示和业主大会决议，"
    "请相关部门核查收费依据。",
}


def similar(api: Api, **params: Any) -> Any:
    return api.get(f"/api/cases/similar?{urlencode(params)}")


def public_case(api: Api, report: dict[str, str], **fields: Any) -> str:
    created = api.submit(**report, **fields)
    api.accept(created["case_id"])
    return str(created["case_id"])


def test_a_paraphrase_of_a_public_case_finds_it_and_an_unrelated_report_does_not(
    api: Api,
) -> None:
    light = public_case(api, LIGHT)
    public_case(api, OTHER)

    found = api.ok(similar(api, district="city", **SAME_LIGHT))
    assert found["district"] == "city"
    [item] = found["items"]
    assert item["case_id"] == light and item["url"] == f"/case.html?id={light}"
    assert item["supports"] == 0 and item["distance_m"] is None
    assert 0.3 <= item["similarity"] <= 1 and item["state_label"]
    assert found == api.ok(similar(api, district="city", **SAME_LIGHT))  # stable

    unrelated = {
        "title": "建议增开夜间公交线路",
        "content": "高新区到火车站晚上九点以后没有公交车。",
    }
    assert api.ok(similar(api, district="city", **unrelated))["items"] == []
    # Another district is another place.
    assert api.ok(similar(api, district="east", **SAME_LIGHT))["items"] == []


def test_only_public_cases_are_offered_to_citizens_but_staff_see_every_open_one(
    api: Api,
) -> None:
    private = api.submit(**LIGHT)["case_id"]  # not accepted yet: not public
    assert api.ok(similar(api, district="city", **SAME_LIGHT))["items"] == []

    new = api.submit(**SAME_LIGHT)["case_id"]
    staff = api.ok(
        api.call("GET", f"/api/staff/cases/{new}/similar", None, api.as_role("coordinator"))
    )
    assert [i["case_id"] for i in staff["items"]] == [private]
    assert staff["items"][0]["state"] == "submitted"
    missing = api.call(
        "GET", "/api/staff/cases/WZ00000000-XXXXXX/similar", None, api.as_role("coordinator")
    )
    assert missing.status == 404
    assert api.call("GET", f"/api/staff/cases/{new}/similar", None, None).status == 401


def test_the_same_words_a_kilometre_away_are_another_problem(api: Api) -> None:
    near = public_case(
        api, LIGHT, location={"address": "解放路翠湖街口", "lat": 30.0101, "lng": 114.0101}
    )
    found = api.ok(similar(api, district="city", lat=30.0105, lng=114.0108, **SAME_LIGHT))
    [item] = found["items"]
    assert item["case_id"] == near and 0 < item["distance_m"] < 150
    far = similar(api, district="city", lat=30.0301, lng=114.0101, **SAME_LIGHT)  # 2.2 km north
    assert api.ok(far)["items"] == []
    # Without a point of its own the report is matched on words alone.
    assert [i["case_id"] for i in api.ok(similar(api, district="city", **SAME_LIGHT))["items"]] == [
        near
    ]


def test_without_a_district_or_a_point_there_is_nowhere_to_look(api: Api) -> None:
    public_case(api, LIGHT)
    assert api.ok(similar(api, **SAME_LIGHT)) == {"district": None, "items": []}


def test_bad_parameters_are_named(api: Api) -> None:
    refused = similar(api, district="atlantis", lat="north", lng=114.0, content="路灯")
    assert refused.status == 400
    assert set(refused.fields) == {"title", "district", "lat"}
    half = similar(api, district="city", lat=30.0, **SAME_LIGHT)
    assert half.status == 400 and set(half.fields) == {"lng"}


def test_the_index_is_written_in_the_submissions_own_transaction(api: Api) -> None:
    from functions.storage.models import CaseModel

    sent: list[dict[str, Any]] = []

    def watch(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    client = CaseModel._get_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", watch)
    try:
        api.ok(api.post("/api/cases", submission(**LIGHT)), 201)
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", watch)
    assert len(sent) == 1  # the submission is still one write request
    tables = [next(iter(item.values()))["TableName"] for item in sent[0]["TransactItems"]]
    assert sum(t.endswith("-similar") for t in tables) == 16  # one item per band (no point)
    assert any(t.endswith("-cases") for t in tables)
