"""答复审核 (issue 17 §6, DESIGN §15): a policy per level and kind has the platform holding a
case review its units' replies to cases of those kinds before the citizen reads them. Off (the
default) nothing changes; on, the lead's reply waits as a draft (答复待审核; the public and the
citizen still see 办理中) and the platform's coordinators are told; approving publishes it as an
unreviewed reply is published, returning sends it back to the lead with the note on its old
reply deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api import test_api_counties
from tests.api.helpers import Api, reply_body
from tests.api.test_api_counties import EAST_COORDINATOR, WEST_COORDINATOR, act, county_headers

counties = test_api_counties.counties  # two county platforms with a town and a coordinator each


EVERY_KIND = ["consultation", "suggestion", "complaint", "help", "praise"]


def put_policy(api: Api, body: dict[str, Any]) -> Any:
    return api.call("PUT", "/api/admin/policy", body, api.as_role("admin"))


def county_case(api: Api, east: dict[str, str]) -> tuple[dict[str, Any], Any]:
    """A case in 东区 the county accepted and gave to its town, signed by the town."""
    created = api.submit(district="east")
    case_id = created["case_id"]
    api.ok(act(api, east, case_id, "accept", {"urgency": "general", "public": True}))
    api.ok(act(api, east, case_id, "assign", {"lead": "east-town", "co_handlers": []}))
    link = api.link("east-town", case_id)
    api.ok(api.handle_act(link, "sign"))
    return created, link


def test_with_review_off_a_reply_reaches_the_citizen_at_once(api: Api) -> None:
    policy = api.ok(api.get("/api/admin/policy", api.as_role("admin")))
    assert policy["reply_review"] == {"city": [], "county": []}
    created, _ = api.replied_case()
    case = api.staff_case(created["case_id"])
    assert case["state"] == "replied" and case["reply_review"] is None
    assert "reply-review" not in case["actions"]


def test_a_policy_with_an_unknown_level_or_kind_is_refused_field_by_field(api: Api) -> None:
    wrong = put_policy(api, {"reply_review": {"town": [], "county": ["complaint", "rumour"]}})
    assert wrong.status == 400
    fields = set(wrong.fields)
    assert {"reply_review.town", "reply_review.county.1"} <= fields, sorted(fields)
    assert put_policy(api, {"reply_review": {"county": True}}).status == 400  # a list, now


def test_a_county_reviews_only_the_kinds_the_policy_names(counties: Api) -> None:
    api = counties
    api.ok(put_policy(api, {"reply_review": {"county": ["complaint"]}}))
    policy = api.ok(api.get("/api/admin/policy", api.as_role("admin")))
    assert policy["reply_review"] == {"city": [], "county": ["complaint"]}
    east = county_headers(api, EAST_COORDINATOR)
    asked = api.submit(district="east", kind="consultation")
    case_id = asked["case_id"]
    api.ok(act(api, east, case_id, "accept", {"urgency": "general", "public": True}))
    api.ok(act(api, east, case_id, "assign", {"lead": "east-town", "co_handlers": []}))
    link = api.link("east-town", case_id)
    api.ok(api.handle_act(link, "sign"))
    answered = api.ok(api.handle_act(link, "reply", reply_body()))["case"]
    assert answered["state"] == "replied" and answered["reply_review"] is None
    assert not api.messages(case_id=case_id, template="reply_review")
    _, link = county_case(api, east)  # a complaint: reviewed
    waiting = api.ok(api.handle_act(link, "reply", reply_body()))["case"]
    assert waiting["state"] == "reply_review"


def test_a_countys_reviewed_reply_waits_then_reaches_the_citizen_on_approval(
    counties: Api,
) -> None:
    api = counties
    api.ok(put_policy(api, {"reply_review": {"county": EVERY_KIND}}))
    east = county_headers(api, EAST_COORDINATOR)
    west = county_headers(api, WEST_COORDINATOR)
    created, link = county_case(api, east)
    case_id, code = created["case_id"], created["tracking_code"]

    waiting = api.ok(api.handle_act(link, "reply", reply_body()))["case"]
    assert waiting["state"] == "reply_review"
    assert waiting["reply_review"]["waiting"] and waiting["replies"] == []
    # The citizen is told nothing and sees the case being handled; nobody may rate yet.
    assert not api.messages(case_id=case_id, to="citizen@example.com", template="replied")
    tracked = api.track(case_id, code)
    assert tracked["state"] == "in_progress" and tracked["state_label"] == "办理中"
    assert tracked["replies"] == [] and not tracked["can_rate"]
    assert api.rate(case_id, code, "satisfied").status == 409
    assert "reply_submitted" not in [e["type"] for e in api.ok(api.public(case_id))["timeline"]]
    # The county's coordinators are asked to review it.
    asked = api.messages(case_id=case_id, to=EAST_COORDINATOR, template="reply_review")
    assert len(asked) == 1 and "答复待审核" in asked[0]["subject"]
    # … in their queue, and in the console with the draft and the form.
    queue = api.ok(api.get("/api/staff/queue?state=reply_review", east))
    assert [c["case_id"] for c in queue["items"]] == [case_id]
    seen = api.ok(api.get(f"/api/staff/cases/{case_id}", east))
    assert "reply-review" in seen["actions"]
    assert seen["reply_review"]["draft"]["text"] == reply_body()["text"]
    # Another county does not see it at all.
    assert act(api, west, case_id, "reply-review", {"decision": "approve"}).status == 404

    api.advance(timedelta(minutes=20))  # the review takes the platform some time
    approved = api.ok(act(api, east, case_id, "reply-review", {"decision": "approve"}))
    assert approved["state"] == "replied" and approved["reply_review"] is None
    assert len(approved["replies"]) == 1
    types = [e["type"] for e in approved["events"]]
    assert types[-3:] == ["reply_submitted", "reply_approved", "replied"]
    told = api.messages(case_id=case_id, template="replied")
    assert told, "the citizen hears of the reply once approved"
    public = api.ok(api.public(case_id))
    labels = [e["label"] for e in public["timeline"]]
    assert "答复" in labels and "答复审核通过" not in labels and "答复提交审核" not in labels
    assert api.ok(api.rate(case_id, code, "satisfied"))["state"] == "closed"


def test_a_returned_reply_goes_back_to_the_lead_with_the_note_on_its_old_deadline(
    counties: Api,
) -> None:
    api = counties
    api.ok(put_policy(api, {"reply_review": {"county": EVERY_KIND}}))
    east = county_headers(api, EAST_COORDINATOR)
    created, link = county_case(api, east)
    case_id = created["case_id"]
    due = api.staff_case(case_id)["reply_due_at"]
    api.ok(api.handle_act(link, "reply", reply_body()))

    bare = act(api, east, case_id, "reply-review", {"decision": "return"})
    assert bare.status == 400 and set(bare.fields) == {"note"}
    note = "请写明更换主板的完成日期"
    returned = api.ok(act(api, east, case_id, "reply-review", {"decision": "return", "note": note}))
    assert returned["state"] == "in_progress"
    assert returned["reply_due_at"] == due  # no new deadline
    assert returned["reply_review"]["returned_note"] == note
    assert returned["events"][-1]["type"] == "reply_returned"
    # The lead gets a fresh link with the note; its page says why.
    sent = api.messages(case_id=case_id, to="east-town@dept.example", template="reply_returned")
    assert len(sent) == 1 and note in sent[0]["body"] and "handle.html#t=" in sent[0]["body"]
    fresh = api.link("east-town", case_id)
    page = api.ok(api.handle(fresh))
    assert page["case"]["reply_review"]["returned_note"] == note and "reply" in page["actions"]
    assert not api.messages(case_id=case_id, template="replied")

    # The lead replies again: reviewed again.
    again = api.ok(
        api.handle_act(fresh, "reply", reply_body(text="已于本周更换主板，电梯恢复运行。"))
    )
    again = again["case"]
    assert again["state"] == "reply_review" and again["reply_review"]["rounds"] == 1
    approved = api.ok(act(api, east, case_id, "reply-review", {"decision": "approve"}))
    assert approved["replies"][-1]["text"] == "已于本周更换主板，电梯恢复运行。"


def test_only_county_review_leaves_a_city_units_reply_unreviewed(counties: Api) -> None:
    api = counties
    api.ok(put_policy(api, {"reply_review": {"county": EVERY_KIND}}))
    created, _ = api.replied_case()  # dept-1, a city unit on a case the city holds
    case = api.staff_case(created["case_id"])
    assert case["state"] == "replied" and case["holder"]["id"] == "city"


def test_the_city_reviews_its_units_replies_when_its_level_is_on(api: Api) -> None:
    api.ok(put_policy(api, {"reply_review": {"city": EVERY_KIND}}))
    created, link = api.assigned_case()
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    case_id = created["case_id"]
    assert api.staff_case(case_id)["state"] == "reply_review"
    assert api.messages(case_id=case_id, template="reply_review")
    approved = api.ok(api.act(case_id, "reply-review", {"decision": "approve", "note": "同意"}))
    assert approved["state"] == "replied"
    # A decision on a case with nothing to review is a conflict, not a 500.
    assert api.act(case_id, "reply-review", {"decision": "approve"}).status == 409
