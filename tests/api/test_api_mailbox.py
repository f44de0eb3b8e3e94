"""市长信箱 by e-mail (issue 19 §1, DESIGN §17): a raw message stored under ``inbound/`` and
handed to ``receive_mail`` as S3 invokes it becomes a case (or joins the case it answers),
with its photos processed, its other files kept for staff, and one auto-reply."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from chalice.test import Client

from tests.api.helpers import Api
from tests.photo_files import camera_jpeg

SENDER = "zhang.wei@example.org"


def raw_mail(
    subject: str = "小区门口路灯坏了",
    text: str | None = "东湖小区北门的路灯已经坏了一个月，晚上很不安全。",
    html: str | None = None,
    *,
    sender: str = f"张伟 <{SENDER}>",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mailbox@wenzheng.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def received(client: Client, raw: bytes, key: str = "inbound/ses-0001") -> str:
    """SES's receipt rule stores the message, S3 invokes the function: its outcome."""
    import boto3

    from functions.settings import settings

    bucket = settings().uploads_bucket
    boto3.client("s3", region_name=settings().region).put_object(Bucket=bucket, Key=key, Body=raw)
    event = client.events.generate_s3_event(bucket=bucket, key=key)
    [outcome] = client.lambda_.invoke("receive_mail", event).payload
    return str(outcome)


def only_case(api: Api) -> dict[str, Any]:
    from functions.storage.models import CaseModel

    ids = [m.case_id for m in CaseModel.scan() if m.channel == "mail"]
    assert len(ids) == 1, ids
    return api.staff_case(ids[0])


def sent_to(api: Api, address: str = SENDER) -> list[dict[str, Any]]:
    return [m for m in api.outbox() if m["to"] == address]


def outbox_headers(case_id: str) -> list[dict[str, str]]:
    from functions.storage import outbox_repo

    return [dict(m.headers) for m in outbox_repo.recent() if m.case_id == case_id]


# -- a new case ---------------------------------------------------------------------------------


def test_a_mail_with_a_photo_becomes_a_case_with_the_processed_photo_and_one_auto_reply(
    api: Api, client: Client
) -> None:
    raw = raw_mail(attachments=[("lamp.jpg", "image/jpeg", camera_jpeg())])
    assert received(client, raw) == "created"
    case = only_case(api)
    assert case["channel"] == "mail" and case["channel_label"] == "市长信箱（邮件）"
    assert case["state"] == "submitted"
    assert case["title"] == "小区门口路灯坏了"
    assert "路灯已经坏了一个月" in case["content"]
    assert case["district"] == "city"  # 市本级 until 受理 sets it
    [photo] = case["photos"]
    assert photo["state"] == "processed"
    assert case["files"] == []
    [reply] = sent_to(api)
    assert reply["template"] == "received" and case["case_id"] in reply["body"]
    [headers] = outbox_headers(case["case_id"])
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["References"].startswith(f"<wz.{case['case_id']}.")


def test_the_coordinator_sets_district_and_category_at_acceptance(api: Api, client: Client) -> None:
    received(client, raw_mail())
    case = only_case(api)
    accepted = api.ok(
        api.act(
            case["case_id"],
            "accept",
            {"urgency": "general", "public": False, "district": "east", "category": "urban"},
        )
    )
    assert accepted["state"] == "accepted"
    view = api.staff_case(case["case_id"])
    assert (view["district"], view["category"]) == ("east", "urban")


def test_a_long_subject_is_cut_and_its_rest_leads_the_text(api: Api, client: Client) -> None:
    subject = "关于" + "城区道路积水问题" * 10
    received(client, raw_mail(subject=subject, text="请尽快处理。"))
    case = only_case(api)
    assert case["title"] == subject[:60]
    assert case["content"].startswith(subject[60:])
    assert case["content"].endswith("请尽快处理。")


def test_an_html_only_mail_is_read_as_text(api: Api, client: Client) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>学校门口&nbsp;占道经营</p><div>每天早上<b>堵车</b></div></body></html>"
    )
    received(client, raw_mail(text=None, html=html))
    content = only_case(api)["content"]
    assert "学校门口" in content and "占道经营" in content and "每天早上堵车" in content
    assert "<" not in content and "alert" not in content and "color" not in content


def test_other_attachments_are_kept_for_staff_and_a_huge_one_only_named(
    api: Api, client: Client
) -> None:
    from functions.domain import mail

    huge = b"x" * (mail.MAX_ATTACHMENT_BYTES + 1)
    raw = raw_mail(
        attachments=[
            ("情况说明.pdf", "application/pdf", b"%PDF-1.4 small"),
            ("录像.zip", "application/zip", huge),
        ]
    )
    received(client, raw)
    case = only_case(api)
    assert case["files"] == [
        {"name": "情况说明.pdf", "content_type": "application/pdf", "size": 14, "kept": True},
        {"name": "录像.zip", "content_type": "application/zip", "size": len(huge), "kept": False},
    ]
    public = api.get(f"/api/cases/{case['case_id']}")
    assert public.status == 404  # a letter is not published without consent


def test_the_same_stored_message_twice_makes_one_case_and_one_reply(
    api: Api, client: Client
) -> None:
    raw = raw_mail()
    assert received(client, raw) == "created"
    assert received(client, raw) == "duplicate"
    assert received(client, raw, key="inbound/ses-0002") == "duplicate"  # same Message-ID
    only_case(api)
    assert len(sent_to(api)) == 1


# -- no auto-reply ------------------------------------------------------------------------------


def test_a_bounce_makes_no_case_and_no_reply(api: Api, client: Client) -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.org\r\n"
        b"To: mailbox@wenzheng.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\ndelivery failed\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.org\r\n\r\n--b--\r\n"
    )
    assert received(client, raw) == "bounce"
    from functions.storage.models import CaseModel

    assert list(CaseModel.scan()) == []
    assert api.outbox() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-generated"},
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.example.org>"},
    ],
)
def test_an_automatic_message_makes_a_case_without_an_auto_reply(
    api: Api, client: Client, headers: dict[str, str]
) -> None:
    assert received(client, raw_mail(headers=headers)) == "created"
    only_case(api)
    assert sent_to(api) == []


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from functions.settings import settings

    monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")
    monkeypatch.setenv("WZ_RATE_LIMITS", "mail_sender=2/1d")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_a_sender_gets_a_few_auto_replies_a_day_and_every_letter_is_kept(
    api: Api, client: Client, limited: None
) -> None:
    limit = 2
    for n in range(limit + 2):
        assert received(client, raw_mail(subject=f"第{n}封信"), key=f"inbound/m{n}") == "created"
    from functions.storage.models import CaseModel

    assert len([m for m in CaseModel.scan() if m.channel == "mail"]) == limit + 2
    assert len(sent_to(api)) == limit


# -- replies ------------------------------------------------------------------------------------


def reply_to(case_id: str, text: str, **more: Any) -> bytes:
    [headers] = outbox_headers(case_id)[:1]
    return raw_mail(
        subject="Re: 小区门口路灯坏了",
        text=f"{text}\n\n在 2026年11月2日 写道：\n> 您的诉求已收到",
        headers={"In-Reply-To": "<0100abc@email.amazonses.com>",
                 "References": f"{headers['References']} <0100abc@email.amazonses.com>"},
        **more,
    )  # fmt: skip


def test_a_reply_to_the_platforms_mail_joins_its_case_as_a_note_for_staff(
    api: Api, client: Client
) -> None:
    received(client, raw_mail())
    case_id = only_case(api)["case_id"]
    raw = reply_to(case_id, "补充一下：是北门东侧第三根路灯。", attachments=[
        ("位置.pdf", "application/pdf", b"%PDF-1.4 where")])  # fmt: skip
    assert received(client, raw, key="inbound/reply-1") == "joined"
    case = only_case(api)  # still one case
    note = case["events"][-1]
    assert note["type"] == "mail_received"
    assert "北门东侧第三根路灯" in (note.get("note") or "")
    assert "您的诉求已收到" not in (note.get("note") or "")  # the quote left out
    assert [f["name"] for f in case["files"]] == ["位置.pdf"]
    assert len(sent_to(api)) == 1  # a reply is not answered again
    assert received(client, raw, key="inbound/reply-1") == "duplicate"


def test_a_reply_answers_the_question_of_a_case_awaiting_the_citizen(
    api: Api, client: Client
) -> None:
    submitted, link = api.assigned_case(contact={"email": SENDER})
    case_id = submitted["case_id"]
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "request-info", {"question": "请说明是哪一根路灯，便于现场核查。"}))
    assert received(client, reply_to(case_id, "是东侧。"), key="inbound/reply-2") == "joined"
    case = api.staff_case(case_id)
    assert case["state"] == "in_progress"
    assert case["events"][-1]["type"] == "supplemented"


def test_a_forged_thread_id_opens_a_new_case_instead(api: Api, client: Client) -> None:
    submitted = api.submit(contact={"email": SENDER})
    forged = raw_mail(headers={"References": f"<wz.{submitted['case_id']}.{'0' * 20}@x.example>"})
    assert received(client, forged) == "created"
    assert [e["type"] for e in api.staff_case(submitted["case_id"])["events"]][-1] != (
        "mail_received"
    )


# -- locally ------------------------------------------------------------------------------------


def test_the_dev_route_stores_a_raw_message_and_runs_the_same_intake(api: Api) -> None:
    raw = raw_mail(attachments=[("a.jpg", "image/jpeg", camera_jpeg())]).decode()
    answer = api.ok(
        api.call("POST", "/api/dev/inbound-mail", raw=raw, headers={"Content-Type": "text/plain"})
    )
    assert answer["outcome"] == "created" and answer["key"].startswith("inbound/")
    case = api.staff_case(answer["case_id"])
    assert case["channel"] == "mail" and case["photos"][0]["state"] == "processed"
    again = api.call(
        "POST", "/api/dev/inbound-mail", raw=raw, headers={"Content-Type": "text/plain"}
    )
    assert api.ok(again) == {**answer, "outcome": "duplicate"}
    json_body = api.post("/api/dev/inbound-mail", {"raw": raw})
    assert json_body.status == 415


# -- staff download of mailed files ---------------------------------------------------------------


def test_staff_download_a_mailed_file_by_a_short_lived_link_with_its_original_name(
    api: Api, client: Client
) -> None:
    from urllib.parse import parse_qs, urlparse

    from functions.storage import archive_repo, cases_repo

    pdf = b"%PDF-1.4 \xe6\x83\x85\xe5\x86\xb5"
    received(client, raw_mail(attachments=[("情况 说明.pdf", "application/pdf", pdf)]))
    case_id = only_case(api)["case_id"]
    assert cases_repo.get(case_id).mail_messages == ["inbound/ses-0001"]  # type: ignore[union-attr]
    link = api.ok(api.get(f"/api/staff/cases/{case_id}/files/0", api.as_role("coordinator")))
    assert (link["name"], link["content_type"], link["size"]) == (
        "情况 说明.pdf",
        "application/pdf",
        len(pdf),
    )
    url = urlparse(link["url"])
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["response-content-disposition"] == [
        'attachment; filename="__ __.pdf"; '
        "filename*=UTF-8''%E6%83%85%E5%86%B5%20%E8%AF%B4%E6%98%8E.pdf"
    ]
    assert query["response-content-type"] == ["application/octet-stream"]
    # The link names the stored file in the uploads bucket, which holds the attachment.
    import boto3

    from functions.settings import settings

    assert url.hostname == f"{settings().uploads_bucket}.s3.amazonaws.com"
    key = url.path.lstrip("/")
    assert key.startswith("files/")
    s3 = boto3.client("s3", region_name=settings().region)
    assert s3.get_object(Bucket=settings().uploads_bucket, Key=key)["Body"].read() == pdf
    [entry] = [
        e for e in archive_repo.access_log(api.now().strftime("%Y-%m")) if e.action == "case-file"
    ]
    assert (entry.role, entry.target) == ("coordinator", case_id)
    assert entry.actor == "coordinator@wenzheng.example"


def test_a_file_link_is_only_for_case_staff_and_only_for_the_cases_own_kept_files(
    api: Api, client: Client
) -> None:
    from functions.domain import mail

    huge = b"x" * (mail.MAX_ATTACHMENT_BYTES + 1)
    raw = raw_mail(
        attachments=[("a.pdf", "application/pdf", b"%PDF"), ("b.zip", "application/zip", huge)]
    )
    received(client, raw)
    case_id = only_case(api)["case_id"]
    other = api.submit()["case_id"]
    coordinator = api.as_role("coordinator")
    assert api.get(f"/api/staff/cases/{case_id}/files/0").status == 401
    assert api.get(f"/api/staff/cases/{case_id}/files/0", api.as_role("operator")).status == 403
    assert api.get(f"/api/staff/cases/{other}/files/0", coordinator).code == "file_not_found"
    assert api.get(f"/api/staff/cases/{case_id}/files/2", coordinator).code == "file_not_found"
    assert api.get(f"/api/staff/cases/{case_id}/files/x", coordinator).code == "file_not_found"
    assert api.get(f"/api/staff/cases/{case_id}/files/1", coordinator).code == "file_not_kept"
    assert api.get("/api/staff/cases/WZ20990101-AAAAAA/files/0", coordinator).status == 404


# -- retention ------------------------------------------------------------------------------------


def test_retention_deletes_a_mailed_cases_files_and_stored_messages(
    api: Api, client: Client
) -> None:
    from datetime import timedelta

    import boto3

    from functions.settings import settings
    from functions.storage import cases_repo

    s3 = boto3.client("s3", region_name=settings().region)

    def stored(prefix: str) -> list[str]:
        listed = s3.list_objects_v2(Bucket=settings().uploads_bucket, Prefix=prefix)
        return [o["Key"] for o in listed.get("Contents", [])]

    created, _link = api.replied_case(contact={"email": SENDER})
    case_id = created["case_id"]
    raw = reply_to(case_id, "补充照片说明见附件。", attachments=[
        ("说明.pdf", "application/pdf", b"%PDF-1.4 note")])  # fmt: skip
    assert received(client, raw, key="inbound/ses/reply-9") == "joined"
    case = cases_repo.get(case_id)
    assert case is not None and case.mail_messages == ["inbound/ses/reply-9"]
    [kept] = [f.key for f in case.files]
    assert stored("files/") == [kept] and stored("inbound/") == ["inbound/ses/reply-9"]

    api.ok(api.rate(case_id, created["tracking_code"], "satisfied"))
    api.advance(timedelta(days=31))
    assert api.ok(api.post("/api/dev/jobs/archive"))["result"]["archived"] == 1
    api.advance(timedelta(days=365 * 3 + 5))
    assert api.ok(api.post("/api/dev/jobs/retention"))["result"]["anonymised"] == 1
    assert stored("files/") == [] and stored("inbound/") == []
    case = cases_repo.get(case_id)
    assert case is not None and case.files == [] and case.mail_messages == []
    auditor = api.as_role("auditor")
    record = api.ok(api.get(f"/api/audit/cases/{case_id}", auditor))
    assert "来信附件" in record["events"][-1]["note"]
    assert api.ok(api.get(f"/api/audit/cases/{case_id}/verify", auditor))["valid"] is True
