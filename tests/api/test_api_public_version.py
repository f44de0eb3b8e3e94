"""Personal data written INTO the text of a public case (§8, issue 13 §1): one scrubbing policy
on every public surface, the coordinator's 公开版本 beside the original, and the auditors'
views masked the same way. The ``client`` fixture's recorder also checks every public answer
of these tests for the contact's name and anything the scrubber would still remove."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from tests.api.helpers import Api, reply_body

# The case outside testing published (reproduced on a fresh stack).
LEAKY = {
    "title": "李建国家门口下水道堵塞",
    "content": (
        "我是李建国，手机138-0013-8000，住幸福小区3栋2单元501室，QQ 12345678，"
        "身份证11010519491231002X，座机021-64881234。"
    ),
    "contact": {"name": "李建国", "phone": "13800138000", "email": "lijianguo@example.com"},
}
SECRETS = (
    "李建国",
    "建国",
    "138-0013-8000",
    "0013",
    "2单元",
    "501",
    "12345678",
    "11010519491231002X",
    "64881234",
    "lijianguo",
)
KEPT = ("下水道堵塞", "幸福小区", "3栋")
EDITED = {
    "title": "幸福小区下水道堵塞",
    "content": "幸福小区3栋门前下水道堵塞。",
}  # where it is, so departments and the public know


def _leaky_case(api: Api) -> dict[str, Any]:
    created = api.submit(**LEAKY)
    return created


# The auditors' views and exports carry the hash chain: a SHA-256 in hex spells "501" or
# "0013" now and then, which is no personal data.
DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


def _no_secrets(where: str, text: str) -> None:
    text = DIGEST.sub("<sha256>", text)
    for secret in SECRETS:
        assert secret not in text, (where, secret, text)


def test_a_case_with_personal_data_in_its_text_is_published_without_it_everywhere(
    api: Api,
) -> None:
    created = _leaky_case(api)
    case_id, code = created["case_id"], created["tracking_code"]
    api.accept(case_id)
    api.assign(case_id, "dept-1")
    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "sign"))
    reply = "李建国先生您好，已于当日疏通3栋2单元501室门前管道，如有问题请拨13800138000。"
    api.ok(api.handle_act(link, "reply", reply_body(text=reply)))
    # The department reads the citizen's text as written.
    assert "501室" in api.ok(api.handle(link))["case"]["content"]
    api.ok(api.rate(case_id, code, "satisfied", "谢谢！我是建国，QQ 12345678"))
    api.ok(api.act(case_id, "feature", {"summary": "李建国反映的下水道当天疏通"}))

    page = api.ok(api.public(case_id))
    assert page["title"] == "李**家门口下水道堵塞"
    for kept in KEPT:
        assert kept in page["title"] + page["content"], kept
    surfaces = {
        "case page": page,
        "board": api.ok(api.get("/api/cases")),
        "回音壁": api.ok(api.get("/api/showcase")),
        "rankings drill-down": api.ok(
            api.get("/api/rankings/cases?month=2026-11&unit=dept-1&metric=assigned")
        ),
        "open311 json": api.ok(api.get(f"/open311/v2/requests/{case_id}.json")),
        "open311 list": api.ok(api.get("/open311/v2/requests.json")),
    }
    for where, body in surfaces.items():
        _no_secrets(where, json.dumps(body, ensure_ascii=False))
    xml = api.get(f"/open311/v2/requests/{case_id}.xml")
    assert xml.status == 200
    _no_secrets("open311 xml", xml.body if isinstance(xml.body, str) else json.dumps(xml.body))

    # The citizen (with the tracking code) reads the text as written.
    mine = api.track(case_id, code)
    assert mine["title"] == LEAKY["title"] and "138-0013-8000" in mine["content"]
    assert mine["replies"][0]["text"] == reply


def test_the_coordinator_sees_the_original_beside_the_public_version_and_edits_it(
    api: Api,
) -> None:
    created = _leaky_case(api)
    case_id = created["case_id"]
    before = api.staff_case(case_id)
    assert before["title"] == LEAKY["title"]  # the original, for staff
    version = before["public_version"]
    assert version["edited"] is False and version["editable"] is True
    _no_secrets("suggested public version", json.dumps(version, ensure_ascii=False))

    # 受理 with an edited public version: it is what the board shows from the start. The
    # edit is scrubbed again: a phone number typed into it does not come back.
    edited = {
        "title": "幸福小区下水道堵塞",
        "content": "幸福小区3栋门前下水道堵塞，请回电13800138000。",
    }
    accepted = api.ok(
        api.act(case_id, "accept", {"urgency": "general", "public": True, "public_version": edited})
    )
    assert accepted["public_version"]["edited"] is True
    assert accepted["public_version"]["edited_by"] == "coordinator@wenzheng.example"
    assert "13800138000" not in accepted["public_version"]["content"]
    page = api.ok(api.public(case_id))
    assert page["title"] == "幸福小区下水道堵塞"
    assert page["content"] == "幸福小区3栋门前下水道堵塞，请回电[电话已隐藏]。"

    # Edited again later: an internal event of the hash chain, not on the public timeline.
    again = {"title": "幸福小区下水道堵塞（已核实）", "content": "幸福小区3栋门前的下水道堵塞。"}
    after = api.ok(api.act(case_id, "public-version", again))
    assert after["public_version"]["title"] == again["title"]
    edits = [e for e in after["events"] if e["type"] == "public_version_edited"]
    assert len(edits) == 2 and all(e["public"] is False for e in edits)
    assert edits[-1]["label"] == "编辑公开版本"
    timeline = api.ok(api.public(case_id))["timeline"]
    assert "public_version_edited" not in [e["type"] for e in timeline]
    assert api.ok(api.get("/api/cases"))["items"][0]["title"] == again["title"]
    # The original stays as written for staff.
    assert after["title"] == LEAKY["title"] and after["content"] == LEAKY["content"]


def test_a_public_version_cannot_be_edited_without_consent_or_blank(api: Api) -> None:
    private = api.submit(**{**LEAKY, "public": False})
    refused = api.act(
        private["case_id"],
        "public-version",
        {"title": "幸福小区下水道", "content": "幸福小区下水道堵塞已多日。"},
    )
    assert refused.status == 409 and refused.code == "not_public", refused.body
    assert api.staff_case(private["case_id"])["public_version"]["editable"] is False

    created = _leaky_case(api)
    blank = api.act(created["case_id"], "public-version", {"title": "   ", "content": ""})
    assert blank.status == 400
    assert {"title", "content"} <= set(blank.fields), blank.body
    assert len(api.staff_case(created["case_id"])["events"]) == 1  # nothing was written


def test_auditors_read_the_original_text_with_personal_data_masked(api: Api) -> None:
    created = _leaky_case(api)
    case_id, code = created["case_id"], created["tracking_code"]
    api.accept(case_id)
    api.ok(api.act(case_id, "public-version", EDITED))
    api.assign(case_id, "dept-1")
    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(
        api.handle_act(
            link, "reply", reply_body(text="李建国您好，管道已疏通，已电话13800138000告知。")
        )
    )
    api.ok(api.rate(case_id, code, "satisfied"))
    api.advance(timedelta(days=31))
    assert api.ok(api.post("/api/dev/jobs/archive"))["result"]["archived"] == 1

    auditor = api.as_role("auditor")
    record = api.ok(api.get(f"/api/audit/cases/{case_id}", auditor))
    _no_secrets("auditor's case", json.dumps(record, ensure_ascii=False))
    assert record["title"] == "李**家门口下水道堵塞"  # the original, masked
    assert "幸福小区3栋" in record["content"]
    assert record["verification"]["facts"]["public_version"] == "matches"
    found = api.ok(api.get("/api/audit/cases?from=2026-11&to=2026-12", auditor))
    _no_secrets("auditor's list", json.dumps(found, ensure_ascii=False))

    made = api.ok(
        api.post("/api/audit/exports", {"from": "2026-11", "to": "2026-12"}, auditor), 201
    )
    from functions.storage import export_store

    for f in made["files"]:
        body = export_store.get(f["key"])
        assert body is not None
        _no_secrets(f["name"], body.decode("utf-8-sig"))


def test_a_public_version_rewritten_in_storage_shows_in_the_verification(api: Api) -> None:
    created = _leaky_case(api)
    case_id = created["case_id"]
    api.accept(case_id)
    api.ok(api.act(case_id, "public-version", EDITED))
    from functions.storage.models import CaseModel

    item = CaseModel.get(case_id)
    item.public_version.content = "被改写的公开内容，与事件记录不符。"  # type: ignore[union-attr]
    item.save()
    from functions.domain import integrity
    from functions.storage import cases_repo

    case = cases_repo.get(case_id)
    assert case is not None
    facts = integrity.check_facts(case, cases_repo.history(case_id))
    assert facts["public_version"] == "mismatch"


def test_board_excerpts_of_long_texts_are_scrubbed_across_every_cut(api: Api) -> None:
    """The board scrubs only the start of a long text for its excerpt: a phone number
    straddling the excerpt's end, or the cut of the scrubbed start, never shows in part, even
    when masked e-mails shrink the text ahead of it."""
    import re

    emails = "，".join(f"reply.person.number{n}@example-mail.com" for n in range(8))
    for content in (
        "路" * 115 + "电话13912345678，" + "灯" * 400,
        "灯" * 300 + "，电话13912345678，" + "路" * 300,
        emails + "，电话13912345678，" + "路" * 300,
    ):
        created = api.submit(content=content)
        api.accept(created["case_id"])
        item = next(
            c for c in api.ok(api.get("/api/cases"))["items"] if c["case_id"] == created["case_id"]
        )
        assert item["excerpt"].endswith("…")
        assert not re.search(r"\d{4}", item["excerpt"]), item["excerpt"]
        assert "example-mail" not in item["excerpt"]
