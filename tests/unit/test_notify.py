"""Delivery rules without AWS: the jittered backoff, which provider errors mean "slow down",
the HTML part derived from a text email, every SMS fitting one segment, and reading SES
bounce and complaint notifications."""

from __future__ import annotations

import email
import email.policy
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage, Message
from html.parser import HTMLParser

import pytest

from functions.domain.cases import DepartmentRef
from functions.domain.digest import DigestItem
from functions.domain.lifecycle import Role, State
from functions.domain.policy import DEFAULT_LADDER
from functions.domain.taxonomy import Outcome, Rating, RejectReason
from functions.notify import adapter, ses_events, templates
from functions.storage import outbox_repo
from tests import transitions as domain
from tests.unit.test_lifecycle import (
    CO,
    COORD,
    HOUSING,
    LEAD,
    RULES,
    T0,
    TRANSPORT,
    assigned,
    replied,
    signed,
    submitted,
)

LONG_TITLE = "关于翠湖小区三号楼电梯停运两个月物业公司一直推脱不修居民上下楼十分困难的投诉" * 3
LONG_ID = "WZ20261231-ZZZZZZ"
TRACK = "https://wenzheng.example/track.html?case=WZ20261231-ZZZZZZ"
LONG_NAME = "市住房和城乡建设局" * 4
FORGED_LINE = "办理链接（请勿转发）：https://evil.example/handle.html#t=x"
FORGED = f"路灯坏了\n\n{FORGED_LINE}\n"
BROKEN_NAME = "市住房和城乡建设局\r\n办理链接：https://evil.example/\u2028二处"


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


def test_the_html_part_escapes_keeps_lines_and_links_the_platforms_links() -> None:
    track = "https://wenzheng.example/track.html?case=WZ1&x="
    handle = "https://wenzheng.example/handle.html#t=abc_DEF-123"
    text = (
        "您好！<script>alert(1)</script> & “引号”\n"
        f"查询办理进度：{track}<b>\n"
        f"办理链接（请勿转发）：{handle}。\n"
    )
    html = adapter.html_body(text, "标题<i>", (track, handle))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    assert "<title>标题&lt;i&gt;</title>" in html
    assert html.count("<br>") == 3
    # Only where the link stands whole: "…&x=<b>" continues the address, so it stays text.
    assert 'x=">' not in html and "case=WZ1&amp;x=&lt;b&gt;<br>" in html
    # The full-width full stop ends the link; the fragment token stays in it.
    assert f'<a href="{handle}">{handle}</a>。' in html
    # Nothing loaded from elsewhere: no images, stylesheets, scripts or frames.
    for tag in ("<img", "<link", "<script", "<iframe", "src=", "@import", "url("):
        assert tag not in html


def test_an_address_not_among_the_platforms_links_stays_text() -> None:
    ours = "https://wenzheng.example/handle.html#t=tok"
    text = (
        "请看 https://evil.example/login 和 https://wenzheng.example/handle.html#t=forged\n"
        f"以及 {ours}x 与 {ours}.evil.example\n"
        f"办理链接（请勿转发）：{ours}\n"
    )
    html = adapter.html_body(text, "", (ours,))
    assert _anchors(html) == [ours]
    assert "https://evil.example/login" in html


def test_an_email_is_multipart_alternative_with_text_then_html() -> None:
    raw = adapter.mime_message(
        "noreply@wenzheng.example",
        "a@dept.example",
        "【交办】电梯",
        "第一行\nhttps://x.example/",
        ("https://x.example/",),
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


def _dressed(case: domain.Case, title: str = LONG_TITLE, lead: str = LONG_NAME) -> domain.Case:
    """``case`` with the longest id, and the title and lead department name given."""
    case.case_id = LONG_ID
    case.title = title
    if case.assignment is not None:
        case.assignment.lead = DepartmentRef(case.assignment.lead.id, lead)
    for reply in case.replies:
        reply.department = DepartmentRef(reply.department.id, lead)
    return case


def _citizen_cases() -> dict[str, domain.Case]:
    """A case in the state each citizen template reports."""
    base = assigned()
    rejected = domain.reject(
        domain.new_case(
            case_id=LONG_ID,
            tracking_hash="h",
            tracking_code="ABCD2345",
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
            rules=RULES,
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
        replied(), rating=Rating.UNSATISFIED, comment=None, now=T0 + timedelta(days=3), rules=RULES
    ).case
    asked = domain.request_extension(
        signed(), LEAD, working_days=3, reason="需协调", now=T0, rules=RULES
    ).case
    extended = domain.decide_extension(
        asked, COORD, approve=True, working_days=None, note="", now=T0, rules=RULES
    ).case
    return {
        "received": submitted(),
        "accepted": base,
        "assigned": base,
        "extended": extended,
        "rejected": rejected,
        "replied": answered,
        "reopened": reopened,
        "escalated": reopened,
        "closed": answered,
    }


def _citizen_text(template: str, case: domain.Case) -> templates.Text:
    code = "ABCD2345" if template == "received" else None
    return templates.citizen(template, case, track_url=TRACK, tracking_code=code)


def _sms_texts(title: str = LONG_TITLE, lead: str = LONG_NAME) -> dict[str, str]:
    """Every SMS the templates can produce, for a case with the longest id, a very long title
    and department name (or the ones given)."""
    texts: dict[str, str] = {}
    for template, case in _citizen_cases().items():
        sms = _citizen_text(template, _dressed(case, title, lead)).sms
        assert sms is not None, template
        texts[template] = sms.text
    for rung in DEFAULT_LADDER:
        for clock_name in ("response", "reply"):
            for recipient in ("handler", "spokesperson", "leader", "coordinator"):
                text = templates.ladder(
                    rung,
                    clock_name,
                    _dressed(assigned(), title, lead),
                    recipient=recipient,
                    department_name=lead,
                    due_at=T0,
                    link="https://wenzheng.example/handle.html#t=" + "x" * 43,
                    console_url="https://wenzheng.example/staff.html",
                )
                if text.sms is not None:
                    texts[f"{rung.code}/{clock_name}/{recipient}"] = text.sms.text
    return texts


def test_every_sms_template_fits_one_segment() -> None:
    texts = _sms_texts()
    # Every citizen template sends one, and the ladder's SMS rungs do too.
    assert set(_citizen_cases()) <= set(texts)
    assert any(k.startswith("due/") for k in texts) and any(k.startswith("red/") for k in texts)
    too_long = {k: len(v) for k, v in texts.items() if len(v) > templates.SMS_LIMIT}
    assert not too_long, too_long
    assert all(v.startswith(templates.sms_signature()) for v in texts.values())
    assert all(LONG_ID in v for k, v in texts.items() if "/" not in k)
    # What a message is for is never cut off: the receipt's code, the extension's new date.
    assert "查询码ABCD2345" in texts["received"]
    extended = _citizen_cases()["extended"].assignment
    assert extended is not None and templates.local(extended.reply_due_at) in texts["extended"]


def _sms_messages(title: str = LONG_TITLE, lead: str = LONG_NAME) -> list[templates.Sms]:
    """Every SMS the templates can produce (as ``_sms_texts``), with kind and parameters."""
    found = [
        sms
        for template, case in _citizen_cases().items()
        if (sms := _citizen_text(template, _dressed(case, title, lead)).sms) is not None
    ]
    for rung in DEFAULT_LADDER:
        for clock_name in ("response", "reply"):
            text = templates.ladder(
                rung,
                clock_name,
                _dressed(assigned(), title, lead),
                recipient="handler",
                department_name=lead,
                due_at=T0,
                link=None,
                console_url="https://wenzheng.example/staff.html",
            )
            found += [text.sms] if text.sms is not None else []
    return [*found, templates.otp_sms("123456")]


def test_a_domestic_provider_sends_the_same_words_as_sns_from_the_approved_template() -> None:
    """国内短信: the template and its parameters make exactly the text SNS sends, whole (no
    value so long that the text is cut), and every kind sent has a template to file."""
    messages = _sms_messages()
    assert {"received", "ladder_due", "ladder_overdue", "citizen_otp"} <= {m.kind for m in messages}
    for sms in messages:
        assert sms.kind in templates.SMS_TEMPLATES
        assert [name for name, _ in sms.params] == list(templates.sms_param_names(sms.kind))
        whole = templates.sms_signature() + templates.sms_text(sms.kind, dict(sms.params))
        assert whole == sms.text, sms.kind
        assert all(len(value) <= templates.SMS_PARAM_LIMIT for _, value in sms.params)


def test_every_sms_template_is_in_the_operations_guide_as_it_must_be_filed() -> None:
    """docs/OPERATIONS.md lists each kind with the exact text to file for approval."""
    from pathlib import Path

    guide = (Path(__file__).parents[2] / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    section = guide.split("### Domestic SMS templates", 1)[1].split("\n#", 1)[0]
    rows = {
        cells[0].strip("` "): cells[1].strip()
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [line.strip("|").split("|")]
    }
    assert rows == templates.SMS_TEMPLATES


def test_the_adapter_refuses_an_sms_over_one_segment_without_calling_the_provider() -> None:
    with pytest.raises(adapter.Refused, match="71 characters exceeds the 70-character limit"):
        adapter.send_sms("+8613800000001", "字" * 71)


# --- someone else's text in a message -----------------------------------------------------


class _Reader(HTMLParser):
    """What a mail reader makes of an HTML part: where its anchors lead, and the text shown
    inside block quotes and outside them."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.quoted = ""
        self.plain = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag == "blockquote":
            self._depth += 1
            self.quoted += "\n"

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.quoted += data
        else:
            self.plain += data


def _anchors(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    return reader.hrefs


@dataclass
class Received:
    """An email as a mail reader shows it: its subject, text part and HTML part."""

    subject: str
    text: str
    html: _Reader


def _received(text: templates.Text, to: str = "a@dept.example") -> Received:
    """The MIME message the adapter sends for ``text``, read back by the standard library's
    parser as any mail reader would."""
    raw = adapter.mime_message("noreply@wenzheng.example", to, text.subject, text.body, text.links)
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    reader = _Reader()
    reader.feed(html.get_content())
    return Received(str(mail["Subject"]), plain.get_content().replace("\r\n", "\n"), reader)


HANDLE = "https://wenzheng.example/handle.html#t=" + "k" * 43
CONSOLE = f"https://wenzheng.example/staff.html?case={LONG_ID}"


def _every_email(title: str) -> dict[str, templates.Text]:
    """Every email a case's title appears in, for a case titled ``title``."""
    texts = {
        f"citizen/{t}": _citizen_text(t, _dressed(case, title, "市住房和城乡建设局"))
        for t, case in _citizen_cases().items()
    }
    co = _dressed(assigned(), title, "市住房和城乡建设局")
    given = domain.co_input(co, CO, text=f"已安排。\n{FORGED_LINE}", now=T0).case
    reopened = domain.rate(
        replied(),
        rating=Rating.UNSATISFIED,
        comment=FORGED,
        now=T0 + timedelta(days=3),
        rules=RULES,
    ).case
    for template, case in (
        ("assigned_lead", co),
        ("assigned_co_handler", co),
        ("co_input", given),
        ("extension_approved", co),
        ("extension_refused", co),
        ("return_refused", co),
        ("reopened_lead", _dressed(reopened, title, "市住房和城乡建设局")),
    ):
        texts[f"department/{template}"] = templates.department(
            template, case, department_id=HOUSING.id, department_name=HOUSING.name, link=HANDLE
        )
    promised = domain.reply(
        signed(),
        LEAD,
        outcome=Outcome.SCHEDULED,
        text="列入明年计划。",
        planned_date=date(2026, 12, 1),
        now=T0,
        rules=RULES,
    ).case
    texts["department/followup_requested"] = templates.department(
        "followup_requested",
        _dressed(promised, title, "市住房和城乡建设局"),
        department_id=HOUSING.id,
        department_name=HOUSING.name,
        link=HANDLE,
    )
    for rung in DEFAULT_LADDER:
        for recipient in ("handler", "coordinator"):
            texts[f"ladder/{rung.code}/{recipient}"] = templates.ladder(
                rung,
                "reply",
                _dressed(assigned(), title, "市住房和城乡建设局"),
                recipient=recipient,
                department_name=HOUSING.name,
                due_at=T0,
                link=HANDLE if recipient == "handler" else None,
                console_url=CONSOLE,
            )
    item = DigestItem(LONG_ID, title, Role.LEAD, State.ASSIGNED, ())
    texts["digest"] = templates.digest(
        HOUSING.name,
        [item],
        now=T0,
        handle_page="https://wenzheng.example/handle.html",
        links={LONG_ID: HANDLE},
    )
    return texts


@pytest.mark.parametrize("name", sorted(_every_email(FORGED)))
def test_title_with_forged_link_line_stays_in_the_quoted_block(name: str) -> None:
    text = _every_email(FORGED)[name]
    mail = _received(text)
    # The text part: the forged line is only ever a quoted line, never one of its own.
    forged = [line for line in mail.text.split("\n") if "evil.example" in line]
    assert forged, mail.text
    assert all(line.lstrip(" ").startswith("> ") for line in forged), forged
    # The subject is one line, without the title's line breaks.
    assert "\n" not in mail.subject and "\r" not in mail.subject
    # The HTML part: exactly the platform's links are anchors; the forged one is quoted text.
    assert sorted(mail.html.hrefs) == sorted(text.links) and text.links
    assert "evil.example" in mail.html.quoted and "evil.example" not in mail.html.plain


def test_a_platform_address_in_a_title_is_never_a_link() -> None:
    """Even the platform's own address (this case's tracking page, the handling page) is only
    text where a citizen wrote it: the one anchor is the platform's line."""
    title = f"见 {TRACK} 和 https://wenzheng.example/handle.html 以及 {HANDLE}"
    for name, text in _every_email(title).items():
        mail = _received(text)
        assert sorted(mail.html.hrefs) == sorted(text.links), name
        assert len(mail.html.hrefs) == len(set(text.links)), name


def test_someone_elses_words_are_quoted_in_the_email_they_are_sent_in() -> None:
    """The co-handler's input, the citizen's rating comment and a department's reply are
    quoted blocks, each line of them behind the quote mark."""
    texts = _every_email("路灯坏了")
    for name in ("department/co_input", "department/reopened_lead"):
        mail = _received(texts[name])
        assert f"> {FORGED_LINE}" in mail.text.split("\n"), name
        assert FORGED_LINE in mail.html.quoted, name
    replied_mail = _received(texts["citizen/replied"])
    assert "> 已修复电梯。" in replied_mail.text.split("\n")


def test_one_line_removes_breaks_controls_and_direction_marks() -> None:
    assert templates.one_line("a\r\nb\u2028c\x00d\u202ee\tf\x85g\ud800") == "a b cde f g"
    assert templates.one_line("  路灯  坏了 ") == "路灯 坏了"
    assert templates.one_line("一二三四五六", 4) == "一二三…"


def test_no_line_of_the_text_escapes_its_quoted_block() -> None:
    text = "第一行\r第二行\u2028第三行\x1c第四行\x85第五行\u2029第六行\v第七行\n\n\n"
    lines = templates.quoted("说明", text)
    assert lines[0] == "说明：" and lines[-1] == ""
    assert lines[1:-1] == [f"> 第{n}行" for n in "一二三四五六七"]
    assert templates.quoted("说明", "") == ["说明：", "> （无）", ""]


def test_sms_never_carries_a_line_break_from_someone_elses_text() -> None:
    for name, sms in _sms_texts(FORGED, BROKEN_NAME).items():
        assert sms == templates.one_line(sms), name
        assert "\u2028" not in sms and "\r" not in sms and "\n" not in sms, name


def test_subjects_and_single_line_fields_lose_their_line_breaks() -> None:
    alert = templates.contact_unreachable(
        kind="bounce",
        address="dept-1@dept.example",
        departments=[(BROKEN_NAME, ["handler"])],
        case_id=LONG_ID,
        original="【交办】路灯\n坏了",
        detail="bounce: Permanent\r\n5.1.1",
        console_url=CONSOLE,
    )
    assert "\n" not in alert.subject and "\u2028" not in alert.subject
    lines = alert.body.split("\n")
    assert "原邮件：【交办】路灯 坏了" in lines and "原因：bounce: Permanent 5.1.1" in lines
    assert not any(line.startswith("办理链接") for line in lines)
    digest = templates.digest(BROKEN_NAME, [], now=T0, handle_page=HANDLE, links={})
    assert not any(line.startswith("办理链接") for line in digest.body.split("\n"))


def test_the_co_handlers_deadline_is_found_by_id_not_by_name() -> None:
    """A department renamed since the assignment (the directory's name differs from the one
    on the case) still sees its own deadline in a re-sent link."""
    case = assigned()
    slot = case.assignment.co_handler(TRANSPORT.id) if case.assignment else None
    assert slot is not None
    text = templates.department(
        "assigned_co_handler",
        case,
        department_id=TRANSPORT.id,
        department_name="市交通运输局（更名后）",
        link=HANDLE,
    )
    assert f"协办意见时限：{templates.local(slot.input_due_at)}" in text.body.split("\n")


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
