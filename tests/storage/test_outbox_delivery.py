"""The outbox against moto: what SES v2 and SNS actually received (moto keeps every send), how
provider throttling and failures are scheduled, and the dead-letter index.

Provider failures are injected with a botocore ``before-call`` hook on the adapter's client:
the hook answers in place of the provider, so the adapter sees exactly the ``ClientError`` a
real throttled or failing call raises (and botocore's own retries are not involved)."""

from __future__ import annotations

import email
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message as MimeMessage
from typing import Any

import pytest

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
REGION = "ap-southeast-1"


@dataclass
class Provider:
    """Scripted answers for one client operation: each call takes the next answer, ``None``
    lets the call through to moto. ``params`` keeps every request the adapter made."""

    answers: list[str | None] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def provide_params(self, params: dict[str, Any], **_: Any) -> None:
        self.params.append(dict(params))

    def before_call(self, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse, HTTPHeaders

        code = self.answers.pop(0) if self.answers else None
        if code is None:
            return None
        status = 429 if "Throttl" in code or "TooMany" in code else 400
        return AWSResponse("https://provider.test", status, HTTPHeaders(), None), {
            "Error": {
                "Code": code,
                "Message": "Rejected: dept-1@dept.example +8613912345678 " + "y" * 600,
            },
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


@pytest.fixture
def providers(aws: None) -> Iterator[Callable[[str], Provider]]:
    from functions.notify import adapter

    made: dict[str, Provider] = {}

    def provider(service: str) -> Provider:
        if service not in made:
            made[service] = Provider()
            operation = {"sesv2": "SendEmail", "sns": "Publish"}[service]
            events = adapter._client(service).meta.events
            events.register(
                f"provide-client-params.{service}.{operation}", made[service].provide_params
            )
            events.register(f"before-call.{service}.{operation}", made[service].before_call)
        return made[service]

    yield provider


def _ses_sent() -> list[Any]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def _sms_sent() -> list[tuple[str, str]]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def _message(
    channel: str = "email",
    n: int = 1,
    body: str = "正文",
    case_id: str | None = None,
    links: tuple[str, ...] = (),
) -> str:
    from functions.storage import outbox_repo

    m = outbox_repo.new_message(
        channel=channel,
        recipient=f"dept-{n}@dept.example" if channel == "email" else f"+861380000000{n}",
        subject=f"主题 {n}",
        body=body,
        case_id=case_id,
        template="assigned_lead",
        now=T0,
        links=links,
    )
    m.save()
    return m.message_id


def _stored(message_id: str) -> Any:
    from functions.storage import outbox_repo

    found = outbox_repo.get(message_id)
    assert found is not None
    return found


def _next_attempt(message_id: str) -> datetime:
    from functions.storage.codec import parse_iso

    return parse_iso(_stored(message_id).next_attempt_at)


# --- what the providers received --------------------------------------------------------------


def test_the_due_index_says_which_messages_and_the_lease_answers_the_whole_message(
    aws: None,
) -> None:
    """The ``due`` index holds what choosing and leasing need, not the text; the lease's
    update answers the whole message, and a message leased already answers None."""
    from functions.storage import outbox_repo

    link = "https://wenzheng.test/handle.html#t=tok"
    message_id = _message(body=f"请签收：{link}", case_id="WZ20261102-ABCDEF", links=(link,))
    [due] = outbox_repo.due(T0)
    assert due == outbox_repo.Due(message_id, "email", 0, "assigned_lead", T0)
    assert not hasattr(due, "body") and not hasattr(due, "recipient")

    leased = outbox_repo.lease(due, T0)
    assert leased is not None and leased == outbox_repo.get(message_id)
    assert (leased.recipient, leased.subject, leased.body) == (
        "dept-1@dept.example",
        "主题 1",
        f"请签收：{link}",
    )
    assert (leased.links, leased.case_id, leased.status) == (
        (link,),
        "WZ20261102-ABCDEF",
        "pending",
    )
    assert outbox_repo.lease(due, T0) is None  # held: another run skips it
    assert outbox_repo.lease(due, T0 + outbox_repo.LEASE + timedelta(seconds=1)) is not None


def test_an_email_reaches_ses_with_text_and_html_parts_and_tracing_tags(
    providers: Callable[[str], Provider], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.settings import settings

    monkeypatch.setattr(
        "functions.notify.adapter.settings",
        lambda: type(settings())(**{**settings().__dict__, "ses_configuration_set": "wz-events"}),
    )
    ses = providers("sesv2")
    link = "https://wenzheng.test/handle.html#t=tok"
    body = f"市住房和城乡建设局：\n请签收 <本件>。\n> 见 https://evil.test/\n办理链接：{link}"
    message_id = _message(body=body, case_id="WZ20261102-ABCDEF", links=(link,))

    assert deliver_due(T0).sent == 1

    [sent] = _ses_sent()
    assert sent.destinations[0] == "dept-1@dept.example"
    mime: MimeMessage = email.message_from_string(sent.raw_data)
    assert mime.get_content_type() == "multipart/alternative"
    parts = {
        p.get_content_type(): bytes(p.get_payload(decode=True)).decode("utf-8")
        for p in mime.walk()
        if not p.is_multipart()
    }
    assert parts["text/plain"].replace("\r\n", "\n").strip() == body
    html = parts["text/html"]
    assert "请签收 &lt;本件&gt;。" in html
    # The link the message was written with is live; an address in quoted text is not.
    assert f'<a href="{link}">' in html and html.count("<a ") == 1
    assert "<blockquote" in html and "见 https://evil.test/</blockquote>" in html
    [request] = ses.params
    assert request["EmailTags"] == [
        {"Name": "message_id", "Value": message_id},
        {"Name": "case_id", "Value": "WZ20261102-ABCDEF"},
    ]
    assert request["ConfigurationSetName"] == "wz-events"
    stored = _stored(message_id)
    assert stored.status == "sent" and stored.provider_id == sent.id and stored.attempts == 1


def test_without_a_configuration_set_none_is_named_and_no_case_no_case_tag(
    providers: Callable[[str], Provider],
) -> None:
    from functions.notify.delivery import deliver_due

    ses = providers("sesv2")
    message_id = _message()
    assert deliver_due(T0).sent == 1
    [request] = ses.params
    assert "ConfigurationSetName" not in request
    assert request["EmailTags"] == [{"Name": "message_id", "Value": message_id}]


def test_an_sms_over_one_segment_is_dead_lettered_unsent_with_a_clear_reason(aws: None) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    fits = _message("sms", 1, body="【临江问政】" + "好" * 64)
    too_long = _message("sms", 2, body="【临江问政】" + "长" * 65)
    report = deliver_due(T0)
    assert (report.sent, report.failed, report.dead) == (1, 1, 1)
    assert _sms_sent() == [("+8613800000001", "【临江问政】" + "好" * 64)]
    dead = _stored(too_long)
    assert dead.status == "dead" and dead.attempts == 1
    assert dead.last_error == "sms: text of 71 characters exceeds the 70-character limit"
    assert [m.message_id for m in outbox_repo.dead_letters(None)[0]] == [too_long]
    assert _stored(fits).status == "sent"


# --- throttling --------------------------------------------------------------------------------


def test_ses_throttling_reschedules_one_message_and_defers_the_rest_of_the_channel(
    providers: Callable[[str], Provider],
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    ses = providers("sesv2")
    ses.answers = ["TooManyRequestsException"]
    emails = [_message("email", n) for n in range(1, 6)]
    sms = _message("sms", 1, body="短信")

    report = deliver_due(T0, rng=random.Random(1))

    assert (report.throttled, report.deferred, report.sent, report.failed) == (1, 4, 1, 0)
    assert len(ses.params) == 1  # one call reached SES, then the channel was left alone
    assert _sms_sent() == [("+8613800000001", "短信")]  # SNS is another provider: unaffected
    assert _stored(sms).status == "sent"
    first = next(m for m in emails if _stored(m).last_error)
    stored = _stored(first)
    assert stored.status == "pending" and stored.attempts == 0
    assert stored.last_error.startswith("email: TooManyRequestsException: Rejected: <address>")
    assert "dept-1@dept.example" not in stored.last_error and len(stored.last_error) < 250
    assert T0 + outbox_repo.BACKOFF_FLOOR <= _next_attempt(first) <= T0 + timedelta(minutes=2)
    for other in set(emails) - {first}:
        untouched = _stored(other)
        assert untouched.attempts == 0 and untouched.last_error is None
        assert _next_attempt(other) == T0

    # The next run sends the deferred ones; the throttled one waits until it is due.
    assert deliver_due(T0 + timedelta(seconds=20)).sent == 4
    assert deliver_due(_next_attempt(first)).sent == 1
    assert {_stored(m).status for m in emails} == {"sent"}
    assert len(_ses_sent()) == 5


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("sesv2", "LimitExceededException"),
        ("sesv2", "ThrottlingException"),
        ("sns", "ThrottledException"),
        ("sns", "Throttling"),
        # An outage is not the message's fault either: it waits, however long it lasts.
        ("sesv2", "ServiceUnavailable"),
        ("sesv2", "InternalFailure"),
        ("sns", "InternalError"),
    ],
)
def test_a_long_throttle_delays_but_never_uses_up_the_attempts(
    providers: Callable[[str], Provider], service: str, code: str
) -> None:
    from functions.notify.delivery import deliver_due

    channel = "email" if service == "sesv2" else "sms"
    provider = providers(service)
    provider.answers = [code] * 20
    message_id = _message(channel, body="正文")
    now = T0
    for _ in range(20):  # far more runs than MAX_ATTEMPTS
        assert deliver_due(now, rng=random.Random(3)).throttled == 1
        now += timedelta(hours=2)
    stored = _stored(message_id)
    assert stored.status == "pending" and stored.attempts == 0 and code in stored.last_error
    assert deliver_due(now).sent == 1
    assert _stored(message_id).status == "sent"


# --- failures, eventual delivery, dead letters -------------------------------------------------


def test_transient_failures_are_retried_after_jittered_backoff_until_delivered(
    providers: Callable[[str], Provider],
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    ses = providers("sesv2")
    ses.answers = ["MailFromDomainNotVerifiedException", "MessageRejected"]
    message_id = _message(case_id="WZ20261102-ABCDEF")
    now = T0
    for attempt in (1, 2):
        assert deliver_due(now, rng=random.Random(attempt)).failed == 1
        stored = _stored(message_id)
        assert stored.attempts == attempt and stored.status == "pending"
        due = _next_attempt(message_id)
        assert now + outbox_repo.BACKOFF_FLOOR <= due <= now + outbox_repo.backoff_window(attempt)
        assert deliver_due(due - timedelta(seconds=1)).failed == 0  # not before it is due
        now = due
    assert deliver_due(now).sent == 1
    stored = _stored(message_id)
    assert stored.status == "sent" and stored.attempts == 3
    assert len(_ses_sent()) == 1 and len(ses.params) == 3


def test_a_message_that_cannot_be_built_fails_alone_and_dead_letters(
    providers: Callable[[str], Provider], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything unexpected while sending one message counts against that message only: the
    run goes on with the others, and the message dead-letters instead of blocking runs."""
    from functions.notify import adapter
    from functions.notify.delivery import deliver_due

    real = adapter.send_email

    def breaks_on_one(to: str, subject: str, body: str, **kw: Any) -> str:
        if "坏" in body:
            raise ValueError("cannot build this message")
        return real(to, subject, body, **kw)

    monkeypatch.setattr(adapter, "send_email", breaks_on_one)
    bad = _message("email", 1, body="坏消息")
    good = _message("email", 2)
    report = deliver_due(T0, rng=random.Random(1), max_attempts=1)
    assert (report.sent, report.failed, report.dead) == (1, 1, 1)
    assert _stored(good).status == "sent"
    assert _stored(bad).status == "dead" and "ValueError" in _stored(bad).last_error


def test_a_seeded_random_source_schedules_the_same_retries(
    providers: Callable[[str], Provider],
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo
    from functions.storage.codec import iso

    providers("sesv2").answers = ["MessageRejected", "MessageRejected"]
    first, second = _message("email", 1), _message("email", 2)
    assert deliver_due(T0, rng=random.Random(42)).failed == 2
    same = random.Random(42)
    expected = {iso(T0 + outbox_repo.backoff(1, same)) for _ in range(2)}
    assert {_stored(first).next_attempt_at, _stored(second).next_attempt_at} == expected


def test_after_the_configured_attempts_a_message_is_dead_and_listed(
    providers: Callable[[str], Provider],
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    providers("sesv2").answers = ["MessageRejected"] * 3
    message_id = _message()
    now = T0
    for attempt in (1, 2, 3):
        report = deliver_due(now, max_attempts=3)
        assert report.failed == 1 and report.dead == (1 if attempt == 3 else 0)
        now += timedelta(hours=2)
    stored = _stored(message_id)
    assert stored.status == "dead" and stored.attempts == 3
    assert stored.last_error.startswith("email: MessageRejected: Rejected: <address> <number>")
    assert outbox_repo.due(now + timedelta(days=30)) == []
    items, cursor = outbox_repo.dead_letters(None)
    assert [m.message_id for m in items] == [message_id] and cursor is None
    assert _ses_sent() == []


def test_dead_letters_page_newest_first_and_a_retry_leaves_the_list(aws: None) -> None:
    from functions.domain.errors import Conflict, NotFound
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo

    ids = []
    for n in range(23):
        m = outbox_repo.new_message(
            channel="sms",
            recipient="+8613800000001",
            subject="",
            body="长" * 80,
            case_id=None,
            template="accepted",
            now=T0 + timedelta(minutes=n),
        )
        m.save()
        ids.append(m.message_id)
    assert deliver_due(T0 + timedelta(hours=1)).dead == 23
    page, cursor = outbox_repo.dead_letters(None)
    rest, end = outbox_repo.dead_letters(cursor)
    assert [m.message_id for m in page + rest] == ids[::-1] and end is None
    assert len(page) == outbox_repo.PAGE_SIZE

    retried = outbox_repo.retry(ids[0], T0 + timedelta(hours=2))
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert retried.next_attempt_at == "2026-11-02T04:00:00Z"
    assert ids[0] not in [m.message_id for m in outbox_repo.dead_letters(None)[0]]
    assert ids[0] not in [m.message_id for m in outbox_repo.dead_letters(cursor)[0]]
    assert [m.message_id for m in outbox_repo.due(T0 + timedelta(hours=2))] == [ids[0]]
    with pytest.raises(Conflict):
        outbox_repo.retry(ids[0], T0)
    with pytest.raises(NotFound):
        outbox_repo.retry("0" * 32, T0)


def test_a_sent_message_expires_thirty_days_after_sending_and_a_dead_letter_never(
    aws: None,
) -> None:
    from functions.notify.delivery import deliver_due
    from functions.storage import outbox_repo
    from functions.storage.models import OutboxModel

    sent = _message("email", 1)
    dead = _message("sms", 2, body="长" * 80)  # over one segment: dead-lettered unsent
    later = T0 + timedelta(minutes=5)
    deliver_due(later)

    kept = OutboxModel.get(sent)
    assert kept.status == "sent"
    assert kept.expires_at == later + outbox_repo.KEPT_AFTER_SENDING
    assert kept.expires_at - kept.sent_at == timedelta(days=30)
    assert OutboxModel.get(dead).status == "dead"
    assert OutboxModel.get(dead).expires_at is None

    # A sent SMS whose receipt says it failed becomes a dead letter: it is kept for a person.
    sms = _message("sms", 3)
    deliver_due(later)
    assert OutboxModel.get(sms).expires_at is not None
    assert outbox_repo.record_receipt(sms, False, "sms receipt: failed")
    failed = OutboxModel.get(sms)
    assert (failed.status, failed.expires_at) == ("dead", None)
