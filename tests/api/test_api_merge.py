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
    assert itself.status == 409 and itself.error["code"] == "same_case"
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
    assert refused.status == 409 and refused.error["code"] == "primary_merged"
    assert primary["case_id"] in refused.error["message"]  # where to merge it instead
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


def test_three_reports_one_answer_and_every_citizen_rates_it(api: Api) -> None:
    """The proof of §2: three citizens report one lift; the coordinator merges two into the
    first; one reply answers all three; each rates it on their own tracking page. The
    primary's citizen closes it; a merged citizen's 不满意 flags the primary for the
    coordinators (an internal event, an e-mail, the queue's filter) and reopens nothing. A
    fourth report merged by mistake is taken back out before the reply and hears nothing of
    it. The ranking counts the group once; the state counts count every report."""
    from tests.api.helpers import reply_body

    lift = "翠湖小区 3 号楼电梯停运，老人上下楼很困难。"
    primary, link = api.assigned_case(title="翠湖小区3号楼电梯停运", content=lift)
    prim = primary["case_id"]
    merged = [
        api.submit(title=f"3号楼电梯又坏了（{n}）", content=lift, contact={"email": f"m{n}@x.cn"})
        for n in (1, 2)
    ]
    mistaken = api.submit(title="5号楼电梯异响", content="翠湖小区 5 号楼电梯运行时异响。")
    for dup in (*merged, mistaken):
        api.ok(merge(api, dup["case_id"], prim))
    api.ok(api.act(mistaken["case_id"], "unmerge", {"note": "5 号楼是另一部电梯"}))
    assert api.staff_case(prim)["merged_cases"] == [m["case_id"] for m in merged]

    # Before the reply there is nothing to rate.
    first = merged[0]
    own = api.track(first["case_id"], first["tracking_code"])
    assert own["primary"]["case_id"] == prim and own["primary"]["reply"] is None
    assert "rate_primary" not in own["actions"]
    early = api.post(
        f"/api/cases/{first['case_id']}/primary-rating",
        {"tracking_code": first["tracking_code"], "rating": "satisfied"},
    )
    assert early.status == 409 and early.error["code"] == "primary_not_replied"

    # One answer (naming the primary's citizen, whom the others must not read of).
    api.ok(api.handle_act(link, "sign"))
    text = "欧阳明月先生：经现场核查，3 号楼电梯主板损坏，已于今日更换，电梯恢复运行。"
    api.ok(api.handle_act(link, "reply", reply_body(text=text)))
    api.deliver()
    for dup in merged:
        told = [
            m for m in api.messages(case_id=dup["case_id"]) if "已答复（并件办理）" in m["subject"]
        ]
        assert len(told) == 1
    assert not [m for m in api.messages(case_id=mistaken["case_id"]) if "已答复" in m["subject"]]

    # Every citizen rates: the primary's own closes it.
    api.ok(api.rate(prim, primary["tracking_code"], "satisfied"))
    seen = api.track(first["case_id"], first["tracking_code"])
    reply = seen["primary"]["reply"]
    assert reply["n"] == 1 and "电梯恢复运行" in reply["text"] and "欧阳明月" not in reply["text"]
    assert reply["rating"] is None and seen["primary"]["state"] == "closed"
    assert seen["actions"] == ["rate_primary"] and "请在本页查看并评价" in seen["next_step"]

    def rate(dup: dict[str, Any], rating: str, comment: str | None = None) -> Any:
        body = {"tracking_code": dup["tracking_code"], "rating": rating}
        if comment:
            body["comment"] = comment
        return api.post(f"/api/cases/{dup['case_id']}/primary-rating", body)

    after = api.ok(rate(first, "basically_satisfied"))
    assert after["state"] == "merged" and after["actions"] == []
    assert after["primary"]["reply"]["rating"]["rating"] == "basically_satisfied"
    assert after["next_step"] == "您已评价主件的答复，感谢您的参与。"
    again = rate(first, "unsatisfied")
    assert again.status == 409 and again.error["code"] == "already_rated"
    wrong = api.post(
        f"/api/cases/{first['case_id']}/primary-rating",
        {"tracking_code": "WRONG-CODE", "rating": "satisfied"},
    )
    assert wrong.status == 404

    second = merged[1]
    api.ok(rate(second, "unsatisfied", "电梯换了主板但还是经常停"))
    staff = api.staff_case(prim)
    assert staff["state"] == "closed" and staff["reopen_count"] == 0  # reopens nothing
    [complaint] = staff["merged_complaints"]
    assert complaint["case_id"] == second["case_id"] and complaint["current"] is True
    flag = next(e for e in staff["events"] if e["type"] == "merged_unsatisfied")
    assert flag["public"] is False and "经常停" in flag["note"]
    public = api.ok(api.public(prim))
    assert all(e["type"] != "merged_unsatisfied" for e in public["timeline"])
    mail = next(
        m
        for m in api.messages(case_id=prim, to="coordinator@wenzheng.example")
        if "并件不满意" in m["subject"]
    )
    assert second["case_id"] in mail["body"] and "经常停" in mail["body"]
    flagged = api.queue(state="closed", merged_unsatisfied="1")["items"]
    assert [c["case_id"] for c in flagged] == [prim] and flagged[0]["merged_complaints"] == 1
    assert api.queue(state="closed")["items"]  # the filter narrows, the bucket is not empty
    assert api.staff_case(second["case_id"])["merged"]["ratings"][0]["rating"] == "unsatisfied"

    # The group counts once in the ranking, every report in the counts.
    rows = {r["id"]: r for r in api.ok(api.get("/api/rankings?month=2026-11"))["departments"]}
    assert rows["dept-1"]["assigned"] == 1 and rows["dept-1"]["rated"] == 1
    counts = api.counts()
    assert counts["merged"] == 2 and counts["submitted"] >= 1 and counts["closed"] == 1
