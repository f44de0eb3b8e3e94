"""市长信箱 by IMAP (issue 19 §1, DESIGN §17): the ``poll-mailbox`` job reads the unread
messages of a real IMAP conversation (``imaplib`` against the loopback TLS server of
tests/imap_fake.py, its certificate verified), stores each under ``inbound/imap/``, runs the
S3 event's intake on it, and marks it read only afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import Api
from tests.api.test_api_mailbox import raw_mail
from tests.imap_fake import PASSWORD, Running, environment, imap_server


def poll(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post("/api/dev/jobs/poll-mailbox"))["result"]
    return result


def mail_cases() -> list[Any]:
    from functions.storage.models import CaseModel

    return [m for m in CaseModel.scan() if m.channel == "mail"]


def stored_messages() -> list[str]:
    import boto3

    from functions.settings import settings

    s3 = boto3.client("s3", region_name=settings().region)
    listed = s3.list_objects_v2(Bucket=settings().uploads_bucket, Prefix="inbound/imap/")
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.fixture
def server() -> Iterator[Running]:
    with imap_server() as running:
        yield running


@pytest.fixture
def configured(server: Running) -> Iterator[Running]:
    with environment(server.environment()):
        yield server


def flags(server: Running) -> list[set[str]]:
    return [m.flags for m in server.mailbox.messages]


def test_without_an_imap_host_the_job_does_nothing(api: Api) -> None:
    assert poll(api) == {"skipped": 1}


def test_two_unread_messages_become_two_cases_and_are_marked_read_once_processed(
    api: Api, configured: Running
) -> None:
    configured.mailbox.add(raw_mail(subject="路灯坏了"))
    configured.mailbox.add(raw_mail(subject="井盖丢了", sender="李娜 <li.na@example.org>"))
    assert poll(api) == {"created": 2}
    assert sorted(m.title for m in mail_cases()) == ["井盖丢了", "路灯坏了"]
    assert flags(configured) == [{"\\Seen"}, {"\\Seen"}]
    # Read without marking (BODY.PEEK[]), marked only after the intake: never before it.
    commands = configured.mailbox.commands
    assert commands.count("UID FETCH") == 2 and commands.count("UID STORE") == 2
    assert len(stored_messages()) == 2
    assert {m.mail_messages[0] for m in mail_cases()} == set(stored_messages())
    receipts = [m for m in api.outbox() if m["template"] == "received"]
    assert len(receipts) == 2

    assert poll(api) == {}  # nothing unread: no case, no mail
    assert len(mail_cases()) == 2
    assert len([m for m in api.outbox() if m["template"] == "received"]) == 2


def test_a_message_whose_processing_fails_is_flagged_and_the_other_still_goes_through(
    api: Api, configured: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.services import mailbox

    intake = mailbox.intake

    def failing(raw: bytes, *, key: str, now: Any) -> str:
        if "坏信".encode() in raw or b"=E5=9D=8F=E4=BF=A1" in raw or b"5Z2P5L+h" in raw:
            raise ValueError("a message the intake cannot take")
        return intake(raw, key=key, now=now)

    monkeypatch.setattr(mailbox, "intake", failing)
    configured.mailbox.add(raw_mail(subject="坏信", text="坏信"))
    configured.mailbox.add(raw_mail(subject="好信"))
    assert poll(api) == {"failed": 1, "created": 1}
    assert [m.title for m in mail_cases()] == ["好信"]
    assert flags(configured) == [{"\\Seen", "\\Flagged"}, {"\\Seen"}]
    assert poll(api) == {}  # the failed one is not retried on its own


def test_a_wrong_password_is_a_logged_failure_and_the_next_run_with_the_right_one_works(
    api: Api, server: Running, caplog: pytest.LogCaptureFixture
) -> None:
    server.mailbox.add(raw_mail())
    with environment(server.environment(password="wrong")):
        assert poll(api) == {"unavailable": 1}
        assert poll(api) == {"unavailable": 1}  # every run: an answer, not an exception
    assert any(r.getMessage() == "mailbox_unavailable" for r in caplog.records)
    assert flags(server) == [set()] and mail_cases() == []
    with environment(server.environment()):
        assert poll(api) == {"created": 1}


def test_a_certificate_the_poller_does_not_trust_is_refused(api: Api, server: Running) -> None:
    server.mailbox.add(raw_mail())
    with environment({**server.environment(), "WZ_IMAP_CA_FILE": ""}):
        assert poll(api) == {"unavailable": 1}
    assert "LOGIN" not in server.mailbox.commands  # the password never went out
    assert mail_cases() == []


def test_the_password_is_read_from_secrets_manager(api: Api, server: Running) -> None:
    import boto3

    from functions.settings import settings
    from functions.storage import secrets

    secrets.reset()
    client = boto3.client("secretsmanager", region_name=settings().region)
    client.create_secret(Name="wenzheng/imap", SecretString=PASSWORD)
    server.mailbox.add(raw_mail())
    values = {**server.environment(password=""), "WZ_IMAP_PASSWORD_SECRET": "wenzheng/imap"}
    with environment(values):
        assert poll(api) == {"created": 1}
    missing = {**values, "WZ_IMAP_PASSWORD_SECRET": "wenzheng/no-such-secret"}
    with environment(missing):
        assert poll(api) == {"unavailable": 1}
    secrets.reset()


def test_a_run_that_dies_before_marking_reads_the_message_again_and_makes_no_second_case(
    api: Api, configured: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.storage import imap_inbox

    mark_seen = imap_inbox.Inbox.mark_seen

    def connection_lost(self: imap_inbox.Inbox, uid: str) -> None:
        raise OSError("connection reset")

    configured.mailbox.add(raw_mail())
    monkeypatch.setattr(imap_inbox.Inbox, "mark_seen", connection_lost)
    assert poll(api) == {"unavailable": 1}
    assert flags(configured) == [set()] and len(mail_cases()) == 1
    monkeypatch.setattr(imap_inbox.Inbox, "mark_seen", mark_seen)
    assert poll(api) == {"duplicate": 1}
    assert flags(configured) == [{"\\Seen"}] and len(mail_cases()) == 1
    assert len([m for m in api.outbox() if m["template"] == "received"]) == 1


def test_each_run_takes_a_bounded_batch_oldest_first(
    api: Api, configured: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.services import mail_poll

    monkeypatch.setattr(mail_poll, "BATCH", 2)
    for n in range(3):
        configured.mailbox.add(raw_mail(subject=f"第{n}封"))
    assert poll(api) == {"created": 2}
    assert flags(configured) == [{"\\Seen"}, {"\\Seen"}, set()]
    assert poll(api) == {"created": 1}
    assert sorted(m.title for m in mail_cases()) == ["第0封", "第1封", "第2封"]


def test_a_photo_and_an_answer_fetched_by_imap_take_the_same_paths_as_from_ses(
    api: Api, configured: Running
) -> None:
    """Also the permissions test's driver of the poller: a new case with a processed photo,
    and a reply answering the question of a case awaiting the citizen (补充材料)."""
    from tests.api.test_api_mailbox import SENDER, reply_to
    from tests.photo_files import camera_jpeg

    submitted, link = api.assigned_case(contact={"email": SENDER})
    case_id = submitted["case_id"]
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "request-info", {"question": "请说明是哪一根路灯，便于现场核查。"}))
    configured.mailbox.add(raw_mail(attachments=[("lamp.jpg", "image/jpeg", camera_jpeg())]))
    configured.mailbox.add(
        reply_to(case_id, "是东侧。", attachments=[("位置.pdf", "application/pdf", b"%PDF-1.4")])
    )
    assert poll(api) == {"created": 1, "joined": 1}
    [new] = [m for m in mail_cases() if m.case_id != case_id]
    assert api.staff_case(new.case_id)["photos"][0]["state"] == "processed"
    case = api.staff_case(case_id)
    assert case["state"] == "in_progress"
    assert case["events"][-1]["type"] == "supplemented"
    assert [f["name"] for f in case["files"]] == ["位置.pdf"]
