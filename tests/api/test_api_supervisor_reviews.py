"""监督评议 over HTTP (§16): a supervisor (人大代表, 政协委员, 特约监督员, media) reviews a closed
public case; the review waits for a coordinator; approved, the public case page shows it with
the supervisor's title, apart from the citizen's rating; rejected, never. A supervisor acts
on no case and sees nothing of a case the public cannot see."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import NAME, PHONE, STAFF, Api

TEXT = "该件答复及时，整改措施具体，群众满意，值得肯定。"
TITLE = "市人大代表 张建国"


def closed_case(api: Api, **overrides: Any) -> str:
    """A public case through reply and the citizen's 满意 to 已办结."""
    created, _ = api.replied_case(**overrides)
    api.ok(api.rate(created["case_id"], created["tracking_code"], "satisfied"))
    case_id: str = created["case_id"]
    assert api.staff_case(case_id)["state"] == "closed"
    return case_id


def review(api: Api, case_id: str, text: str = TEXT, role: str = "supervisor") -> Any:
    return api.post(f"/api/staff/cases/{case_id}/reviews", {"text": text}, api.as_role(role))


def moderate(api: Api, review_id: str, decision: str, note: str | None = None) -> Any:
    body = {"decision": decision, **({"note": note} if note else {})}
    return api.post(f"/api/staff/reviews/{review_id}/moderation", body, api.as_role("coordinator"))


def pending(api: Api) -> list[dict[str, Any]]:
    found = api.ok(api.get("/api/staff/reviews?state=pending", api.as_role("coordinator")))
    items: list[dict[str, Any]] = found["items"]
    return items


def test_a_supervisor_reviews_a_closed_case_and_it_waits_for_moderation(api: Api) -> None:
    case_id = closed_case(api)
    written = api.ok(review(api, case_id))
    assert written["case_id"] == case_id and written["state"] == "pending"
    assert written["state_label"] == "待审核"
    assert written["title"] == TITLE and written["supervisor_kind_label"] == "人大代表"
    assert written["text"] == TEXT and written["case_title"] == "小区电梯停运两个月无人维修"
    assert "author" not in written  # the moderator's fields are not the author's
    # Pending: not on the public page; in the coordinators' queue with its author.
    assert api.ok(api.public(case_id))["reviews"] == []
    (queued,) = pending(api)
    assert queued["review_id"] == written["review_id"]
    assert queued["author"] == STAFF["supervisor"]
    # The supervisor's own list shows it with its state.
    mine = api.ok(api.get("/api/staff/reviews/mine", api.as_role("supervisor")))
    assert [(r["case_id"], r["state"]) for r in mine["items"]] == [(case_id, "pending")]
    # One review per supervisor per case: writing again rewrites it while it is pending.
    again = api.ok(review(api, case_id, TEXT + "建议总结推广。"))
    assert again["review_id"] == written["review_id"] and again["text"].endswith("推广。")
    assert again["written_at"] == written["written_at"]
    assert len(pending(api)) == 1


def test_an_approved_review_is_public_with_the_title_apart_from_the_rating(api: Api) -> None:
    case_id = closed_case(api)
    written = api.ok(review(api, case_id))
    approved = api.ok(moderate(api, written["review_id"], "approve"))
    assert approved["state"] == "approved" and approved["moderated_by"] == STAFF["coordinator"]
    assert pending(api) == []
    page = api.ok(api.public(case_id))
    (shown,) = page["reviews"]
    assert shown == {
        "review_id": written["review_id"],
        "title": TITLE,
        "supervisor_kind": "npc_deputy",
        "supervisor_kind_label": "人大代表",
        "text": TEXT,
        "written_at": written["written_at"],
    }
    # The citizen's rating stays where it was, on the reply.
    assert page["replies"][-1]["rating"]["rating"] == "satisfied"
    # Decided: final.
    assert review(api, case_id, "想再补充一句评议内容。").code == "review_moderated"
    assert moderate(api, written["review_id"], "reject", "重复").code == "review_moderated"
    mine = api.ok(api.get("/api/staff/reviews/mine", api.as_role("supervisor")))
    assert mine["items"][0]["state_label"] == "已公开"
    listed = api.ok(api.get("/api/staff/reviews?state=approved", api.as_role("admin")))
    assert [r["review_id"] for r in listed["items"]] == [written["review_id"]]


def test_a_rejected_review_is_never_public(api: Api) -> None:
    case_id = closed_case(api)
    written = api.ok(review(api, case_id))
    assert "note" in moderate(api, written["review_id"], "reject").fields  # say why
    rejected = api.ok(moderate(api, written["review_id"], "reject", "涉及未核实的情况"))
    assert rejected["state"] == "rejected" and rejected["note"] == "涉及未核实的情况"
    assert api.ok(api.public(case_id))["reviews"] == []
    assert review(api, case_id).code == "review_moderated"
    assert api.ok(api.public(case_id))["reviews"] == []
    mine = api.ok(api.get("/api/staff/reviews/mine", api.as_role("supervisor")))
    assert mine["items"][0]["note"] == "涉及未核实的情况"


def test_only_closed_public_cases_take_reviews(api: Api) -> None:
    open_case, _ = api.assigned_case()
    answer = review(api, open_case["case_id"])
    assert answer.status == 409 and answer.code == "review_case_open"
    private = closed_case(api, public=False)
    assert review(api, private).status == 404  # what the public cannot see, nor can they
    assert review(api, "WZ20261102-NOSUCH").status == 404
    assert moderate(api, "WZ20261102-NOSUCH-12345678", "approve").code == "no_such_review"
    assert moderate(api, "nonsense", "approve").code == "no_such_review"


def test_a_review_has_length_limits(api: Api) -> None:
    case_id = closed_case(api)
    assert "text" in review(api, case_id, "好").fields
    assert "text" in review(api, case_id, "很" * 501).fields
    assert "text" in review(api, case_id, " " * 12).fields
    assert api.ok(review(api, case_id, "很" * 500))["state"] == "pending"


def test_the_public_text_is_scrubbed_of_the_citizens_contact_data(api: Api) -> None:
    case_id = closed_case(api)
    written = api.ok(review(api, case_id, f"已电话回访{NAME}（{PHONE}），群众表示满意。"))
    assert NAME in written["text"]  # as written, for the author and the moderator
    assert NAME not in written["public_text"] and PHONE not in written["public_text"]
    api.ok(moderate(api, written["review_id"], "approve"))
    (shown,) = api.ok(api.public(case_id))["reviews"]
    assert shown["text"] == written["public_text"]


def test_a_supervisor_acts_on_no_case_and_others_do_not_review(api: Api) -> None:
    case_id = closed_case(api)
    supervisor = api.as_role("supervisor")
    for path in (
        "/api/staff/queue",
        f"/api/staff/cases/{case_id}",
        "/api/staff/reviews",
        "/api/admin/staff",
    ):
        assert api.get(path, supervisor).code == "forbidden", path
    assert api.act(case_id, "feature", {"summary": "很好"}, "supervisor").code == "forbidden"
    for role in ("coordinator", "operator", "auditor", "admin"):
        assert review(api, case_id, role=role).code == "forbidden", role
    me = api.ok(api.get("/api/staff/me", supervisor))
    assert me["role"] == "supervisor" and me["title"] == TITLE


def test_an_admin_creates_a_supervisor_with_a_title_and_kind(api: Api) -> None:
    admin = api.as_role("admin")
    bare = {"email": "media@wenzheng.example", "role": "supervisor", "name": "王芳"}
    refused = api.post("/api/admin/staff", bare, admin)
    assert set(refused.fields) == {"title", "supervisor_kind"}
    made = api.ok(
        api.post(
            "/api/admin/staff",
            {**bare, "title": "江城日报记者 王芳", "supervisor_kind": "media"},
            admin,
        ),
        201,
    )
    assert made["title"] == "江城日报记者 王芳" and made["supervisor_kind"] == "media"
    titled_operator = {"email": "op2@wenzheng.example", "role": "operator", "title": "记者"}
    assert "title" in api.post("/api/admin/staff", titled_operator, admin).fields
    case_id = closed_case(api)
    token = api.sign_in_token("media@wenzheng.example")
    opened = api.ok(api.post("/api/staff/session", {"token": token}))
    headers = {"Authorization": f"Bearer {opened['session_token']}"}
    written = api.ok(api.post(f"/api/staff/cases/{case_id}/reviews", {"text": TEXT}, headers))
    assert written["title"] == "江城日报记者 王芳" and written["supervisor_kind_label"] == "媒体"
    # Another supervisor's review of the same case is another review.
    assert api.ok(review(api, case_id))["review_id"] != written["review_id"]
    assert len(pending(api)) == 2
