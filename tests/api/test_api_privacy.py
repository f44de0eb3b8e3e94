"""Privacy (§8). The ``client`` fixture records every answer of a public route (board, case
page, taxonomy, departments) in every API test and fails the test if one contains a submitted
phone number, email address or full contact name (and any log line that does). These tests
make sure the recorder is actually fed and actually bites, and check the masking on the
public case page."""

from __future__ import annotations

import json

from tests.api.helpers import CONTENT_PHONE, EMAIL, NAME, PHONE, Api, Recorder, reply_body


def test_public_pages_mask_contact_data_and_pii_inside_the_text(
    api: Api, recorder: Recorder
) -> None:
    created = api.submit(
        title=f"电梯停运请回电{CONTENT_PHONE}",
        content=(
            f"翠湖小区 3 号楼电梯停运两个月。请拨 {CONTENT_PHONE} 或 0571-87654321 联系，"
            "邮箱 reply.me@example.org，身份证 110101199003071234。"
        ),
    )
    case_id, code = created["case_id"], created["tracking_code"]
    api.accept(case_id)
    api.assign(case_id, "dept-1")
    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(
        api.handle_act(
            link,
            "reply",
            reply_body(text=f"已联系留言人（{PHONE}），电梯已修复，物业电话 13700001111。"),
        )
    )
    api.ok(api.rate(case_id, code, "satisfied", f"谢谢！有事再打我电话 {PHONE}"))

    page = api.ok(api.public(case_id))
    text = json.dumps(page, ensure_ascii=False)
    assert page["name_masked"] == "欧**" and "contact" not in page
    for secret in (
        NAME,
        PHONE,
        EMAIL,
        CONTENT_PHONE,
        "87654321",
        "reply.me@example.org",
        "110101199003071234",
        "13700001111",
        "coordinator@wenzheng.example",  # staff identities stay internal too
        "dept-1@dept.example",
        "handle.html",
    ):
        assert secret not in text, secret
    assert "[电话已隐藏]" in page["content"] and "[邮箱已隐藏]" in page["content"]
    assert "[证件号已隐藏]" in page["content"]
    assert page["title"] == "电梯停运请回电[电话已隐藏]"
    assert "[电话已隐藏]" in page["replies"][0]["text"]
    assert "[电话已隐藏]" in page["replies"][0]["rating"]["comment"]
    board = api.ok(api.get("/api/cases"))
    [item] = board["items"]
    assert item["name_masked"] == "欧**" and CONTENT_PHONE not in item["excerpt"]
    for path in (
        "/api/taxonomy",
        "/api/departments",
        "/api/cases?state=closed",
        "/api/cases?department=dept-1",
    ):
        api.ok(api.get(path))

    # The citizen (with the tracking code) and staff see the text as written.
    mine = api.track(case_id, code)
    assert CONTENT_PHONE in mine["content"] and mine["contact"]["name"] == NAME
    assert api.staff_case(case_id)["contact"]["email"] == EMAIL

    # The recorder saw every public route, holds the secrets, and found no leak.
    seen = {path.split("?")[0].rsplit("/", 1)[-1] for path, _ in recorder.public}
    assert {"cases", case_id, "taxonomy", "departments"} <= seen
    assert {NAME, PHONE, EMAIL} <= recorder.secrets
    assert recorder.leaks() == []


def test_the_recorder_bites() -> None:
    recorder = Recorder()
    recorder.note_submission(
        json.dumps({"contact": {"name": NAME, "phone": "+86" + PHONE, "email": EMAIL}}).encode()
    )
    assert recorder.secrets == {NAME, PHONE, EMAIL, "明月"}  # the given name alone too
    recorder.public.append(("/api/cases/X", json.dumps({"content": f"call {PHONE}"})))
    recorder.public.append(("/api/cases", json.dumps({"name": NAME}, ensure_ascii=False)))
    assert set(recorder.leaks()) == {
        ("/api/cases", NAME),
        ("/api/cases", "明月"),
        ("/api/cases/X", PHONE),
    }
    # A surface that forgot the scrubber shows even with data the test never submitted.
    recorder.public.append(
        ("/open311/v2/requests.xml", "<description>QQ邮箱 a.b@c.cn</description>")
    )
    unscrubbed = recorder.unscrubbed()
    assert [path for path, _ in unscrubbed] == ["/api/cases/X", "/open311/v2/requests.xml"]
    # The operator's own published contacts are not case text.
    recorder.public.append(("/open311/discovery.json", json.dumps({"contact": "a@b.cn 12345"})))
    assert len(recorder.unscrubbed()) == 2


def test_the_log_check_sees_the_platforms_log_lines() -> None:
    import logging

    from app import app
    from tests.api.conftest import _LogLines

    app.log.propagate = False  # as Chalice leaves it in Lambda and in the other tests
    lines = _LogLines()
    with lines.attached():
        logging.getLogger("wenzheng.outbox").warning("sending to %s failed", PHONE)
        logging.getLogger("wenzheng.outbox").warning("send_failed", extra={"to": EMAIL})
        logging.getLogger("botocore.x").warning("retrying %s", EMAIL)
    first, second, third = (json.loads(line) for line in lines.messages)
    assert first["message"] == f"sending to {PHONE} failed"
    assert second["message"] == "send_failed" and second["to"] == EMAIL  # its keys too
    assert third["message"] == f"retrying {EMAIL}"


def test_a_case_is_public_only_with_consent_and_approval(api: Api) -> None:
    consent_only = api.submit(public=True)
    approval_only = api.submit(public=False)
    both = api.submit(public=True)
    api.accept(consent_only["case_id"], public=False)
    api.accept(approval_only["case_id"], public=True)
    api.accept(both["case_id"], public=True)
    board = [c["case_id"] for c in api.ok(api.get("/api/cases"))["items"]]
    assert board == [both["case_id"]]
    for created, published in ((consent_only, False), (approval_only, False), (both, True)):
        case_id = created["case_id"]
        assert api.public(case_id).status == (200 if published else 404)
        assert api.track(case_id, created["tracking_code"])["published"] is published
        case = api.staff_case(case_id)
        assert case["approved_public"] is published
    assert api.track(approval_only["case_id"], approval_only["tracking_code"])["public"] is False
