"""知识库, 直接答复 and reply templates (§16, issue 18 §4): coordinators keep the entries (every
change recorded, never deleted), the public searches the public ones valid today, staff
answer a 咨询 at once from an entry or in their own words (the platform replies, no dispatch,
the citizen rates it; unsatisfied sends it back to the platform), the rankings count it in
the platform's own line, and a unit's templates reach its handling page filled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import Api, reply_body
from tests.api.test_api_counties import (  # noqa: F401  (the fixture, reused)
    EAST,
    EAST_COORDINATOR,
    WEST_COORDINATOR,
    counties,
    county_headers,
)


def entry(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "question": "公共租赁住房如何申请？",
        "answer": (
            "申请公共租赁住房须本市户籍或连续缴纳社保满一年，"
            "携身份证、户口簿到街道政务服务中心提交申请，审核约20个工作日。"
        ),
        "category": "urban",
        "source_unit": "市住房和城乡建设局",
        "public": True,
    }
    body.update(overrides)
    return body


def create(api: Api, role: str = "coordinator", **overrides: Any) -> dict[str, Any]:
    made: dict[str, Any] = api.ok(
        api.post("/api/staff/kb", entry(**overrides), api.as_role(role)), 201
    )
    return made


def search(api: Api, q: str, **more: str) -> list[dict[str, Any]]:
    params = "&".join(f"{k}={v}" for k, v in {"q": q, **more}.items())
    items: list[dict[str, Any]] = api.ok(api.get(f"/api/kb?{params}"))["items"]
    return items


def consultation(api: Api, **overrides: Any) -> dict[str, Any]:
    return api.submit(
        kind="consultation",
        title="公租房申请条件咨询",
        content="请问外地户籍在本市工作三年，能否申请公共租赁住房？需要哪些材料？",
        **overrides,
    )


# --- entries and search ----------------------------------------------------------------------


def test_coordinators_create_update_and_retire_entries_with_every_change_recorded(
    api: Api,
) -> None:
    made = create(api)
    assert made["version"] == 1 and made["live"] and not made["retired"]
    changed = api.ok(
        api.call(
            "PUT",
            f"/api/staff/kb/{made['id']}",
            entry(answer="新的答复：携身份证到街道政务服务中心申请，审核约15个工作日。", version=1),
            api.as_role("admin"),
        )
    )
    assert changed["version"] == 2 and changed["updated_by"] == "admin@wenzheng.example"
    stale = api.call(
        "PUT", f"/api/staff/kb/{made['id']}", entry(version=1), api.as_role("coordinator")
    )
    assert stale.status == 409 and stale.code == "stale_entry"
    retired = api.ok(api.post(f"/api/staff/kb/{made['id']}/retire", {}, api.as_role("coordinator")))
    assert retired["retired"] and not retired["live"]
    again = api.post(f"/api/staff/kb/{made['id']}/retire", {}, api.as_role("coordinator"))
    assert again.status == 409 and again.code == "kb_retired"
    detail = api.ok(api.get(f"/api/staff/kb/{made['id']}", api.as_role("operator")))
    history = detail["history"]
    assert [h["version"] for h in history] == [3, 2, 1]  # newest first, nothing lost
    assert history[2]["before"] is None and history[2]["by"] == "coordinator@wenzheng.example"
    assert history[1]["before"]["answer"] == entry()["answer"]
    assert history[1]["after"]["answer"].startswith("新的答复")
    # Not deleted: still listed with the retired ones, absent from the ordinary list.
    assert made["id"] in {
        e["id"]
        for e in api.ok(api.get("/api/staff/kb?retired=true", api.as_role("coordinator")))["items"]
    }
    assert made["id"] not in {
        e["id"] for e in api.ok(api.get("/api/staff/kb", api.as_role("coordinator")))["items"]
    }


def test_entries_are_checked_field_by_field(api: Api) -> None:
    bad = api.post(
        "/api/staff/kb",
        entry(category="nope", valid_from="2026-12-01", valid_until="2026-11-01"),
        api.as_role("coordinator"),
    )
    assert bad.status == 400 and "category" in bad.fields
    dates = api.post(
        "/api/staff/kb",
        entry(valid_from="2026-12-01", valid_until="2026-11-01"),
        api.as_role("coordinator"),
    )
    assert dates.status == 400 and "valid_until" in dates.fields
    short = api.post("/api/staff/kb", entry(question="房"), api.as_role("coordinator"))
    assert short.status == 400 and "question" in short.fields
    assert api.post("/api/staff/kb", entry(), api.as_role("operator")).status == 403
    assert api.post("/api/staff/kb", entry(), api.as_role("auditor")).status == 403


def test_search_ranks_the_matching_entry_first_with_a_snippet(api: Api) -> None:
    create(api)
    create(
        api,
        question="公积金贷款额度怎么计算？",
        answer="住房公积金贷款额度按缴存余额的十五倍计算，最高不超过六十万元，可在公积金中心网站试算。",
        source_unit="市住房公积金管理中心",
    )
    create(
        api,
        question="电动自行车如何上牌？",
        answer="新购电动自行车须携购车发票、合格证和身份证到车管所或指定网点登记上牌。",
        category="transport",
        source_unit="市公安局交通警察支队",
    )
    found = search(api, "公积金贷款")
    assert found[0]["question"] == "公积金贷款额度怎么计算？"
    assert "公积金" in found[0]["snippet"] and found[0]["category_label"] == "城乡建设"
    assert [e["question"] for e in search(api, "电动车上牌")][:1] == ["电动自行车如何上牌？"]
    assert search(api, "上牌", category="urban") == []
    assert search(api, "天气预报台风") == []
    assert len(search(api, "")) == 3  # no words: the newest
    assert api.get("/api/kb?category=nope").status == 400


def test_internal_retired_and_out_of_date_entries_are_never_public(api: Api) -> None:
    today = api.now().date()
    create(api, question="内部口径：公租房轮候名单查询", public=False)
    create(api, question="公租房申请（旧政策）", valid_until=str(today - timedelta(days=1)))
    create(api, question="公租房申请（新政策）", valid_from=str(today + timedelta(days=1)))
    gone = create(api, question="公租房申请（已停用）")
    api.ok(api.post(f"/api/staff/kb/{gone['id']}/retire", {}, api.as_role("coordinator")))
    live = create(api, question="公租房申请（现行）")
    assert [e["id"] for e in search(api, "公租房申请")] == [live["id"]]
    assert [e["id"] for e in search(api, "")] == [live["id"]]
    staff = api.ok(api.get("/api/staff/kb?q=公租房", api.as_role("operator")))["items"]
    assert len(staff) == 4  # staff see the internal and dated ones, not the retired
    assert {e["live"] for e in staff} == {True, False}
    live_only = api.ok(api.get("/api/staff/kb?q=公租房&live=true", api.as_role("operator")))
    assert {e["id"] for e in live_only["items"]} == {e["id"] for e in staff if e["live"]}
    assert len(live_only["items"]) == 2  # the public one and the internal one


# --- 直接答复 --------------------------------------------------------------------------------


def test_an_operator_answers_a_consultation_from_an_entry_and_it_closes_without_dispatch(
    api: Api,
) -> None:
    made = create(api)
    case = consultation(api)
    answered = api.ok(
        api.act(
            case["case_id"],
            "answer",
            {"kb_id": made["id"], "text": made["answer"]},
            role="operator",
        )
    )
    assert answered["state"] == "replied" and answered["assignment"] is None
    reply = answered["replies"][-1]
    assert reply["department"] == {"id": "city", "name": "总平台"}
    assert reply["text"] == made["answer"]
    told = api.messages(to="ouyang@example.com")
    assert any("总平台已答复您的诉求" in m["body"] for m in told)
    rated = api.ok(api.rate(case["case_id"], case["tracking_code"], "satisfied"))
    assert rated["state"] == "closed"


def test_an_unsatisfied_citizen_sends_a_direct_answer_back_to_the_platform(api: Api) -> None:
    case = consultation(api)
    api.accept(case["case_id"])
    api.ok(
        api.act(
            case["case_id"],
            "answer",
            {"text": "您好，外地户籍连续缴纳社保满一年即可申请，请携身份证到街道办理。"},
        )
    )
    back = api.ok(api.rate(case["case_id"], case["tracking_code"], "unsatisfied"))
    assert back["state"] == "accepted"
    staff = api.staff_case(case["case_id"])
    assert staff["state"] == "accepted" and "assign" in staff["actions"]
    assert "answer" in staff["actions"]
    assert any("已退回总平台重新处理" in m["body"] for m in api.messages(to="ouyang@example.com"))
    # The platform may then assign it like any accepted case, and the unit's reply is rated.
    api.assign(case["case_id"], "dept-1")
    link = api.link("dept-1", case["case_id"])
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    assert (
        api.ok(api.rate(case["case_id"], case["tracking_code"], "satisfied"))["state"] == "closed"
    )


def test_only_a_consultation_waiting_or_accepted_may_be_answered_directly(api: Api) -> None:
    complaint = api.submit()
    refused = api.act(
        complaint["case_id"], "answer", {"text": "您好，这类问题请联系物业公司处理。"}
    )
    assert refused.status == 409 and refused.code == "not_a_consultation"
    assigned = consultation(api)
    api.accept(assigned["case_id"])
    api.assign(assigned["case_id"], "dept-1")
    late = api.act(assigned["case_id"], "answer", {"text": "您好，已交办，请等待承办单位答复。"})
    assert late.status == 409 and late.code == "invalid_transition"
    unknown = api.act(
        consultation(api)["case_id"],
        "answer",
        {"kb_id": "kb-00000000", "text": "您好，按政策可以申请。"},
    )
    assert unknown.status == 400 and "kb_id" in unknown.fields
    short = api.act(consultation(api)["case_id"], "answer", {"text": "可以"})
    assert short.status == 400 and "text" in short.fields
    assert (
        api.act(
            consultation(api)["case_id"],
            "answer",
            {"text": "您好，可以申请，请携身份证办理。"},
            role="auditor",
        ).status
        == 403
    )


@pytest.mark.usefixtures("counties")
def test_a_county_coordinator_answers_its_own_cases_only(api: Api) -> None:
    east = county_headers(api, EAST_COORDINATOR)
    west = county_headers(api, WEST_COORDINATOR)
    case = consultation(api, district="east")
    body = {"text": "您好，东区户籍居民可到街道政务服务中心申请公共租赁住房。"}
    hidden = api.post(f"/api/staff/cases/{case['case_id']}/answer", body, west)
    assert hidden.status == 404
    answered = api.ok(api.post(f"/api/staff/cases/{case['case_id']}/answer", body, east))
    assert answered["replies"][-1]["department"] == {"id": EAST, "name": "东区网络问政平台"}
    api.ok(api.rate(case["case_id"], case["tracking_code"], "basically_satisfied"))
    month = api.now().strftime("%Y-%m")
    own = api.ok(api.get(f"/api/rankings?month={month}&county={EAST}"))
    assert [
        (r["id"], r["assigned"], r["closed"], r["platform"]) for r in own["direct_answers"]
    ] == [(EAST, 1, 1, True)]


def test_the_rankings_give_the_platforms_direct_answers_a_line_of_their_own(api: Api) -> None:
    for rating in ("satisfied", "unsatisfied"):
        case = consultation(api)
        api.ok(
            api.act(
                case["case_id"], "answer", {"text": "您好，外地户籍连续缴纳社保满一年即可申请。"}
            )
        )
        api.ok(api.rate(case["case_id"], case["tracking_code"], rating))
    api.replied_case()
    month = api.now().strftime("%Y-%m")
    ranking = api.ok(api.get(f"/api/rankings?month={month}"))
    (line,) = ranking["direct_answers"]
    assert line["id"] == "city" and line["platform"] is True and line["rank"] is None
    assert (line["assigned"], line["replied"], line["rated"], line["satisfied"]) == (2, 2, 2, 1)
    assert (line["closed"], line["reopened"]) == (1, 1)
    assert "city" not in {r["id"] for r in ranking["departments"]}
    assert {r["id"] for r in ranking["departments"] if r["assigned"]} == {"dept-1"}


# --- reply templates -------------------------------------------------------------------------


def test_a_unit_keeps_templates_through_its_desk_and_its_handling_page_gets_them_filled(
    api: Api,
) -> None:
    token = api.desk_token("dept-1@dept.example")
    headers = {"X-Link-Token": token}
    empty = api.ok(api.get("/api/desk/templates", headers))
    assert empty["templates"] == [] and "编号" in empty["placeholders"]
    saved = api.ok(
        api.call(
            "PUT",
            "/api/desk/templates",
            {
                "templates": [
                    {
                        "name": "已办结",
                        "text": "您好！关于您反映的“{标题}”（编号 {编号}），"
                        "我单位已于{今天}办理完毕。",
                    },
                    {"name": "短", "text": "已阅。"},
                ]
            },
            headers,
        )
    )
    assert [t["name"] for t in saved["templates"]] == ["已办结", "短"]
    bad = api.call(
        "PUT", "/api/desk/templates", {"templates": [{"name": "x", "text": "{手机号}"}]}, headers
    )
    assert bad.status == 400 and "templates[0].text" in bad.fields
    assert api.get("/api/desk/templates", {"X-Link-Token": "nope"}).status == 401
    created, link = api.assigned_case()
    view = api.ok(api.handle(link))
    assert view["templates"] == []  # not yet signed: it may not reply
    api.ok(api.handle_act(link, "sign"))
    view = api.ok(api.handle(link))
    filled = view["templates"][0]["text"]
    assert created["case_id"] in filled and "小区电梯停运两个月无人维修" in filled
    assert "{" not in filled and "2026年11月2日" in filled
    # A template is only a draft: too short a reply is refused as any.
    short = api.handle_act(
        link, "reply", {"outcome": "resolved", "text": view["templates"][1]["text"]}
    )
    assert short.status == 400 and "text" in short.fields
