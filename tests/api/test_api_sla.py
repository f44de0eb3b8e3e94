"""The `sla-sweep` scheduled function through Chalice's Lambda test client: every rung of the
ladder on both clocks, each sent once, the 黄牌/红牌 lists, a sweep killed midway, and a
department acting while the sweep runs.

The case is assigned Mon 2026-11-02 10:00 Shanghai (a general complaint): the response clock
(8 working hours) is due Tue 11-03 10:00, the reply clock (5 working days) Mon 11-09 23:59:59.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from chalice.test import Client

from tests.api.helpers import STAFF, Api, Link, dept_email, reply_body, sh, sweep


def ladder_messages(api: Api, case_id: str) -> list[dict[str, Any]]:
    return [m for m in api.messages(case_id=case_id) if m["template"].startswith("sla_")]


def sent(api: Api, case_id: str) -> list[tuple[str, str, str]]:
    return sorted((m["template"], m["channel"], m["to"]) for m in ladder_messages(api, case_id))


def test_the_ladder_on_both_clocks_each_rung_once(api: Api, client: Client) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]

    # 50% of the response clock: a reminder to the handler, with a fresh working link.
    assert sweep(api, client, sh(11, 2, 14, 1)) == {
        "due": 1,
        "climbed": 1,
        "rungs": 1,
        "unchanged": 0,
        "raced": 0,
        "failed": 0,
    }
    assert sent(api, case_id) == [("sla_half", "email", dept_email("dept-1"))]
    (half,) = ladder_messages(api, case_id)
    assert "签收时限已用去 50%" in half["body"]
    fresh = Link(half["body"].split("handle.html#t=")[1].split()[0], "dept-1", case_id)
    assert api.ok(api.handle(fresh))["case"]["case_id"] == case_id

    # The same instant again: nothing new.
    assert sweep(api, client, sh(11, 2, 14, 1))["climbed"] == 0
    assert len(ladder_messages(api, case_id)) == 1

    # 80% (6.4 of 8 working hours): a second reminder, to the handler again.
    assert sweep(api, client, sh(11, 2, 16, 24))["rungs"] == 1
    assert ("sla_late", "email", dept_email("dept-1")) in sent(api, case_id)

    # The response deadline: 催办 to the handler and the spokesperson, by email and SMS.
    assert sweep(api, client, sh(11, 3, 10))["rungs"] == 1
    assert sent(api, case_id) == sorted(
        [
            ("sla_due", "email", dept_email("dept-1")),
            ("sla_due", "email", "dept-1-fyr@dept.example"),
            ("sla_due", "sms", "+8613900000001"),
            ("sla_half", "email", dept_email("dept-1")),
            ("sla_late", "email", dept_email("dept-1")),
        ]
    )
    sms = next(m for m in ladder_messages(api, case_id) if m["channel"] == "sms")
    assert len(sms["body"]) <= 70 and case_id in sms["body"]

    # Signing stops the response clock; the reply clock climbs on.
    api.set_clock(sh(11, 3, 10, 30))
    api.ok(api.handle_act(link, "sign"))
    before = len(ladder_messages(api, case_id))
    report = sweep(api, client, sh(11, 10, 17))  # reply: half, 80%, due, 1 working day over
    assert (report["climbed"], report["rungs"]) == (1, 4)
    new = sorted((m["template"], m["to"]) for m in ladder_messages(api, case_id)[before:])
    assert new == [
        ("sla_yellow", STAFF["coordinator"]),
        ("sla_yellow", "dept-1-leader@dept.example"),
    ]
    yellow = api.ok(api.get("/api/staff/overdue?card=yellow", api.as_role("coordinator")))
    assert [i["case_id"] for i in yellow["items"]] == [case_id]
    assert yellow["items"][0]["card_label"] == "黄牌"
    assert yellow["items"][0]["overdue_working_days"] == 1
    assert api.ok(api.get("/api/overdue"))["items"] == []  # the public sees red cards only

    # 5 working days over: 红牌, on the public overdue page of the department.
    sweep(api, client, sh(11, 16, 17))
    assert ("sla_red", "sms", "+8613900000001") in sent(api, case_id)
    public = api.ok(api.get("/api/overdue?department=dept-1"))
    assert [i["case_id"] for i in public["items"]] == [case_id]
    assert public["items"][0]["card"] == "red"
    assert public["items"][0]["overdue_working_days"] == 5
    assert api.ok(api.get("/api/overdue?department=dept-2"))["items"] == []
    shown = api.ok(api.public(case_id))
    reminders = [e for e in shown["timeline"] if e["type"] == "reminder"]
    assert [e["label"] for e in reminders] == ["督办"] * 8  # 3 response rungs, 5 reply
    assert "红牌督办" in reminders[-1]["note"]

    # The reply stops the last clock: off every list, out of the sweep's index.
    api.set_clock(sh(11, 16, 18))
    api.ok(api.handle_act(link, "reply", reply_body()))
    assert api.ok(api.get("/api/overdue"))["items"] == []
    staff_red = api.ok(api.get("/api/staff/overdue?card=red", api.as_role("coordinator")))
    assert staff_red["items"] == []
    assert sweep(api, client, sh(12, 31, 12))["due"] == 0
    from functions.storage.models import CaseModel

    assert CaseModel.get(case_id).next_check_key is None


def test_a_sweep_killed_midway_is_completed_by_the_next_without_duplicates(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = api.assigned_case("dept-1")[0]["case_id"]
    second = api.assigned_case("dept-2")[0]["case_id"]
    from functions.services import sweeps as service  # the loop over the due cases

    real_commit = service.commit
    calls: list[str] = []

    def dies_on_the_second(result: Any, now: datetime) -> Any:
        calls.append(result.case.case_id)
        if len(calls) == 2:
            raise SystemExit("the Lambda timed out")
        return real_commit(result, now)

    monkeypatch.setattr(service, "commit", dies_on_the_second)
    with pytest.raises(SystemExit):
        sweep(api, client, sh(11, 2, 14, 1))
    monkeypatch.setattr(service, "commit", real_commit)

    report = sweep(api, client, sh(11, 2, 14, 5))
    assert (report["due"], report["climbed"]) == (1, 1)  # only the one left over
    assert sweep(api, client, sh(11, 2, 14, 10))["due"] == 0
    for case_id in (first, second):
        assert [m["template"] for m in ladder_messages(api, case_id)] == ["sla_half"]


def test_a_department_acting_during_the_sweep_wins(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep read the case, the department signed before the sweep wrote: the sweep's
    write fails its version condition and sends nothing; the stopped clock sends nothing
    later either."""
    created, link = api.assigned_case("dept-1")
    from functions.domain import sla as rules
    from functions.services import sla as service

    real_climb = rules.climb

    def sign_meanwhile(case: Any, now: datetime, clock: Any) -> Any:
        result = real_climb(case, now, clock)
        api.ok(api.handle_act(link, "sign"))
        return result

    api.set_clock(sh(11, 2, 14, 1))
    monkeypatch.setattr(service.sla, "climb", sign_meanwhile)
    assert sweep(api, client, sh(11, 2, 14, 1))["raced"] == 1
    monkeypatch.setattr(service.sla, "climb", real_climb)
    assert sweep(api, client, sh(11, 2, 14, 1))["due"] == 0  # next look: the reply clock's half
    assert ladder_messages(api, created["case_id"]) == []


def test_the_sweep_runs_from_the_dev_route_and_bad_card_is_named(api: Api) -> None:
    created, _ = api.assigned_case("dept-1")
    api.set_clock(sh(11, 2, 14, 1))
    result = api.ok(api.post("/api/dev/jobs/sla-sweep"))["result"]
    assert result["climbed"] == 1
    assert [m["template"] for m in ladder_messages(api, created["case_id"])] == ["sla_half"]
    bad = api.get("/api/staff/overdue?card=green", api.as_role("coordinator"))
    assert bad.status == 400 and "card" in bad.fields


def test_every_email_to_a_handler_carries_a_fresh_link(api: Api, client: Client) -> None:
    created, link = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    co = api.link("dept-2", case_id)
    api.ok(api.handle_act(co, "input", {"text": "经核查，该路段排水管网属市政设施。"}))
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "extension", {"working_days": 3, "reason": "需协调施工单位"}))
    api.ok(api.act(case_id, "extension-decision", {"decision": "approve", "note": "同意"}))
    sweep(api, client, sh(11, 6, 14))  # 50% of the extended reply clock: Fri 13:30
    mails = api.messages(case_id=case_id, to=dept_email("dept-1"), channel="email")
    templates = [m["template"] for m in mails]
    assert {"assigned_lead", "co_input", "extension_approved", "sla_half"} <= set(templates)
    tokens = [m["body"].split("handle.html#t=")[1].split()[0] for m in mails]
    assert len(set(tokens)) == len(mails)  # every one of them, each its own link
    for token in tokens:  # and every link is live for the current assignment
        assert api.handle(Link(token, "dept-1", case_id)).status == 200


def test_one_case_that_cannot_be_written_does_not_hold_up_the_others(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = api.assigned_case("dept-1")[0]["case_id"]
    second = api.assigned_case("dept-2")[0]["case_id"]
    from functions.domain.errors import Unavailable
    from functions.services import sweeps as service  # the loop over the due cases

    real_commit = service.commit

    def storage_trouble_on(case_id: str) -> Any:
        def commit(result: Any, now: datetime) -> Any:
            if result.case.case_id == case_id:
                raise Unavailable("服务暂时繁忙", "transaction conflict", "unavailable")
            return real_commit(result, now)

        return commit

    monkeypatch.setattr(service, "commit", storage_trouble_on(first))
    report = sweep(api, client, sh(11, 2, 14, 1))
    assert (report["due"], report["climbed"], report["failed"]) == (2, 1, 1)
    monkeypatch.setattr(service, "commit", real_commit)
    assert sweep(api, client, sh(11, 2, 14, 5))["climbed"] == 1  # the one left, next run
    for case_id in (first, second):
        assert [m["template"] for m in ladder_messages(api, case_id)] == ["sla_half"]


def test_a_cursor_from_another_list_is_a_400(api: Api) -> None:
    import base64
    import json

    forged = {
        "case_id": {"S": "WZ20261102-AAAAAA"},
        "card": {"S": "yellow"},
        "card_key": {"S": "2026-11-09T15:59:59Z#WZ20261102-AAAAAA"},
    }
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    answer = api.get(f"/api/overdue?cursor={cursor}")
    assert answer.status == 400 and "cursor" in answer.fields
