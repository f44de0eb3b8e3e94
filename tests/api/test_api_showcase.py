"""回音壁 over HTTP: a coordinator features a closed public case with an editorial summary (and
an optional before/after note), edits it, takes it down; the public reads the wall newest
first, ten a page, every entry exactly once, the citizen's rating as given, no contact data.
Only closed cases the citizen agreed to publish and the coordinator approved can be featured."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from tests.api.helpers import CONTENT_PHONE, EMAIL, NAME, PHONE, Api, event_types, reply_body

SUMMARY = "电梯停运两个月，交办后一周内恢复运行，留言人表示满意。"
BEFORE_AFTER = "办理前：3 号楼电梯停运两个月；办理后：更换主板，恢复运行。"


def closed_case(
    api: Api, rating: str = "satisfied", comment: str | None = None, **overrides: Any
) -> str:
    """A public case through reply and the citizen's rating to 已办结."""
    created, _ = api.replied_case(**overrides)
    api.ok(api.rate(created["case_id"], created["tracking_code"], rating, comment))
    case_id: str = created["case_id"]
    assert api.staff_case(case_id)["state"] == "closed"
    return case_id


def feature(api: Api, case_id: str, role: str = "coordinator", **body: Any) -> Any:
    return api.act(case_id, "feature", {"summary": SUMMARY, **body}, role)


def wall(api: Api, cursor: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = api.ok(
        api.get("/api/showcase" + (f"?cursor={cursor}" if cursor else ""))
    )
    return found


def test_a_coordinator_features_a_closed_public_case_and_the_wall_shows_it(api: Api) -> None:
    assert wall(api) == {"items": [], "next_cursor": None}
    case_id = closed_case(api)
    before = api.staff_case(case_id)
    assert before["can_feature"] is True and before["featured"] is None

    view = api.ok(feature(api, case_id, before_after=BEFORE_AFTER))
    assert view["state"] == "closed" and view["case_id"] == case_id
    assert view["featured"]["summary"] == SUMMARY
    assert view["featured"]["before_after"] == BEFORE_AFTER
    assert view["featured"]["featured_by"] == "coordinator@wenzheng.example"
    assert view["featured"]["featured_at"] == view["featured"]["updated_at"]
    # The action is on the case's timeline for staff, never on the public one.
    last = view["events"][-1]
    assert last["type"] == "featured" and last["label"] == "精选到回音壁"
    assert last["public"] is False and last["note"] == SUMMARY
    assert last["data"]["before_after"] == BEFORE_AFTER
    assert "featured" not in event_types(api.ok(api.public(case_id))["timeline"])

    (item,) = wall(api)["items"]
    assert item["case_id"] == case_id
    assert item["title"] == "小区电梯停运两个月无人维修"
    assert item["kind"] == "complaint" and item["kind_label"] == "投诉"
    assert item["category_label"] == "城乡建设" and item["district_label"] == "市本级"
    assert item["department"] == {"id": "dept-1", "name": "市住房和城乡建设局"}
    assert item["reply"]["outcome"] == "resolved" and item["reply"]["outcome_label"] == "已解决"
    assert item["reply"]["text"].startswith("您好！经现场核查")
    assert item["reply"]["planned_date"] is None and item["reply"]["at"]
    assert item["rating"]["rating"] == "satisfied" and item["rating"]["rating_label"] == "满意"
    assert item["summary"] == SUMMARY and item["before_after"] == BEFORE_AFTER
    assert item["featured_at"] == view["featured"]["featured_at"]
    assert "[电话已隐藏]" in item["excerpt"]


def test_the_wall_shows_the_rating_as_given_and_no_contact_data(api: Api) -> None:
    comment = f"基本解决了，但拖得有点久。有事打 {PHONE}"
    case_id = closed_case(api, "basically_satisfied", comment)
    api.ok(feature(api, case_id))
    answer = api.get("/api/showcase")
    (item,) = answer.body["items"]
    assert item["rating"]["rating"] == "basically_satisfied"
    assert item["rating"]["rating_label"] == "基本满意"
    assert item["rating"]["comment"] == "基本解决了，但拖得有点久。有事打 [电话已隐藏]"
    text = json.dumps(answer.body, ensure_ascii=False)
    for secret in (NAME, PHONE, EMAIL, CONTENT_PHONE):
        assert secret not in text
    assert not {"contact", "name", "phone", "email", "tracking_code"} & set(item)


def test_only_closed_cases_the_public_may_see_can_be_featured(api: Api) -> None:
    unknown = feature(api, "WZ20261102-NOSUCH")
    assert unknown.status == 404 and unknown.code == "case_not_found"

    replied, _ = api.replied_case()
    open_case = feature(api, replied["case_id"])
    assert open_case.status == 409 and open_case.code == "showcase_not_closed"
    assert "已办结" in open_case.error["message"] and "已答复" in open_case.error["message"]
    assert "closed" in open_case.error["message_en"]
    assert api.staff_case(replied["case_id"])["can_feature"] is False

    private = closed_case(api, public=False)  # the citizen did not consent
    refused = feature(api, private)
    assert refused.status == 409 and refused.code == "showcase_no_consent"
    assert "留言人未同意公开" in refused.error["message"]
    assert "did not agree" in refused.error["message_en"]

    created = api.submit()  # consented, but the coordinator did not approve it
    api.accept(created["case_id"], public=False)
    api.assign(created["case_id"], "dept-1")
    link = api.link("dept-1", created["case_id"])
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(created["case_id"], created["tracking_code"], "satisfied"))
    unapproved = feature(api, created["case_id"])
    assert unapproved.status == 409 and unapproved.code == "showcase_not_public"
    assert "总平台同意" in unapproved.error["message"]

    for case_id in (replied["case_id"], private, created["case_id"]):
        view = api.staff_case(case_id)
        assert view["featured"] is None and "featured" not in event_types(view["events"])
    assert wall(api)["items"] == []


def test_a_bad_body_names_each_field(api: Api) -> None:
    case_id = closed_case(api)
    empty = api.act(case_id, "feature", {})
    assert empty.status == 400 and set(empty.fields) == {"summary"}
    assert empty.fields["summary"]["message"] == "请填写精选摘要"
    long = api.act(
        case_id, "feature", {"summary": "好" * 301, "before_after": "改" * 301, "by": "me"}
    )
    assert long.status == 400
    assert set(long.fields) == {"summary", "before_after", "by"}
    assert long.fields["summary"]["message"] == "精选摘要不能超过 300 个字"
    assert long.fields["before_after"]["message"] == "办理前后对比不能超过 300 个字"
    assert long.fields["summary"]["message_en"] == "at most 300 characters"
    for summary in ("好", "   "):
        short = api.act(case_id, "feature", {"summary": summary})
        assert short.status == 400 and set(short.fields) == {"summary"}, short.body
    wrong_type = api.act(case_id, "feature", {"summary": 42, "before_after": None})
    assert wrong_type.status == 400 and set(wrong_type.fields) == {"summary", "before_after"}
    assert api.staff_case(case_id)["featured"] is None and wall(api)["items"] == []


def test_only_coordinators_and_admins_feature_and_unfeature(api: Api) -> None:
    case_id = closed_case(api)
    for action, body in (("feature", {"summary": SUMMARY}), ("unfeature", {})):
        path = f"/api/staff/cases/{case_id}/{action}"
        anonymous = api.post(path, body)
        assert anonymous.status == 401 and anonymous.code == "unauthorized"
        for role in ("operator", "auditor"):
            refused = api.post(path, body, api.as_role(role))
            assert refused.status == 403 and refused.code == "forbidden", (role, action)
    assert wall(api)["items"] == []
    view = api.ok(feature(api, case_id, role="admin"))
    assert view["featured"]["featured_by"] == "admin@wenzheng.example"
    assert api.ok(api.act(case_id, "unfeature", {}, "admin"))["featured"] is None


def test_featuring_again_edits_the_summary_in_place(api: Api) -> None:
    first, second = closed_case(api), closed_case(api)
    featured_at = api.ok(feature(api, first, before_after=BEFORE_AFTER))["featured"]["featured_at"]
    api.advance(timedelta(minutes=5))
    api.ok(feature(api, second))
    api.advance(timedelta(minutes=5))
    edited = api.ok(feature(api, first, summary="改写后的精选摘要：一周内修复电梯。"))
    assert edited["featured"]["summary"] == "改写后的精选摘要：一周内修复电梯。"
    assert edited["featured"]["before_after"] is None  # the form sends what it shows
    assert edited["featured"]["featured_at"] == featured_at  # keeps its place on the wall
    assert edited["featured"]["updated_at"] > featured_at
    assert edited["events"][-1]["data"]["edited"] == "true"
    items = wall(api)["items"]
    assert [i["case_id"] for i in items] == [second, first]
    assert items[1]["summary"] == "改写后的精选摘要：一周内修复电梯。"


def test_unfeature_takes_the_case_off_the_wall(api: Api) -> None:
    case_id = closed_case(api)
    never = api.act(case_id, "unfeature", {})
    assert never.status == 404 and never.code == "not_featured"
    assert "不在回音壁" in never.error["message"]
    assert api.act("WZ20261102-NOSUCH", "unfeature", {}).status == 404
    api.ok(feature(api, case_id))
    extra = api.act(case_id, "unfeature", {"reason": "x"})
    assert extra.status == 400 and "reason" in extra.fields

    view = api.ok(api.act(case_id, "unfeature", {}))
    assert view["featured"] is None and view["can_feature"] is True
    assert event_types(view["events"])[-2:] == ["featured", "unfeatured"]
    assert view["events"][-1]["label"] == "撤下回音壁" and view["events"][-1]["public"] is False
    assert wall(api)["items"] == []
    again = api.act(case_id, "unfeature", {})
    assert again.status == 404 and again.code == "not_featured"
    public = api.ok(api.public(case_id))
    assert not {"featured", "unfeatured"} & set(event_types(public["timeline"]))

    # Featured again later, it goes on top as a new entry.
    api.advance(timedelta(minutes=10))
    back = api.ok(feature(api, case_id))
    assert back["featured"]["featured_at"] > view["events"][-2]["at"]
    assert [i["case_id"] for i in wall(api)["items"]] == [case_id]


def test_the_wall_pages_newest_first_and_lists_each_entry_once(api: Api) -> None:
    featured: list[str] = []
    for _ in range(12):
        case_id = closed_case(api)
        api.ok(feature(api, case_id))
        featured.append(case_id)
        api.advance(timedelta(minutes=1))
    first = wall(api)
    assert len(first["items"]) == 10 and first["next_cursor"]
    second = wall(api, first["next_cursor"])
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    listed = [i["case_id"] for i in first["items"] + second["items"]]
    assert listed == featured[::-1]
    stamps = [i["featured_at"] for i in first["items"] + second["items"]]
    assert stamps == sorted(stamps, reverse=True)

    # Taking one down between pages neither repeats nor skips the others.
    api.ok(api.act(featured[0], "unfeature", {}))
    again = wall(api)
    rest = wall(api, again["next_cursor"]) if again["next_cursor"] else {"items": []}
    assert [i["case_id"] for i in again["items"] + rest["items"]] == featured[:0:-1]

    garbage = api.get("/api/showcase?cursor=not-a-cursor")
    assert garbage.status == 400 and "cursor" in garbage.fields
    board_key = {"case_id": {"S": featured[1]}, "created_key": {"S": "x"}, "pub_all": {"S": "1"}}
    foreign = base64.urlsafe_b64encode(json.dumps(board_key).encode()).decode()
    assert api.get(f"/api/showcase?cursor={foreign}").status == 400
