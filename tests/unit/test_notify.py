"""Delivery rules without AWS: the jittered backoff, which provider errors mean "slow down",
the HTML part derived from a text email, every SMS fitting one segment, and reading SES
bounce and complaint notifications."""

from __future__ import annotations

import email
import json
import random
from datetime import timedelta
from email.message import Message

import pytest

from functions.domain import cases as domain
from functions.domain.policy import DEFAULT_LADDER
from functions.domain.taxonomy import Rating, RejectReason
from functions.notify import adapter, ses_events, templates
from functions.storage import outbox_repo
from tests.unit.test_lifecycle import CLOCK, COORD, T0, assigned, replied

LONG_TITLE = "关于翠湖小区三号楼电梯停运两个月物业公司一直推脱不修居民上下楼十分困难的投诉" * 3
LONG_ID = "WZ20261231-ZZZZZZ"
TRACK = "https://wenzheng.example/track.html?case=WZ20261231-ZZZZZZ"


# --- backoff ---------------------------------------------------------------------------------


def test_the_backoff_window_doubles_then_stops_at_the_cap() -> None:
    windows = [outbox_repo.backoff_window(n) for n in range(1, 9)]
    assert windows == [timedelta(minutes=m) for m in (2, 4, 8, 16, 32, 60, 60, 60)]


def test_full_jitter_stays_inside_the_window_and_spreads_across_it() -> None:
    rng = random.Random(20261102)
    for attempts in range(1, 9):
        window = outbox_repo.backoff_window(attempts)
        draws = [outbox_repo.backoff(attempts, rng) for _ in range(400)]
        assert all(outbox_repo.BACKOFF_FLOOR <= d <= window for d in draws), attempts
        if window >= timedelta(minutes=8):
            # Full jitter: the whole window is used, not a narrow band around its end.
            assert min(draws) < window / 4 and max(draws) > window * 3 / 4, attempts


def test_a_seeded_random_source_makes_the_backoff_repeatable() -> None:
    first = [outbox_repo.backoff(3, random.Random(7)) for _ in range(3)]
    again = [outbox_repo.backoff(3, random.Random(7)) for _ in range(3)]
    assert first == again


def test_the_floor_keeps_a_failed_message_out_of_the_same_run() -> None:
    class Zero(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return 0.0

    assert outbox_repo.backoff(1, Zero()) == outbox_repo.BACKOFF_FLOOR


# --- provider errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "TooManyRequestsException",  # SES v2: sending rate
        "LimitExceededException",  # SES v2: quota
        "ThrottlingException",
        "Throttling",
        "ThrottledException",  # SNS
        "Throttled",
    ],
)
def test_throttling_codes_of_both_providers(code: str) -> None:
    assert adapter.is_throttle(code)


@pytest.mark.parametrize(
    "code", ["MessageRejected", "InvalidParameter", "ServiceUnavailable", "AccessDenied"]
)
def test_other_errors_are_not_throttling(code: str) -> None:
    assert not adapter.is_throttle(code)


def test_a_kept_error_has_no_addresses_numbers_or_length() -> None:
    text = adapter.redact(
        "Email address is not verified: dept-1@dept.example, +8613912345678 " + "x" * 400
    )
    assert "dept-1@dept.example" not in text and "13912345678" not in text
    assert "<address>" in text and "<number>" in text and len(text) <= 200


# --- email parts -------------------------------------------------------------------------------


def test_the_html_part_escapes_keeps_lines_and_links_addresses() -> None:
    text = (
        "您好！<script>alert(1)</script> & “引号”\n"
        "查询办理进度：https://wenzheng.example/track.html?case=WZ1&x=<b>\n"
        "办理链接（请勿转发）：https://wenzheng.example/handle.html#t=abc_DEF-123。\n"
    )
    html = adapter.html_body(text, "标题<i>")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    assert "<title>标题&lt;i&gt;</title>" in html
    assert html.count("<br>") == 3
    assert (
        '<a href="https://wenzheng.example/track.html?case=WZ1&amp;x=">'
        "https://wenzheng.example/track.html?case=WZ1&amp;x=</a>&lt;b&gt;"
    ) in html
    # The full-width full stop ends the link; the fragment token stays in it.
    assert (
        '<a href="https://wenzheng.example/handle.html#t=abc_DEF-123">'
        "https://wenzheng.example/handle.html#t=abc_DEF-123</a>。"
    ) in html
    # Nothing loaded from elsewhere: no images, stylesheets, scripts or frames.
    for tag in ("<img", "<link", "<script", "<iframe", "src=", "@import", "url("):
        assert tag not in html


def test_an_email_is_multipart_alternative_with_text_then_html() -> None:
    raw = adapter.mime_message(
        "noreply@wenzheng.example", "a@dept.example", "【交办】电梯", "第一行\nhttps://x.example/"
    )
    parsed: Message = email.message_from_bytes(raw)
    assert parsed.get_content_type() == "multipart/alternative"
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == (
        "【交办】电梯"
    )
    parts = [p for p in parsed.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    # On the wire, lines end in CRLF (RFC 5322).
    text, html = (
        bytes(p.get_payload(decode=True)).decode("utf-8").replace("\r\n", "\n") for p in parts
    )
    assert text.strip() == "第一行\nhttps://x.example/"
    assert '第一行<br>\n<a href="https://x.example/">https://x.example/</a>' in html


# --- SMS length --------------------------------------------------------------------------------


def _long(case: domain.Case) -> domain.Case:
    case.case_id = LONG_ID
    case.title = LONG_TITLE
    return case


def _sms_texts() -> dict[str, str]:
    """Every SMS the templates can produce, for a case with a very long title and id."""
    base = assigned()
    rejected = domain.reject(
        domain.new_case(
            case_id=LONG_ID,
            tracking_hash="h",
            kind=base.kind,
            category="urban",
            district="city",
            title=LONG_TITLE,
            content="内容",
            contact=base.contact,
            consent_public=True,
            channel=base.channel,
            actor=domain.CITIZEN,
            now=T0,
            contact_salt="salt",
        ).case,
        COORD,
        reason_code=RejectReason.INSUFFICIENT,
        reason="诉求内容不清" * 40,
        duplicate_of=None,
        now=T0,
    ).case
    answered = replied()
    reopened = domain.rate(
        replied(), rating=Rating.UNSATISFIED, comment=None, now=T0 + timedelta(days=3), clock=CLOCK
    ).case
    cases = {
        "accepted": base,
        "rejected": rejected,
        "replied": answered,
        "reopened": reopened,
        "escalated": reopened,
        "closed": answered,
    }
    texts: dict[str, str] = {}
    for template, case in cases.items():
        sms = templates.citizen(template, _long(case), track_url=TRACK).sms
        assert sms is not None, template
        texts[template] = sms
    for rung in DEFAULT_LADDER:
        for clock_name in ("response", "reply"):
            for recipient in ("handler", "spokesperson", "leader", "coordinator"):
                text = templates.ladder(
                    rung,
                    clock_name,
                    _long(assigned()),
                    recipient=recipient,
                    department_name="市住房和城乡建设局" * 4,
                    due_at=T0,
                    link="https://wenzheng.example/handle.html#t=" + "x" * 43,
                    console_url="https://wenzheng.example/staff.html",
                )
                if text.sms is not None:
                    texts[f"{rung.code}/{clock_name}/{recipient}"] = text.sms
    return texts


def test_every_sms_template_fits_one_segment() -> None:
    texts = _sms_texts()
    # Every citizen template sends one, and the ladder's SMS rungs do too.
    assert {"accepted", "rejected", "replied", "reopened", "escalated", "closed"} <= set(texts)
    assert any(k.startswith("due/") for k in texts) and any(k.startswith("red/") for k in texts)
    too_long = {k: len(v) for k, v in texts.items() if len(v) > templates.SMS_LIMIT}
    assert not too_long, too_long
    assert all(v.startswith(templates.SMS_PREFIX) for v in texts.values())
    assert all(LONG_ID in v for k, v in texts.items() if "/" not in k)


def test_the_adapter_refuses_an_sms_over_one_segment_without_calling_the_provider() -> None:
    with pytest.raises(adapter.Refused, match="71 characters exceeds the 70-character limit"):
        adapter.send_sms("+8613800000001", "字" * 71)


# --- SES notifications -------------------------------------------------------------------------


def ses_bounce(
    address: str,
    *,
    message_id: str | None,
    case_id: str | None,
    bounce_type: str = "Permanent",
    event: bool = True,
) -> str:
    """An SES bounce as SNS delivers it: configuration-set event publishing (``eventType``,
    tags in ``mail.tags``) or an identity notification (``notificationType``)."""
    tags: dict[str, list[str]] = {"ses:configuration-set": ["wenzheng"]}
    if message_id:
        tags["message_id"] = [message_id]
    if case_id:
        tags["case_id"] = [case_id]
    return json.dumps(
        {
            ("eventType" if event else "notificationType"): "Bounce",
            "bounce": {
                "feedbackId": "0100018f-bounce-feedback",
                "bounceType": bounce_type,
                "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                "bouncedRecipients": [
                    {
                        "emailAddress": address,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": f"smtp; 550 5.1.1 <{address}>: Recipient address "
                        "rejected: User unknown in virtual mailbox table",
                    }
                ],
                "timestamp": "2026-11-02T02:05:00.000Z",
                "reportingMTA": "dsn; e226-55.smtp-out.ap-southeast-1.amazonses.com",
            },
            "mail": {
                "timestamp": "2026-11-02T02:04:59.000Z",
                "source": "noreply@wenzheng.example",
                "sourceArn": "arn:aws:ses:ap-southeast-1:123456789012:identity/wenzheng.example",
                "sendingAccountId": "123456789012",
                "messageId": "0100018f-ses-message-id",
                "destination": [address],
                "headersTruncated": False,
                "tags": tags,
            },
        }
    )


def ses_complaint(address: str, *, message_id: str | None, case_id: str | None) -> str:
    tags: dict[str, list[str]] = {}
    if message_id:
        tags["message_id"] = [message_id]
    if case_id:
        tags["case_id"] = [case_id]
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "feedbackId": "0100018f-complaint-feedback",
                "complaintSubType": None,
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": "2026-11-02T03:00:00.000Z",
                "userAgent": "ExampleCorp Feedback Loop (V0.01)",
                "complaintFeedbackType": "abuse",
            },
            "mail": {
                "timestamp": "2026-11-02T02:04:59.000Z",
                "source": "noreply@wenzheng.example",
                "messageId": "0100018f-ses-message-id",
                "destination": [address],
                "tags": tags,
            },
        }
    )


def test_a_permanent_bounce_is_read_with_its_tags_and_a_safe_detail() -> None:
    for event in (True, False):
        found = ses_events.parse(
            ses_bounce("Dept-1@Dept.example", message_id="m" * 32, case_id=LONG_ID, event=event)
        )
        assert found == ses_events.Feedback(
            "bounce",
            ("dept-1@dept.example",),
            "m" * 32,
            LONG_ID,
            found.detail if found else "",
        )
        assert found is not None and found.detail.startswith("bounce: Permanent/General: smtp; 550")
        assert "dept-1@dept.example" not in found.detail.lower()


def test_a_complaint_is_read() -> None:
    found = ses_events.parse(ses_complaint("a@dept.example", message_id=None, case_id=None))
    assert found == ses_events.Feedback(
        "complaint", ("a@dept.example",), None, None, "complaint: abuse"
    )


@pytest.mark.parametrize(
    "message",
    [
        ses_bounce("a@dept.example", message_id=None, case_id=None, bounce_type="Transient"),
        ses_bounce("a@dept.example", message_id=None, case_id=None, bounce_type="Undetermined"),
        json.dumps({"eventType": "Delivery", "mail": {}}),
        json.dumps({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}}),
        "not json",
        "[]",
    ],
)
def test_notifications_that_call_for_nothing(message: str) -> None:
    assert ses_events.parse(message) is None


def test_role_names_in_the_unreachable_alert() -> None:
    text = templates.contact_unreachable(
        kind="complaint",
        address="dept-1-fyr@dept.example",
        departments=[("市住房和城乡建设局", ["spokesperson"])],
        case_id=LONG_ID,
        original="【交办】电梯",
        detail="complaint: abuse",
        console_url="https://wenzheng.example/staff.html",
    )
    assert text.subject == f"【未能送达】市住房和城乡建设局（{LONG_ID}）"
    assert "市住房和城乡建设局（新闻发言人）" in text.body and "投诉为垃圾邮件" in text.body
    assert "未能送达该单位" in text.body


def test_a_title_with_line_breaks_makes_a_one_line_subject() -> None:
    """A citizen's title may hold line breaks; a mail header may not."""
    raw = adapter.mime_message(
        "noreply@wenzheng.example", "a@dept.example", "【交办】小区路灯\n不亮已两周\r\n", "正文"
    )
    parsed: Message = email.message_from_bytes(raw)
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
    assert subject == "【交办】小区路灯 不亮已两周"
