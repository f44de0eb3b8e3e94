"""The archive and the auditors (§2): the archive job, read-only archived cases on every
write path, the auditor's queries, case history with its hash chain, exports and the access
log, and the separation of roles."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from functions.storage import case_commit
from tests.api.helpers import Api, reply_body


def closed_case(api: Api, lead: str = "dept-1", **overrides: Any) -> tuple[dict[str, Any], Any]:
    created, link = api.replied_case(lead, **overrides)
    api.ok(api.rate(created["case_id"], created["tracking_code"], "satisfied"))
    return created, link


def archive_now(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post("/api/dev/jobs/archive"))["result"]
    return result


def test_a_closed_case_is_archived_after_thirty_days_and_the_auditor_sees_its_verified_history(
    api: Api,
) -> None:
    created, _ = closed_case(api)
    case_id = created["case_id"]
    api.advance(timedelta(days=29))
    assert archive_now(api)["archived"] == 0
    api.advance(timedelta(days=2))
    assert archive_now(api)["archived"] == 1
    assert archive_now(api)["archived"] == 0  # idempotent: nothing left due

    auditor = api.as_role("auditor")
    record = api.ok(api.get(f"/api/audit/cases/{case_id}", auditor))
    assert record["state"] == "archived"
    types = [e["type"] for e in record["events"]]
    assert types[0] == "submitted" and types[-1] == "archived"
    assert record["events"][0]["prev_hash"] == "0" * 64
    for before, after in itertools.pairwise(record["events"]):
        assert after["prev_hash"] == before["hash"]
    assert record["head_hash"] == record["events"][-1]["hash"]
    assert record["verification"]["valid"] is True
    verified = api.ok(api.get(f"/api/audit/cases/{case_id}/verify", auditor))
    assert verified["valid"] is True and verified["first_broken"] is None
    assert verified["facts"] == {"text": "matches", "contact": "matches", "replies": "matches"}

    found = api.ok(api.get("/api/audit/cases?from=2026-11&to=2026-11&department=dept-1", auditor))
    assert [c["case_id"] for c in found["cases"]] == [case_id]
    assert found["cases"][0]["rating"] == "satisfied"


def _archived(api: Api, featured: bool = False) -> tuple[dict[str, Any], Any]:
    created, link = closed_case(api)
    if featured:  # on the 回音壁 before it was archived
        api.ok(api.act(created["case_id"], "feature", {"summary": "一周内修好了电梯"}))
    api.advance(timedelta(days=31))
    assert archive_now(api)["archived"] == 1
    return created, link


def _stored(case_id: str) -> tuple[int, int, str]:
    from functions.storage import cases_repo

    case = cases_repo.get(case_id)
    assert case is not None
    return case.version, case.event_count, case.head_hash


STAFF_WRITES: list[tuple[str, dict[str, Any]]] = [
    ("accept", {"urgency": "general", "public": True}),
    ("reject", {"reason_code": "spam", "reason": "广告信息"}),
    ("assign", {"lead": "dept-2"}),
    ("return-decision", {"decision": "insist"}),
    ("extension-decision", {"decision": "approve"}),
    ("close", {"note": "经研究办结"}),
    ("feature", {"summary": "一周内修好了电梯"}),
    ("unfeature", {}),
]
LINK_WRITES: list[tuple[str, dict[str, Any]]] = [
    ("sign", {}),
    ("reply", reply_body()),
    ("extension", {"reason": "需要协调施工单位", "working_days": 5}),
    ("return", {"reason": "不属于本单位职责"}),
    ("input", {"text": "协办意见"}),
]


def test_an_archived_case_refuses_every_write_path_and_nothing_is_written(api: Api) -> None:
    created, link = _archived(api, featured=True)
    case_id = created["case_id"]
    before = _stored(case_id)
    messages = len(api.messages(case_id=case_id))

    rated = api.rate(case_id, created["tracking_code"], "unsatisfied")
    assert rated.status == 410 and rated.code == "case_archived", rated.body
    assert "归档" in rated.error["message"]
    for action, body in STAFF_WRITES:
        answer = api.act(case_id, action, body)
        assert answer.status in (409, 410), (action, answer.status, answer.body)
    for action, body in LINK_WRITES:
        answer = api.handle_act(link, action, body)
        assert answer.status in (409, 410), (action, answer.status, answer.body)
    opened = api.handle(link)
    assert opened.status == 410 and opened.code == "case_archived"
    refreshed = api.post("/api/handle/refresh", {"department_id": "dept-1", "case_id": case_id})
    assert refreshed.status == 202  # the same answer as ever, and nothing sent
    assert archive_now(api)["archived"] == 0

    assert _stored(case_id) == before
    assert len(api.messages(case_id=case_id)) == messages
    # Reading is still fine: the citizen's tracking and the public page.
    assert api.track(case_id, created["tracking_code"])["state"] == "archived"
    assert api.ok(api.public(case_id))["state_label"] == "已归档"


def test_the_storage_itself_refuses_a_transition_of_an_archived_case(api: Api) -> None:
    import pytest

    from functions.domain.cases import SYSTEM, Event, TransitionResult
    from functions.domain.errors import Gone
    from functions.domain.lifecycle import EventType, State
    from functions.storage import cases_repo

    created, _ = _archived(api)
    case = cases_repo.get(created["case_id"])
    assert case is not None
    forged = Event(EventType.CLOSED, api.now(), SYSTEM, State.ARCHIVED, State.CLOSED, "改回")
    case.event_count += 1
    with pytest.raises(Gone):
        case_commit.commit(TransitionResult(case, State.ARCHIVED, case.version, [forged]))


AUDIT_ROUTES = [
    ("GET", "/api/audit/cases"),
    ("GET", "/api/audit/cases/{case_id}"),
    ("GET", "/api/audit/cases/{case_id}/verify"),
    ("POST", "/api/audit/exports"),
    ("GET", "/api/audit/exports/EX20261202000000-ABCDEF"),
    ("GET", "/api/audit/exports/EX20261202000000-ABCDEF/verify"),
    ("GET", "/api/audit/log"),
]


def test_only_auditors_use_audit_routes_and_auditors_cannot_write(api: Api) -> None:
    from functions.api.audit import ROUTE_ROLES
    from functions.domain.lifecycle import Role

    created, _ = _archived(api)
    case_id = created["case_id"]
    # The directory's change records are read by admins too (test_api_directory_admin).
    only_auditors = {key for key, roles in ROUTE_ROLES.items() if roles == {Role.AUDITOR}}
    assert only_auditors == {
        (m, p.replace("EX20261202000000-ABCDEF", "{export_id}")) for m, p in AUDIT_ROUTES
    }
    assert set(ROUTE_ROLES) - only_auditors == {("GET", "/api/audit/directory-changes")}
    for method, template in AUDIT_ROUTES:
        path = template.replace("{case_id}", case_id)
        assert api.call(method, path, {} if method == "POST" else None).status == 401
        for role in ("coordinator", "operator", "admin"):
            answer = api.call(method, path, {} if method == "POST" else None, api.as_role(role))
            assert answer.status == 403 and answer.code == "forbidden", (role, path)
    auditor = api.as_role("auditor")
    open_case = api.submit()["case_id"]
    for action, body in STAFF_WRITES:
        assert api.act(open_case, action, body, role="auditor").status == 403
    entered = api.post("/api/staff/cases", {**_submission(), "channel": "hotline"}, auditor)
    assert entered.status == 403
    assert api.call("PUT", "/api/admin/policy", {"extensions_allowed": 1}, auditor).status == 403


def _submission() -> dict[str, Any]:
    from tests.api.helpers import submission

    return submission()


def test_every_auditor_query_view_verification_and_export_is_recorded(api: Api) -> None:
    created, _ = _archived(api)
    case_id = created["case_id"]
    auditor = api.as_role("auditor")
    api.ok(api.get("/api/audit/cases?department=dept-1&breached=none", auditor))
    api.ok(api.get(f"/api/audit/cases/{case_id}", auditor))
    api.ok(api.get(f"/api/audit/cases/{case_id}/verify", auditor))
    made = api.ok(api.post("/api/audit/exports", {"department": "dept-1"}, auditor), 201)
    log = api.ok(api.get("/api/audit/log", auditor))
    entries = log["entries"]
    assert [e["action"] for e in entries[:4]] == ["export", "verify", "case", "search"]
    actions = {e["action"] for e in entries}
    assert {"search", "case", "verify", "export"} <= actions
    assert all(e["actor"] == "auditor@wenzheng.example" for e in entries)
    search = next(e for e in entries if e["action"] == "search")
    assert '"department": "dept-1"' in search["filter"] and '"breached": "none"' in search["filter"]
    assert search["count"] == 1
    export = next(e for e in entries if e["action"] == "export")
    assert export["target"] == made["export_id"] and export["count"] == 1


def test_an_export_holds_the_query_result_with_hashes_and_verifies_against_the_archive(
    api: Api,
) -> None:
    import hashlib
    import json

    from functions.storage import export_store

    first, _ = _archived(api)
    second, _ = closed_case(api, lead="dept-2")  # closed, not archived: auditors see it too
    auditor = api.as_role("auditor")
    made = api.ok(
        api.post("/api/audit/exports", {"from": "2026-11", "to": "2026-12"}, auditor), 201
    )
    assert made["count"] == 2
    files = {f["name"]: f for f in made["files"]}
    assert set(files) == {"cases.jsonl", "cases.csv"}
    for f in files.values():
        body = export_store.get(f["key"])
        assert body is not None and hashlib.sha256(body).hexdigest() == f["sha256"]
        assert f["url"].startswith("http") and f["rows"] == 2
    lines = [json.loads(x) for x in export_store.get(files["cases.jsonl"]["key"]).splitlines()]  # type: ignore[union-attr]
    assert {x["case_id"] for x in lines} == {first["case_id"], second["case_id"]}
    dump = json.dumps(lines, ensure_ascii=False)
    assert "欧阳明月" not in dump and "13912345678" not in dump and "ouyang@" not in dump
    assert "13698765432" not in dump  # the phone number inside the text goes out scrubbed
    checked = api.ok(api.get(f"/api/audit/exports/{made['export_id']}/verify", auditor))
    assert checked["valid"] is True and checked["problems"] == []

    export_store.put(files["cases.csv"]["key"], b"case_id\r\n", "text/csv")
    tampered = api.ok(api.get(f"/api/audit/exports/{made['export_id']}/verify", auditor))
    assert tampered["valid"] is False
    assert any("cases.csv" in p for p in tampered["problems"])
    missing = api.get("/api/audit/exports/EX20200101000000-NOSUCH", auditor)
    assert missing.status == 404 and missing.code == "export_not_found"


def test_bad_audit_filters_get_a_400_naming_each_field(api: Api) -> None:
    auditor = api.as_role("auditor")
    answer = api.get(
        "/api/audit/cases?from=2026-13&department=nosuch&rating=great&colour=red", auditor
    )
    assert answer.status == 400
    assert {"from", "department", "rating", "colour"} <= set(answer.fields)
    backwards = api.get("/api/audit/cases?from=2026-10&to=2026-01", auditor)
    assert backwards.status == 400 and "from" in backwards.fields
    bad_cursor = api.get("/api/audit/cases?cursor=abc", auditor)
    assert bad_cursor.status == 400 and "cursor" in bad_cursor.fields
    export = api.post("/api/audit/exports", {"state": "open", "extra": 1}, auditor)
    assert export.status == 400 and "state" in export.fields
    open_case = api.submit()["case_id"]
    not_archived = api.get(f"/api/audit/cases/{open_case}", auditor)
    assert not_archived.status == 404 and not_archived.code == "not_in_archive"


def test_retention_anonymises_contact_data_and_the_history_still_verifies(api: Api) -> None:
    from functions.storage import cases_repo

    created, _ = _archived(api)
    case_id = created["case_id"]
    api.advance(timedelta(days=365 * 3 - 5))
    assert api.ok(api.post("/api/dev/jobs/retention"))["result"]["anonymised"] == 0
    api.advance(timedelta(days=10))
    assert api.ok(api.post("/api/dev/jobs/retention"))["result"]["anonymised"] == 1
    assert api.ok(api.post("/api/dev/jobs/retention"))["result"]["anonymised"] == 0

    case = cases_repo.get(case_id)
    assert case is not None
    assert (case.contact.name, case.contact.phone, case.contact.email) == (None, None, None)
    assert case.contact_salt is None and "13698765432" not in case.content
    auditor = api.as_role("auditor")
    record = api.ok(api.get(f"/api/audit/cases/{case_id}", auditor))
    assert record["contact"] is None and record["anonymised_at"]
    assert record["events"][-1]["type"] == "anonymised"
    verified = api.ok(api.get(f"/api/audit/cases/{case_id}/verify", auditor))
    assert verified["valid"] is True
    assert verified["facts"]["contact"] == "anonymised"
    # The statistics stay: still found by its department, rating and state.
    found = api.ok(
        api.get("/api/audit/cases?from=2026-11&department=dept-1&rating=satisfied", auditor)
    )
    assert [c["case_id"] for c in found["cases"]] == [case_id]


def test_tampering_with_the_stored_events_shows_in_the_auditors_verification(api: Api) -> None:
    """The same checks as the pure tests, on the items DynamoDB holds: someone with table
    access edits a note, deletes an event, or rewrites a reply in the case item."""
    from functions.storage.models import CaseModel, EventModel

    created, _ = _archived(api)
    case_id = created["case_id"]
    auditor = api.as_role("auditor")

    def verify() -> dict[str, Any]:
        found: dict[str, Any] = api.ok(api.get(f"/api/audit/cases/{case_id}/verify", auditor))
        return found

    assert verify()["valid"] is True
    signed = EventModel.get(case_id, 4)
    original = signed.note
    signed.update(actions=[EventModel.note.set("按时签收")])
    broken = verify()
    assert broken["valid"] is False
    assert broken["first_broken"]["seq"] == 4 and broken["first_broken"]["problem"] == "modified"
    signed.update(actions=[EventModel.note.set(original)])
    assert verify()["valid"] is True

    accepted = EventModel.get(case_id, 2)
    accepted.delete()
    gone = verify()
    assert (gone["first_broken"]["seq"], gone["first_broken"]["problem"]) == (2, "missing")
    accepted.save()
    assert verify()["valid"] is True

    item = CaseModel.get(case_id)
    replies = item.replies
    replies[0]["text"] = "已妥善处理。"
    item.update(actions=[CaseModel.replies.set(replies)])
    rewritten = verify()
    assert rewritten["valid"] is False and rewritten["first_broken"] is None
    assert rewritten["facts"]["replies"] == "mismatch"


def test_the_export_sheet_gives_the_chinese_label_beside_each_code(api: Api) -> None:
    import csv
    import io

    from functions.storage import export_store

    created, _ = _archived(api)
    auditor = api.as_role("auditor")
    made = api.ok(
        api.post("/api/audit/exports", {"from": "2026-11", "to": "2026-12"}, auditor), 201
    )
    sheet = next(f for f in made["files"] if f["name"] == "cases.csv")
    body = export_store.get(sheet["key"])
    assert body is not None
    [row] = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert row["case_id"] == created["case_id"]
    labels = {
        (row["state"], row["state_label"]),
        (row["kind"], row["kind_label"]),
        (row["outcome"], row["outcome_label"]),
        (row["rating"], row["rating_label"]),
        (row["district"], row["district_label"]),
        (row["category"], row["category_label"]),
    }
    assert labels == {
        ("archived", "已归档"),
        ("complaint", "投诉"),
        ("resolved", "已解决"),
        ("satisfied", "满意"),
        ("city", "市本级"),
        ("urban", "城乡建设"),
    }
