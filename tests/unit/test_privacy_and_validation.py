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
        "district",
    } <= set(fields)
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
