"""The providers beside SES and SNS (§17), each against a local fake (tests/provider_fakes.py):
Alibaba Cloud's and Tencent Cloud's SMS APIs played by a loopback HTTP server the real SDKs
are pointed at, an SMTP server over TLS played by aiosmtpd. The exact requests are asserted
(the approved template and its parameters, never the text; the signature; the key that
signed it), each provider answer lands on one of the adapter's three failure kinds, and an
outbox run and the receipts job move messages through the same states as SES and SNS do.
Credentials come from moto's Secrets Manager."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message as MimeMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from tests import provider_fakes as fakes

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
PHONE = fakes.PHONE
TEMPLATES = {
    "received": "SMS_100000001",
    "closed": "SMS_100000002",
    "citizen_otp": "SMS_100000003",
}
TENCENT_TEMPLATES = {"received": "2000001", "closed": "2000002"}
RECEIVED = (("case_id", "WZ20261102-AAAAAA"), ("code", "ABCD2345"))
SECRETS = (
    fakes.ALIYUN_KEYS["access_key_secret"],
    fakes.TENCENT_KEYS["secret_key"],
    fakes.SMTP_PASSWORD,
)


@pytest.fixture
def api() -> Iterator[fakes.FakeSmsApi]:
    with fakes.sms_api() as found:
        yield found


@pytest.fixture(autouse=True)
def _settings_back() -> Iterator[None]:
    yield
    fakes.restage()


def _aliyun(monkeypatch: pytest.MonkeyPatch, endpoint: str, **more: str) -> None:
    fakes.put_secret(fakes.SMS_SECRET, fakes.ALIYUN_KEYS)
    env = {
        "WZ_SMS_PROVIDER": "aliyun",
        "WZ_SMS_SECRET": fakes.SMS_SECRET,
        "WZ_SMS_TEMPLATES": json.dumps(TEMPLATES),
        "WZ_SMS_ENDPOINT": endpoint,
        "WZ_SMS_SIGNATURE": "【临江问政】",
    }
    fakes.stage(monkeypatch, **{**env, **more})


def _tencent(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    fakes.put_secret(fakes.SMS_SECRET, fakes.TENCENT_KEYS)
    fakes.stage(
        monkeypatch,
        WZ_SMS_PROVIDER="tencent",
        WZ_SMS_SECRET=fakes.SMS_SECRET,
        WZ_SMS_TEMPLATES=json.dumps(TENCENT_TEMPLATES),
        WZ_SMS_ENDPOINT=endpoint,
        WZ_SMS_SIGNATURE="【临江问政】",
    )


def _aliyun_ok(biz_id: str = "900619746936498440^0") -> dict[str, Any]:
    return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "req-1"}


def _tencent_status(code: str = "Ok", serial: str = "5000:104571066915705365784") -> dict[str, Any]:
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial if code == "Ok" else "",
                    "PhoneNumber": PHONE,
                    "Fee": 1,
                    "SessionContext": "m",
                    "Code": code,
                    "Message": "send success" if code == "Ok" else f"refused {PHONE}",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "req-1",
        }
    }


def _tencent_error(code: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": f"for {PHONE}"}, "RequestId": "r"}}


def _send_received(message_id: str = "a" * 32) -> str:
    from functions.notify import adapter

    return adapter.send_sms(
        PHONE,
        "【临江问政】您的诉求已提交…",
        message_id=message_id,
        kind="received",
        params=RECEIVED,
    )


def _clean(text: str) -> None:
    """A failure's text as kept on the message: no secret, no number, no address."""
    assert PHONE not in text and "13800000001" not in text
    assert "@" not in text
    assert not any(secret in text for secret in SECRETS)


# --- Alibaba Cloud ------------------------------------------------------------------------


def test_aliyun_sends_the_approved_template_with_its_parameters_signed_with_the_key(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aliyun(monkeypatch, api.endpoint)
    api.answer("SendSms", 200, _aliyun_ok())

    assert _send_received("b" * 32) == "900619746936498440^0"

    [request] = api.seen
    assert request.action == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.params == {
        "PhoneNumbers": PHONE,
        "SignName": "临江问政",  # the approved 签名, without its 【】
        "TemplateCode": "SMS_100000001",
        "TemplateParam": json.dumps(dict(RECEIVED), ensure_ascii=False),
        "OutId": "b" * 32,
    }
    authorization = request.headers["authorization"]
    assert authorization.startswith("ACS3-HMAC-SHA256 Credential=LTAI-test-key,")
    assert "Signature=" in authorization and fakes.ALIYUN_KEYS["access_key_secret"] not in str(
        request
    )


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", "Throttled"),  # per-number flow control
        (400, "Throttling.User", "Throttled"),
        (200, "isv.AMOUNT_NOT_ENOUGH", "Throttled"),  # the account's balance: not the message
        (200, "isv.MOBILE_NUMBER_ILLEGAL", "Refused"),
        (200, "isv.SMS_TEMPLATE_ILLEGAL", "Refused"),
        (200, "isv.SMS_SIGNATURE_ILLEGAL", "Refused"),
        (200, "isv.TEMPLATE_MISSING_PARAMETERS", "Refused"),
        (503, "ServiceUnavailable", "Throttled"),  # the provider down: waits, no attempt used
        (500, "InternalError", "Throttled"),
        (403, "InvalidAccessKeyId.NotFound", "DeliveryFailed"),  # counts; a person fixes it
    ],
)
def test_each_aliyun_failure_lands_on_its_kind_with_a_redacted_reason(
    aws: None,
    api: fakes.FakeSmsApi,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    code: str,
    kind: str,
) -> None:
    from functions.notify import adapter

    _aliyun(monkeypatch, api.endpoint)
    api.answer("SendSms", status, {"Code": code, "Message": f"号码 {PHONE} 被拒", "RequestId": "r"})

    with pytest.raises(adapter.DeliveryFailed) as failure:
        _send_received()

    assert type(failure.value).__name__ == kind
    assert str(failure.value).startswith(f"sms: aliyun {code}")
    _clean(str(failure.value))


def test_an_aliyun_endpoint_out_of_reach_is_throttled(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    _aliyun(monkeypatch, f"http://127.0.0.1:{fakes.closed_port()}")
    with pytest.raises(adapter.Throttled, match="sms: aliyun unreachable"):
        _send_received()


# --- Tencent Cloud ------------------------------------------------------------------------


def test_tencent_sends_the_approved_template_with_its_parameters_in_order(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tencent(monkeypatch, api.endpoint)
    api.answer("SendSms", 200, _tencent_status())

    assert _send_received("c" * 32) == "5000:104571066915705365784"

    [request] = api.seen
    assert request.action == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.body == {
        "PhoneNumberSet": [PHONE],
        "SmsSdkAppId": "1400000001",
        "SignName": "临江问政",
        "TemplateId": "2000001",
        "TemplateParamSet": ["WZ20261102-AAAAAA", "ABCD2345"],  # {1}, {2}
        "SessionContext": "c" * 32,
    }
    assert request.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKID-test-id/")


@pytest.mark.parametrize(
    ("status", "answer", "kind"),
    [
        (200, _tencent_status("LimitExceeded.PhoneNumberDailyLimit"), "Throttled"),
        (200, _tencent_status("FailedOperation.InsufficientBalanceInSmsPackage"), "Throttled"),
        (200, _tencent_status("InvalidParameterValue.IncorrectPhoneNumber"), "Refused"),
        (200, _tencent_status("FailedOperation.TemplateIncorrectOrUnapproved"), "Refused"),
        (200, _tencent_status("FailedOperation.SignatureIncorrectOrUnapproved"), "Refused"),
        (
            200,
            _tencent_error("RequestLimitExceeded"),
            "Throttled",
        ),
        (
            200,
            _tencent_error("InternalError.Timeout"),
            "Throttled",
        ),
        (502, {}, "Throttled"),  # the gateway: the provider is down
        (
            200,
            _tencent_error("AuthFailure.SignatureFailure"),
            "DeliveryFailed",
        ),
    ],
)
def test_each_tencent_failure_lands_on_its_kind_with_a_redacted_reason(
    aws: None,
    api: fakes.FakeSmsApi,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    answer: dict[str, Any],
    kind: str,
) -> None:
    from functions.notify import adapter

    _tencent(monkeypatch, api.endpoint)
    api.answer("SendSms", status, answer)

    with pytest.raises(adapter.DeliveryFailed) as failure:
        _send_received()

    assert type(failure.value).__name__ == kind
    assert str(failure.value).startswith("sms: tencent ")
    _clean(str(failure.value))


# --- templates only -------------------------------------------------------------------------


def test_a_kind_without_an_approved_template_is_refused_and_never_sent_as_text(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    _aliyun(monkeypatch, api.endpoint)

    with pytest.raises(adapter.Refused, match="no approved template for kind accepted"):
        adapter.send_sms(PHONE, "text", message_id="d" * 32, kind="accepted", params=RECEIVED[:1])
    with pytest.raises(adapter.Refused, match="no template kind on the message"):
        adapter.send_sms(PHONE, "free text", message_id="d" * 32)
    with pytest.raises(adapter.Refused, match="parameters of received are not case_id, code"):
        adapter.send_sms(PHONE, "text", message_id="d" * 32, kind="received", params=RECEIVED[:1])
    assert api.seen == []


def test_a_missing_credential_is_named_never_shown(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    _aliyun(monkeypatch, api.endpoint, WZ_SMS_SECRET="wz/test/nothing")
    with pytest.raises(adapter.DeliveryFailed, match="wz/test/nothing"):
        _send_received()
    fakes.put_secret("wz/test/half", {"access_key_id": "LTAI-test-key"})
    _aliyun(monkeypatch, api.endpoint, WZ_SMS_SECRET="wz/test/half")
    with pytest.raises(adapter.DeliveryFailed, match="lacks access_key_secret"):
        _send_received()
    assert api.seen == []


def test_an_unknown_provider_name_stops_the_settings() -> None:
    from functions.settings import _choice

    with pytest.raises(ValueError, match="WZ_SMS_PROVIDER must be one of sns, aliyun, tencent"):
        _choice("twilio", "WZ_SMS_PROVIDER", ("sns", "aliyun", "tencent"))
    assert _choice(None, "WZ_MAIL_PROVIDER", ("ses", "smtp")) == "ses"


# --- SMTP ---------------------------------------------------------------------------------


@pytest.fixture
def cert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The fake server's certificate, trusted as the system's CAs would be (OpenSSL reads
    SSL_CERT_FILE when a default context loads its CAs)."""
    made = fakes.certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(made[0]))
    return made


def _smtp(monkeypatch: pytest.MonkeyPatch, port: int, tls: str) -> None:
    fakes.put_secret(fakes.SMTP_SECRET, fakes.SMTP_PASSWORD)
    fakes.stage(
        monkeypatch,
        WZ_MAIL_PROVIDER="smtp",
        WZ_SMTP_HOST="127.0.0.1",
        WZ_SMTP_PORT=str(port),
        WZ_SMTP_TLS=tls,
        WZ_SMTP_USER=fakes.SMTP_USER,
        WZ_SMTP_SECRET=fakes.SMTP_SECRET,
        WZ_MAIL_SENDER="noreply@linjiang.gov.example",
    )


def _send_mail(message_id: str = "e" * 32, to: str = "someone@gov.example") -> str:
    from functions.notify import adapter

    return adapter.send_email(
        to,
        "您的诉求 WZ20261102-AAAAAA 已受理",
        "您好！您的诉求已受理。\n查询办理进度：https://wz.example/track.html\n",
        message_id=message_id,
        case_id="WZ20261102-AAAAAA",
        links=("https://wz.example/track.html",),
        headers=(("Reply-To", "mayor@linjiang.gov.example"),),
    )


def _parts(message: MimeMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()  # type: ignore[attr-defined]
        for part in message.walk()
        if not part.is_multipart()
    }


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_smtp_sends_the_exact_envelope_and_message_over_tls_with_the_secrets_password(
    aws: None, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tls: str
) -> None:
    with fakes.smtp_server(tls, cert) as server:
        _smtp(monkeypatch, server.port, tls)
        mail_id = _send_mail(to="王小明@例子.中国")  # SMTPUTF8, the domain as servers route it

    assert server.logins == [(fakes.SMTP_USER, fakes.SMTP_PASSWORD)]
    [got] = server.delivered
    assert got.tls
    assert got.mail_from == "noreply@linjiang.gov.example"
    assert got.rcpt_tos == ["王小明@xn--fsqu00a.xn--fiqs8s"]
    message = email.message_from_bytes(got.content, policy=default_policy)
    assert mail_id == f"<{'e' * 32}@linjiang.gov.example>" == message["Message-ID"]
    assert message["From"] == "noreply@linjiang.gov.example"
    assert message["To"] == "王小明@xn--fsqu00a.xn--fiqs8s"
    assert message["Subject"] == "您的诉求 WZ20261102-AAAAAA 已受理"
    assert message["Reply-To"] == "mayor@linjiang.gov.example"
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    parts = _parts(message)
    assert list(parts) == ["text/plain", "text/html"]
    assert parts["text/plain"].startswith("您好！您的诉求已受理。")
    assert '<a href="https://wz.example/track.html">' in parts["text/html"]


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("550 5.1.1 <someone@gov.example>: user unknown", "Refused"),
        ("450 4.2.1 mailbox busy, try later", "DeliveryFailed"),  # counts; retried later
        ("421 4.3.2 service shutting down", "Throttled"),
    ],
)
def test_smtp_refusals_land_on_their_kinds_without_the_address(
    aws: None, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, answer: str, kind: str
) -> None:
    from functions.notify import adapter

    with fakes.smtp_server("implicit", cert) as server:
        server.refuse_rcpt = answer
        _smtp(monkeypatch, server.port, "implicit")
        with pytest.raises(adapter.DeliveryFailed) as failure:
            _send_mail()

    assert type(failure.value).__name__ == kind
    assert str(failure.value).startswith(f"email: smtp {answer[:3]}")
    _clean(str(failure.value))
    assert server.delivered == []


def test_smtp_wrong_password_counts_an_attempt_and_an_unreachable_server_waits(
    aws: None, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    with fakes.smtp_server("starttls", cert) as server:
        _smtp(monkeypatch, server.port, "starttls")
        fakes.put_secret(fakes.SMTP_SECRET, "not-the-password")
        with pytest.raises(adapter.DeliveryFailed) as wrong:
            _send_mail()
    assert type(wrong.value).__name__ == "DeliveryFailed"
    assert str(wrong.value).startswith("email: smtp 535")
    assert "not-the-password" not in str(wrong.value)

    _smtp(monkeypatch, fakes.closed_port(), "implicit")
    with pytest.raises(adapter.Throttled, match="email: smtp unreachable: ConnectionRefusedError"):
        _send_mail()


def test_smtp_refuses_a_server_whose_certificate_it_cannot_verify(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    untrusted = fakes.certificate(tmp_path)  # not in SSL_CERT_FILE
    with fakes.smtp_server("implicit", untrusted) as server:
        _smtp(monkeypatch, server.port, "implicit")
        with pytest.raises(adapter.Throttled, match="SSLCertVerificationError"):
            _send_mail()
    assert server.logins == [] and server.delivered == []


# --- the outbox end to end, and the receipts job ------------------------------------------


def _notices(now: datetime) -> list[str]:
    """A case's receipt (e-mail and SMS) written to the outbox as a submission writes it."""
    from functions.domain.cases import Contact
    from functions.notify import templates
    from functions.services.common import to_citizen
    from tests.factories import new_case

    case = new_case(now=now, contact=Contact("张三丰", PHONE, "zhang@example.com")).case
    text = templates.citizen(
        "received", case, track_url="https://wz.example/track.html", tracking_code="ABCD2345"
    )
    items = to_citizen(case, text, "received", now)
    for item in items:
        item.save()
    return [item.message_id for item in items]


def test_an_outbox_run_sends_through_aliyun_and_smtp_and_the_receipts_job_records_delivery(
    aws: None,
    api: fakes.FakeSmsApi,
    cert: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.jobs import run
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    mail_id, sms_id = _notices(T0)
    with fakes.smtp_server("implicit", cert) as server:
        _smtp(monkeypatch, server.port, "implicit")
        _aliyun(monkeypatch, api.endpoint)
        api.answer("SendSms", 200, _aliyun_ok("BIZ-1^0"))
        report = deliver_due(T0)

    assert (report.sent, report.failed) == (2, 0)
    [request] = api.seen
    assert request.params["TemplateCode"] == "SMS_100000001"
    assert json.loads(request.params["TemplateParam"]) == {
        "case_id": "WZ20261102-AAAAAA",
        "code": "ABCD2345",
    }
    assert request.params["OutId"] == sms_id
    [mail] = server.delivered
    assert mail.rcpt_tos == ["zhang@example.com"]
    sent = outbox_repo.get(sms_id)
    assert sent is not None and (sent.status, sent.provider_id) == ("sent", "BIZ-1^0")
    assert [m.message_id for m in outbox_repo.awaiting_receipt()] == [sms_id]  # not the mail
    email_sent = outbox_repo.get(mail_id)
    assert email_sent is not None and email_sent.provider_id == f"<{mail_id}@linjiang.gov.example>"

    # Still on its way: nothing changes. Then the phone has it.
    api.answer("QuerySendDetails", 200, fakes.aliyun_details(1))
    assert run("sms-receipts", T0 + timedelta(minutes=10))["delivered"] == 0
    api.answer("QuerySendDetails", 200, fakes.aliyun_details(3))
    assert run("sms-receipts", T0 + timedelta(minutes=20))["delivered"] == 1

    query = api.seen[-1]
    assert query.action == "QuerySendDetails"
    assert query.params == {
        "PhoneNumber": "13800000001",
        "BizId": "BIZ-1^0",
        "SendDate": "20261102",  # the day in China
        "PageSize": "10",
        "CurrentPage": "1",
    }
    delivered = outbox_repo.get(sms_id)
    assert delivered is not None and delivered.status == "delivered"
    assert outbox_repo.awaiting_receipt() == []
    # A receipt read again changes nothing.
    assert not outbox_repo.record_receipt(sms_id, False, "sms receipt: aliyun late")


def test_an_sms_whose_kind_has_no_approved_template_ends_in_the_dead_letters_unsent(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    _aliyun(monkeypatch, api.endpoint, WZ_SMS_TEMPLATES=json.dumps({"closed": "SMS_1"}))
    _mail_id, sms_id = _notices(T0)  # a receipt: "received" has no template on this stage

    report = deliver_due(T0)

    assert (report.sent, report.dead) == (1, 1)  # the e-mail went through SES
    assert api.seen == []
    dead, _cursor = outbox_repo.dead_letters(None)
    assert [(m.message_id, m.last_error) for m in dead] == [
        (sms_id, "sms: no approved template for kind received in WZ_SMS_TEMPLATES")
    ]


def test_an_aliyun_failed_receipt_dead_letters_the_sms_for_a_person(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import run
    from functions.storage import outbox_repo

    _aliyun(monkeypatch, api.endpoint)
    failed = fakes.sent_sms("BIZ-2^0", T0)
    api.answer("QuerySendDetails", 200, fakes.aliyun_details(2, "MK:0001"))

    report = run("sms-receipts", T0 + timedelta(minutes=5))

    assert (report["undelivered"], report["delivered"]) == (1, 0)
    dead, _cursor = outbox_repo.dead_letters(None)
    assert [(m.message_id, m.status, m.last_error) for m in dead] == [
        (failed, "dead", "sms receipt: aliyun MK:0001")
    ]


def test_a_receipt_query_refused_midway_keeps_what_was_read_and_the_rest_waits(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import run
    from functions.storage import outbox_repo

    _aliyun(monkeypatch, api.endpoint)
    first = fakes.sent_sms("BIZ-5^0", T0)
    second = fakes.sent_sms("BIZ-6^0", T0 + timedelta(seconds=1))
    api.answer("QuerySendDetails", 200, fakes.aliyun_details(3))
    api.answer("QuerySendDetails", 400, {"Code": "Throttling.User", "Message": "slow down"})

    report = run("sms-receipts", T0 + timedelta(minutes=5))

    assert report["delivered"] == 1 and "error" not in report
    got = outbox_repo.get(first)
    assert got is not None and got.status == "delivered"
    assert [m.message_id for m in outbox_repo.awaiting_receipt()] == [second]


def test_tencent_receipts_are_pulled_and_name_their_messages(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import run
    from functions.storage import outbox_repo

    _tencent(monkeypatch, api.endpoint)
    delivered = fakes.sent_sms("5000:1", T0)
    undelivered = fakes.sent_sms("5000:2", T0)
    statuses = [
        _pulled(delivered, "SUCCESS", "DELIVRD"),
        _pulled(undelivered, "FAIL", f"MN:0001 {PHONE} 空号"),
        _pulled("", "SUCCESS", "DELIVRD"),  # another system's SMS on the same application
    ]
    api.answer(
        "PullSmsSendStatus",
        200,
        {"Response": {"PullSmsSendStatusSet": statuses, "RequestId": "r"}},
    )

    report = run("sms-receipts", T0 + timedelta(minutes=5))

    assert (report["delivered"], report["undelivered"]) == (1, 1)
    [pull] = api.seen
    assert pull.action == "PullSmsSendStatus"
    assert pull.body == {"Limit": 100, "SmsSdkAppId": "1400000001"}
    got = outbox_repo.get(delivered)
    assert got is not None and got.status == "delivered"
    dead = outbox_repo.get(undelivered)
    assert dead is not None and dead.status == "dead"
    assert dead.last_error == "sms receipt: tencent MN:0001 <number> 空号"


def _pulled(message_id: str, status: str, description: str) -> dict[str, Any]:
    return {
        "UserReceiveTime": "2026-11-02 10:01:00",
        "CountryCode": "86",
        "SubscriberNumber": "13800000001",
        "PhoneNumber": PHONE,
        "SerialNo": "5000:x",
        "ReportStatus": status,
        "Description": description,
        "SessionContext": message_id,
    }


def test_an_sms_without_a_receipt_for_three_days_is_looked_for_no_longer(
    aws: None, api: fakes.FakeSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import run
    from functions.storage import outbox_repo

    _aliyun(monkeypatch, api.endpoint)
    old = fakes.sent_sms("BIZ-3^0", T0)
    api.standing["QuerySendDetails"] = (
        200,
        fakes.aliyun_details(1),
    )  # still on its way, every time

    assert run("sms-receipts", T0 + timedelta(days=2))["expired"] == 0
    assert run("sms-receipts", T0 + timedelta(days=3, minutes=1))["expired"] == 1

    assert outbox_repo.awaiting_receipt() == []
    found = outbox_repo.get(old)
    assert found is not None and found.status == "sent"


def test_the_receipts_job_does_nothing_on_an_sns_stage(aws: None) -> None:
    from functions.jobs import run

    assert run("sms-receipts", T0) == {
        "provider": "sns",
        "awaiting": 0,
        "delivered": 0,
        "undelivered": 0,
        "expired": 0,
    }


def test_the_receipts_job_reports_a_provider_out_of_reach_and_changes_nothing(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import run
    from functions.storage import outbox_repo

    _aliyun(monkeypatch, f"http://127.0.0.1:{fakes.closed_port()}")
    waiting = fakes.sent_sms("BIZ-4^0", T0)

    report = run("sms-receipts", T0 + timedelta(minutes=5))

    assert report["error"].startswith("sms: aliyun unreachable")
    assert [m.message_id for m in outbox_repo.awaiting_receipt()] == [waiting]
