from __future__ import annotations

import pytest

from functions.domain.errors import InvalidRequest
from functions.domain.privacy import mask_name, scrub
from functions.validation import check, parse_json


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳明月", "欧**"),
        ("", "匿名"),
        (None, "匿名"),
    ],
)
def test_names_are_masked(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


def test_scrubber_masks_phones_id_numbers_and_emails() -> None:
    text = "我的电话13912345678，座机 0571-87654321，身份证110101199003071234，邮箱 a.b@example.com"
    clean = scrub(text)
    for secret in ("13912345678", "87654321", "110101199003071234", "a.b@example.com"):
        assert secret not in clean
    assert clean.count("[电话已隐藏]") == 2


def test_validation_names_every_bad_field_in_chinese_and_english() -> None:
    with pytest.raises(InvalidRequest) as raised:
        check(
            "case-submission",
            {
                "kind": "rant",
                "title": "x" * 61,
                "content": "短",
                "contact": {"phone": "12345"},
                "public": "yes",
                "extra": 1,
            },
        )
    fields = {f.field: f for f in raised.value.fields}
    assert {
        "kind",
        "title",
        "content",
        "contact.phone",
        "public",
        "extra",
        "category",
    } <= set(fields)
    assert "district" not in fields  # optional: a point or an address may show it
    assert fields["title"].message == "标题不能超过 60 个字"
    assert fields["title"].message_en == "at most 60 characters"
    assert "手机号" in fields["contact.phone"].message


def test_phone_or_email_is_required() -> None:
    body = {
        "kind": "help",
        "category": "urban",
        "district": "city",
        "title": "路灯不亮",
        "content": "门口路灯坏了一周了。",
        "contact": {"name": "王"},
        "public": False,
    }
    with pytest.raises(InvalidRequest) as raised:
        check("case-submission", body)
    assert [f.field for f in raised.value.fields] == ["contact"]
    body["contact"] = {"email": "w@example.com"}
    assert check("case-submission", body) is body


def test_malformed_json_is_a_client_error() -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_json(b"{not json", limit=1000)
    assert raised.value.code == "malformed_json"


def test_a_body_nested_deeper_than_the_limit_is_too_deep_whatever_the_parser_manages() -> None:
    from functions.validation import MAX_DEPTH

    def nested(depth: int) -> bytes:
        return b'{"a":' * depth + b"1" + b"}" * depth

    shallow = parse_json(nested(MAX_DEPTH), limit=1 << 20)
    with pytest.raises(InvalidRequest) as raised:
        check("empty", shallow)
    assert raised.value.code == "validation_failed"  # judged by the schema, not refused
    for depth in (MAX_DEPTH + 1, 900, 100_000):  # within and beyond the parser's own stack
        with pytest.raises(InvalidRequest) as raised:
            check("empty", parse_json(nested(depth), limit=1 << 20))
        assert raised.value.code == "too_deep"
        assert [f.field for f in raised.value.fields] == [""]


def test_lone_surrogates_are_named_where_they_are_in_keys_values_and_lists() -> None:
    body = parse_json(
        b'{"title": "ok", "contact": {"name": "\\udc80", "\\ud800": 1}, "tags": ["a", "\\ud83d"]}',
        limit=1000,
    )
    with pytest.raises(InvalidRequest) as raised:
        check("case-submission", body)
    assert raised.value.code == "invalid_text"
    assert [f.field for f in raised.value.fields] == ["contact.\\ud800", "contact.name", "tags.1"]


def test_a_paired_surrogate_escape_is_one_character_and_valid_text() -> None:
    body = parse_json(b'{"summary": "\\ud83d\\ude00 \\u7535\\u68af"}', limit=1000)
    assert check("feature", body)["summary"] == "😀 电梯"
