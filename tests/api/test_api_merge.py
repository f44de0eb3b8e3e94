"""并件 (§14, issue 16 §2): the coordinator merges a duplicate into the case reporting the same
problem; both change in one transaction, the duplicate's citizen is told where it went, the
public and tracking views say ``merged``, the primary counts what follows it; within 5
working days the merge can be undone and both citizens are told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.helpers import EMAIL, Api

NOTE = "与主件反映的是同一处路灯"


def cases(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    primary = api.submit(title="解放路翠湖街口路灯不亮", content="解放路翠湖街口三盏路灯一周不亮。")
    api.accept(primary["case_id"])
    duplicate = api.submit(title="翠湖街口路灯坏了", content="翠湖街口的路灯坏了一个星期了。")
    return primary, duplicate


def merge(api: Api, case_id: str, into: str, note: str = NOTE) -> Any:
    return api.act(case_id, "merge", {"into": into, "note": note})


def test_a_duplicate_follows_its_primary_and_both_change_in_one_transaction(api: Api) -> None:
    from functions.storage.models import CaseModel

    primary, duplicate = cases(api)
    sent: list[dict[str, Any]] = []

    def watch(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    client = CaseModel._get_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", watch)
    try:
        merged = api.ok(merge(api, duplicate["case_id"], primary["case_id"]))
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", watch)
    assert len(sent) == 1
    written = [
        op["Put"]["Item"]["case_id"]["S"]
        for op in sent[0]["TransactItems"]
        if "Put" in op and op["Put"]["TableName"].endswith("-cases")
    ]
    assert sorted(written) == sorted([primary["case_id"], duplicate["case_id"]])

    assert merged["state"] == "merged"
    assert (
        merged["merged"]["into"] == primary["case_id"] and merged["merged"]["left"] == "submitted"
    )
    staff = api.staff_case(primary["case_id"])
    assert staff["merged_cases"] == [duplicate["case_id"]]
    assert any(e["type"] == "merged_in" for e in staff["events"])

    own = api.track(duplicate["case_id"], duplicate["tracking_code"])
    assert own["state"] == "merged" and own["merged_into"] == primary["case_id"]
    assert "合并办理" in own["next_step"]
    public = api.ok(api.public(primary["case_id"]))
    assert public["merged_count"] == 1
    assert any(e["type"] == "merged_in" for e in public["timeline"])
    told = api.messages(case_id=duplicate["case_id"], to=EMAIL)
    notice = next(m for m in told if "合并办理" in m["subject"])
    assert primary["case_id"] in notice["body"]


def test_a_merge_is_refused_clearly_and_changes_nothing(api: Api) -> None:
    primary, duplicate = cases(api)
    dup = duplicate["case_id"]
    unknown = merge(api, dup, "WZ20261102-ZZZZZZ")
    assert unknown.status == 400 and set(unknown.fields) == {"into"}
    itself = merge(api, dup, dup)
    assert itself.status == 400 and set(itself.fields) == {"into"}
    bad = api.act(dup, "merge", {"into": "nonsense", "note": ""})
    assert bad.status == 400 and set(bad.fields) == {"into", "note"}
    assert (
        api.act(dup, "merge", {"into": primary["case_id"], "note": NOTE}, role="admin").status
        == 200
    )

    # A case others follow cannot follow another; a merged case is no primary.
    third = api.submit(title="翠湖街路灯", content="翠湖街的路灯晚上一直不亮。")["case_id"]
    refused = merge(api, primary["case_id"], third)
    assert refused.status == 409 and refused.error["code"] == "has_merged_cases"
    refused = merge(api, third, dup)
    assert refused.status == 409 and refused.error["code"] == "primary_not_open"
    assert api.staff_case(third)["state"] == "submitted"


def test_a_department_or_a_citizen_cannot_merge(api: Api) -> None:
    primary, duplicate = cases(api)
    body = {"into": primary["case_id"], "note": NOTE}
    assert api.post(f"/api/staff/cases/{duplicate['case_id']}/merge", body).status == 401
    assigned, _link = api.assigned_case()
    late = merge(api, assigned["case_id"], primary["case_id"])
    assert late.status == 409 and late.error["code"] == "invalid_transition"


def test_unmerge_within_five_working_days_returns_the_case_and_tells_both_citizens(
    api: Api,
) -> None:
    primary, duplicate = cases(api)
    dup, prim = duplicate["case_id"], primary["case_id"]
    api.ok(merge(api, dup, prim))
    assert "unmerge" in api.staff_case(dup)["actions"]

    back = api.ok(api.act(dup, "unmerge", {"note": "核实后不是同一处路灯"}))
    assert back["state"] == "submitted" and back["merged"] is None
    assert api.staff_case(prim)["merged_cases"] == []
    assert any("撤销并件" in m["subject"] for m in api.messages(case_id=dup, to=EMAIL))
    assert any("撤销并件" in m["subject"] for m in api.messages(case_id=prim, to=EMAIL))
    # It can be merged again, and accepted on its own.
    api.ok(merge(api, dup, prim))
    api.ok(api.act(dup, "unmerge", {"note": "再次核实，仍单独办理"}))
    api.accept(dup)


def test_after_five_working_days_the_merge_stands(api: Api) -> None:
    primary, duplicate = cases(api)
    dup = duplicate["case_id"]
    api.ok(merge(api, dup, primary["case_id"]))
    api.set_clock(api.now() + timedelta(days=10))  # two weekends: more than 5 working days
    assert "unmerge" not in api.staff_case(dup)["actions"]
    late = api.act(dup, "unmerge", {"note": "核实后不是同一处"})
    assert late.status == 409 and late.error["code"] == "unmerge_window_closed"


def test_the_primarys_reply_reaches_every_merged_citizen_once(api: Api) -> None:
    from tests.api.helpers import reply_body

    primary, link = api.assigned_case()
    prim = primary["case_id"]
    followers = []
    for n, phone in enumerate(("13900000001", "13900000002")):
        dup = api.submit(
            title=f"小区电梯又坏了{n}",
            content="翠湖小区 3 号楼电梯又停运了，老人上下楼很困难。",
            contact={"phone": phone, "email": f"dup{n}@example.com"},
        )
        api.ok(merge(api, dup["case_id"], prim))
        followers.append(dup)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.deliver()  # the fan-out is expanded; its messages go out on the next run

    for dup in followers:
        mails = [
            m for m in api.messages(case_id=dup["case_id"]) if "已答复（并件办理）" in m["subject"]
        ]
        assert len(mails) == 1 and prim in mails[0]["body"]
        texts = [m for m in api.messages(case_id=dup["case_id"]) if m["channel"] == "sms"]
        assert any("统一答复" in m["body"] for m in texts)
    api.deliver()  # a later run sends nothing twice
    for dup in followers:
        mails = [
            m for m in api.messages(case_id=dup["case_id"]) if "已答复（并件办理）" in m["subject"]
        ]
        assert len(mails) == 1
