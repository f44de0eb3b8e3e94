"""关注 (§14), the pure parts: who may follow which case, the follower's key, what followers
read (public text only), and the mail headers of RFC 8058 as they go out."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from functions.domain import actions, following
from functions.domain.cases import Actor, Contact
from functions.domain.errors import Conflict, NotFound
from functions.domain.lifecycle import Role, State
from functions.notify import adapter, templates
from tests.factories import accept, new_case

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
OFFICE = Actor(Role.COORDINATOR, "coordinator@wenzheng.example")
URL = "https://wenzheng.example/api/follows/unsubscribe?token=" + "T" * 43


def test_followers_hear_of_citizen_notices_some_action_sends() -> None:
    declared = {n for a in actions.REGISTRY.values() for n in a.notices}
    assert set(following.FOLLOWED) <= declared & set(templates._CITIZEN)
    assert all(templates.followed(name) for name in following.FOLLOWED)


def test_an_address_is_one_follower_of_a_case_however_written_and_keys_differ_by_case() -> None:
    key = following.follower_key("WZ1", "Neighbour@Example.net ")
    assert key == following.follower_key("WZ1", "neighbour@example.net")
    assert key != following.follower_key("WZ2", "neighbour@example.net")
    assert "neighbour" not in key


def test_a_case_is_followable_while_public_and_open_or_by_its_own_citizen() -> None:
    submitted = new_case(now=NOW).case
    with pytest.raises(NotFound):
        following.require_followable(submitted, own=False)  # not public yet
    with pytest.raises(NotFound):
        following.require_followable(None, own=True)
    private = accept(new_case(now=NOW, consent_public=False).case, OFFICE, now=NOW).case
    with pytest.raises(NotFound):
        following.require_followable(private, own=False)
    assert following.require_followable(private, own=True) is private
    assert following.audience(private) == "own"

    public = accept(submitted, OFFICE, now=NOW).case
    assert following.require_followable(public, own=False) is public
    assert following.audience(public) == "all"
    public.state = State.CLOSED
    with pytest.raises(Conflict) as refused:
        following.require_followable(public, own=True)
    assert refused.value.code == "case_finished"


def test_a_follower_reads_the_public_text_and_of_a_private_case_only_its_id() -> None:
    case = accept(
        new_case(
            now=NOW,
            title="张三丰家门口路灯不亮",
            contact=Contact("张三丰", "+8613800000000", "zhang@example.com"),
        ).case,
        OFFICE,
        now=NOW,
    ).case
    text = templates.follower("closed", case, url="https://x/case.html?id=1", public=True)
    assert "张三丰" not in text.body and "路灯不亮" in text.body  # the scrubbed public title
    assert text.links == ("https://x/case.html?id=1",)
    bare = templates.follower("closed", case, url="https://x/track.html?id=1", public=False)
    assert "路灯" not in bare.body and case.case_id in bare.body


def _sent(headers: tuple[tuple[str, str], ...]) -> tuple[bytes, EmailMessage]:
    raw = adapter.mime_message(
        "问政平台 <noreply@wenzheng.example>",
        "neighbour@example.net",
        "您关注的诉求 WZ20261102-ABCDEF 已答复" * 2,
        "正文\n",
        (),
        headers,
    )
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def test_list_unsubscribe_goes_out_whole_on_one_line_and_reads_back_as_written() -> None:
    headers = (
        ("List-Unsubscribe", f"<{URL}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )
    raw, mail = _sent(headers)
    assert f"\r\nList-Unsubscribe: <{URL}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert mail["List-Unsubscribe"] == f"<{URL}>"
    assert b"\r\nSubject: =?utf-8?" in raw, "the subject is encoded and folded as before"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    # Without extra headers the message is what it always was.
    assert b"List-Unsubscribe" not in _sent(())[0]


@pytest.mark.parametrize("value", [f"<{URL}>\r\nBcc: x@example.com", "<https://例子.中国/>", ""])
def test_a_header_that_is_not_one_printable_ascii_line_refuses_the_message(value: str) -> None:
    with pytest.raises(adapter.Refused):
        _sent((("List-Unsubscribe", value),))


def test_only_follower_messages_count_as_going_to_a_follower() -> None:
    assert following.to_a_follower("follow_confirm")
    assert all(following.to_a_follower(f"follower_{n}") for n in following.FOLLOWED)
    # 列入计划's follow-up goes to a department: its address is shown and its bounce alerts.
    for other in ("followup_requested", "replied", "closed", "follower_", "staff_sign_in"):
        assert not following.to_a_follower(other), other
