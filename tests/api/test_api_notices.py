"""What the citizen is told, over HTTP: a receipt with the tracking code on submission from
every channel (web form, hotline operator, Open311), the department a case is handed to
(交办), and the new reply date when an extension is approved. Each is sent once, by e-mail and
SMS, to the case's own contact and nobody else. Every figure a message or page states follows
the SLA policy in force; a mail reader sees a forged line in a title as quoted text."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from tests.api.helpers import EMAIL, PHONE, T0, Api, Link, dept_email, submission

CITIZEN_PHONE = f"+86{PHONE}"
HOUSING = "市住房和城乡建设局"  # dept-1 in the test city
URBAN = "市城市管理局"  # dept-3


def local(instant: str) -> str:
    """An API instant as the messages write it (Beijing time, Chinese form)."""
    from functions.notify.templates import local as written

    return written(datetime.fromisoformat(instant.replace("Z", "+00:00")))


def _sent(api: Api, case_id: str, template: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The messages of ``template`` on the case, by (channel, recipient): each recipient once."""
    found = api.messages(case_id=case_id, template=template)
    by = {(m["channel"], m["to"]): m for m in found}
    assert len(by) == len(found), [(m["channel"], m["to"]) for m in found]
    return by


def _to_the_citizen(api: Api, case_id: str, template: str) -> tuple[str, str]:
    """The e-mail body and SMS of ``template``: sent once each, to the citizen only."""
    sent = _sent(api, case_id, template)
    assert set(sent) == {("email", EMAIL), ("sms", CITIZEN_PHONE)}, set(sent)
    sms = sent[("sms", CITIZEN_PHONE)]["body"]
    assert len(sms) <= 70 and "\n" not in sms
    return sent[("email", EMAIL)]["body"], sms


@contextlib.contextmanager
def _log_lines() -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(), logging.getLogger("wenzheng")]
    for logger in loggers:
        logger.addHandler(keep)
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(keep)


# --- the receipt --------------------------------------------------------------------------------


def _receipt_only_to_the_citizen(api: Api, case_id: str, code: str) -> None:
    body, sms = _to_the_citizen(api, case_id, "received")
    assert case_id in body and f"查询码：{code}" in body.split("\n")
    assert case_id in sms and code in sms
    # Nobody else's message, no subject (the coordinator's lists show subjects), and no
    # staff view carries the code.
    carrying = [m for m in api.outbox() if code in m["body"] or code in m["subject"]]
    assert sorted((m["channel"], m["to"], m["template"]) for m in carrying) == [
        ("email", EMAIL, "received"),
        ("sms", CITIZEN_PHONE, "received"),
    ]
    assert all(code not in m["subject"] for m in carrying)
    assert code not in json.dumps(api.staff_case(case_id), ensure_ascii=False)


def test_a_web_submission_gets_one_receipt_with_its_code_on_the_citizens_own_contact(
    api: Api,
) -> None:
    with _log_lines() as lines:
        created = api.submit(headers={"Idempotency-Key": "receipt-1"})
        case_id, code = created["case_id"], created["tracking_code"]  # the form shows it once
        again = api.submit(headers={"Idempotency-Key": "receipt-1"})  # a replay sends nothing
        assert again["replayed"] and again["case_id"] == case_id
        _receipt_only_to_the_citizen(api, case_id, code)
    assert not [line for line in lines if code in line]
    # The code in the receipt opens the case.
    assert api.track(case_id, code)["case_id"] == case_id


def test_a_receipt_goes_where_the_citizen_can_be_reached(api: Api) -> None:
    by_mail = api.submit(contact={"email": EMAIL})
    assert set(_sent(api, by_mail["case_id"], "received")) == {("email", EMAIL)}
    by_phone = api.submit(contact={"phone": PHONE})
    assert set(_sent(api, by_phone["case_id"], "received")) == {("sms", CITIZEN_PHONE)}


def test_a_case_entered_by_the_hotline_operator_gets_the_same_receipt(api: Api) -> None:
    body = {**submission(), "channel": "hotline"}
    created = api.ok(api.post("/api/staff/cases", body, api.as_role("operator")), 201)
    _receipt_only_to_the_citizen(api, created["case_id"], created["tracking_code"])


def test_an_open311_case_gets_the_same_receipt(api: Api) -> None:
    form = {
        "service_code": "complaint.urban",
        "description": "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快处理。",
        "phone": PHONE,
        "email": EMAIL,
        "district": "city",
        "public": "false",
        "extensions": "true",  # the tracking code as its own field (it is in the notice too)
    }
    answer = api.call(
        "POST",
        "/open311/v2/requests.json",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        raw=urlencode(form),
    )
    [posted] = api.ok(answer, 201)
    code = posted["extended_attributes"]["tracking_code"]
    _receipt_only_to_the_citizen(api, posted["service_request_id"], code)


# --- 交办 and 延期 ----------------------------------------------------------------------------


def test_the_citizen_is_told_the_lead_department_on_assignment_and_on_reassignment(
    api: Api,
) -> None:
    created = api.submit()
    case_id = created["case_id"]
    api.accept(case_id)
    assert _sent(api, case_id, "assigned") == {}  # not before 交办
    case = api.assign(case_id, "dept-1", ["dept-2"])
    body, sms = _to_the_citizen(api, case_id, "assigned")
    assert f"已交{HOUSING}办理" in body and f"承办单位将在 {local(case['reply_due_at'])} 前" in body
    assert f"已交{HOUSING}办理" in sms

    # 改派 after a return: told once more, naming the new lead.
    lead = api.link("dept-1", case_id)
    api.ok(api.handle_act(lead, "return", {"reason": "电梯维保属城管范围"}))
    decision = {"decision": "reassign", "lead": "dept-3", "co_handlers": [], "note": "改派"}
    case = api.ok(api.act(case_id, "return-decision", decision))
    mails = [m for m in api.messages(case_id=case_id, template="assigned") if m["to"] == EMAIL]
    assert len(mails) == 2 and f"已交{URBAN}办理" in mails[-1]["body"]
    assert local(case["reply_due_at"]) in mails[-1]["body"]
    texts = [
        m["body"] for m in api.messages(case_id=case_id, template="assigned", to=CITIZEN_PHONE)
    ]
    assert len(texts) == 2 and f"已交{URBAN}办理" in texts[-1]


def test_the_citizen_is_told_the_new_reply_date_when_an_extension_is_approved(api: Api) -> None:
    created, link = api.assigned_case("dept-1")
    case_id = created["case_id"]
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "extension", {"working_days": 2, "reason": "需协调维保单位"}))
    api.ok(api.act(case_id, "extension-decision", {"decision": "refuse", "note": "请按时办理"}))
    assert _sent(api, case_id, "extended") == {}  # a refusal changes nothing for the citizen

    api.ok(api.handle_act(link, "extension", {"working_days": 3, "reason": "需协调维保单位"}))
    case = api.ok(api.act(case_id, "extension-decision", {"decision": "approve", "note": "同意"}))
    new_date = local(case["reply_due_at"])
    assert new_date == "2026年11月12日 23:59"  # Mon 11-09 + 3 working days, Beijing time
    body, sms = _to_the_citizen(api, case_id, "extended")
    assert f"延长至 {new_date}" in body and HOUSING in body
    assert new_date in sms


# --- figures from the policy in force ------------------------------------------------------------


def _put_policy(api: Api, **changes: Any) -> dict[str, Any]:
    policy = api.ok(api.get("/api/admin/policy", api.as_role("admin")))
    body = {k: v for k, v in policy.items() if k not in ("defaults", "updated_by", "updated_at")}
    body.update(changes)
    stored: dict[str, Any] = api.ok(
        api.call("PUT", "/api/admin/policy", body, api.as_role("admin"))
    )
    return stored


def _end_of(day: str) -> str:
    return local((datetime.fromisoformat(f"{day}T23:59:59+08:00")).astimezone(UTC).isoformat())


def test_every_figure_the_messages_and_pages_state_follows_the_policy(api: Api) -> None:
    reply_days = {"default": {"urgent": 2, "general": 4, "complex": 15}}
    _put_policy(
        api,
        reply_working_days=reply_days,
        return_window_working_days=1,
        extensions_allowed=2,
        extension_max_working_days=4,
        rating_window_days=3,
    )
    limits = api.ok(api.get("/api/taxonomy"))["time_limits"]
    assert limits["reply_working_days"] == reply_days
    assert (limits["return_window_working_days"], limits["extensions_allowed"]) == (1, 2)
    assert (limits["extension_max_working_days"], limits["rating_window_days"]) == (4, 3)
    assert limits["red_card_overdue_working_days"] == 5

    # 交办 on Mon 11-02: reply in 4 working days (Fri 11-06), co-input a day before (Thu),
    # return within 1 (Tue 11-03). Each message states the dates the policy gives.
    created, lead = api.assigned_case("dept-1", co_handlers=["dept-2"])
    case_id = created["case_id"]
    [lead_mail] = api.messages(case_id=case_id, to=dept_email("dept-1"), template="assigned_lead")
    assert f"答复时限：{_end_of('2026-11-06')}" in lead_mail["body"].split("\n")
    [co_mail] = api.messages(
        case_id=case_id, to=dept_email("dept-2"), template="assigned_co_handler"
    )
    assert f"协办意见时限：{_end_of('2026-11-05')}" in co_mail["body"].split("\n")
    citizen_body, _ = _to_the_citizen(api, case_id, "assigned")
    assert f"承办单位将在 {_end_of('2026-11-06')} 前答复您" in citizen_body

    view = api.ok(api.handle(lead))
    assert view["actions"] == ["sign", "return"]
    assert view["limits"] == {
        "extension_max_working_days": 4,
        "extensions_left": 2,
        "info_requests_left": 2,
    }
    assert view["case"]["assignment"]["return_window_ends_at"] == "2026-11-03T15:59:59Z"
    api.ok(api.handle_act(lead, "sign"))

    # The return window of 1 working day has closed by Wednesday; the refusal names its end.
    api.set_clock(T0 + timedelta(days=2))
    view = api.ok(api.handle(lead))
    assert view["actions"] == ["reply", "request-info", "extension"]
    late = api.handle_act(lead, "return", {"reason": "不属于本单位职责"})
    assert late.status == 409 and "截至 2026年11月03日" in late.error["message"]

    # Two extensions allowed: offered after the first approval, not after the second.
    for n, days in enumerate((2, 1), start=1):
        api.ok(api.handle_act(lead, "extension", {"working_days": days, "reason": "需协调"}))
        case = api.ok(api.act(case_id, "extension-decision", {"decision": "approve"}))
        view = api.ok(api.handle(lead))
        assert view["limits"]["extensions_left"] == 2 - n
        assert ("extension" in view["actions"]) is (n < 2)
        mails = api.messages(case_id=case_id, to=EMAIL, template="extended")
        assert len(mails) == n and local(case["reply_due_at"]) in mails[-1]["body"]
    assert local(case["reply_due_at"]) == _end_of("2026-11-11")  # Fri + 2 + 1 working days

    # A rating window of 3 days, stated as the date it ends.
    api.ok(api.handle_act(lead, "reply", {"outcome": "resolved", "text": "已督促物业修复电梯。"}))
    ends = local(api.track(case_id, created["tracking_code"])["rating_window_ends_at"])
    assert ends == local((T0 + timedelta(days=2 + 3)).isoformat())
    body, sms = _to_the_citizen(api, case_id, "replied")
    assert f"请在 {ends} 前查看答复并评价" in body and f"请于{ends}前" in sms


# --- a mail reader's view of a forged title ------------------------------------------------------


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.quoted = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        self._depth += tag == "blockquote"

    def handle_endtag(self, tag: str) -> None:
        self._depth -= tag == "blockquote"

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.quoted += data


def _ses_received(to: str) -> list[EmailMessage]:
    """What moto's SES took for ``to``, parsed as a mail reader would."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from functions.settings import settings

    found = []
    for sent in ses_backends[DEFAULT_ACCOUNT_ID][settings().region].sent_messages:
        if to in getattr(sent, "destinations", []):
            mail = email.message_from_string(sent.raw_data, policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            found.append(mail)
    return found


def test_a_forged_link_line_in_a_title_reaches_the_department_as_quoted_text(api: Api) -> None:
    from functions.settings import settings

    forged = "办理链接（请勿转发）：https://evil.example/handle.html#t=x"
    case_id = api.submit(title=f"路灯坏了\n\n{forged}\n")["case_id"]
    api.accept(case_id)
    api.assign(case_id, "dept-1")
    api.deliver()
    [mail] = [m for m in _ses_received(dept_email("dept-1")) if case_id in str(m["Subject"])]
    assert "\n" not in str(mail["Subject"])
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    lines = plain.get_content().replace("\r\n", "\n").split("\n")
    # The text part: the forged line is quoted; one line of the platform's carries a link.
    assert f"> {forged}" in lines
    [ours] = [line for line in lines if line.startswith("办理链接")]
    url = ours.removeprefix("办理链接（请勿转发）：")
    assert url.startswith(f"{settings().public_base_url}/handle.html#t=")
    # The HTML part: that link is the one anchor; the forged one is quoted text.
    anchors = _Anchors()
    anchors.feed(html.get_content())
    assert anchors.hrefs == [url] and "evil.example" in anchors.quoted
    token = url.split("#t=")[1]
    assert api.ok(api.handle(Link(token, "dept-1", case_id)))["role"] == "lead"
