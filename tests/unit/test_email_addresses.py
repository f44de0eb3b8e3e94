"""E-mail addresses are checked for deliverable syntax where they come in (``"format":
"email"`` in schemas/common.json, checked with ``email-validator`` without DNS): an address the
mail provider would refuse is a 400 naming the field, not a case whose citizen never hears
back. Internationalised addresses are addresses. The library loads only for a body that
carries an address."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.domain.errors import InvalidRequest
from functions.validation import check

ROOT = Path(__file__).resolve().parents[2]

UNDELIVERABLE = [
    '"><svg/onload=alert(1)>@evil.example',  # passes the schema's pattern
    "<script>@evil.example",
    "a..b@example.com",
    "x@-example.com",
    "x@exa_mple.com",
    "a@example.com.",
    "someone@printer.local",  # special-use names receive no mail
    "someone@host.test",
]
DELIVERABLE = [
    "ouyang@example.com",
    "user+tag@example.co.uk",
    "王小明@例子.中国",
    "xiaoming@例子.中国",
]


def submission(email: str) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "category": "urban",
        "district": "city",
        "title": "路灯坏了两周",
        "content": "小区门口的路灯坏了两周，晚上出行不便。",
        "contact": {"email": email},
        "public": False,
    }


@pytest.mark.parametrize("address", UNDELIVERABLE)
def test_an_undeliverable_address_is_refused_naming_the_field(address: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check("case-submission", submission(address))
    [field] = raised.value.fields
    assert field.field == "contact.email"
    assert (field.message, field.message_en) == ("电子邮箱格式不正确", "must be an email address")


@pytest.mark.parametrize("address", DELIVERABLE)
def test_a_deliverable_address_is_accepted_internationalised_ones_too(address: str) -> None:
    assert check("case-submission", submission(address))["contact"]["email"] == address


def test_the_staff_sign_in_checks_the_address_the_same_way() -> None:
    with pytest.raises(InvalidRequest) as raised:
        check("staff-sign-in", {"email": UNDELIVERABLE[0]})
    assert [f.field for f in raised.value.fields] == ["email"]
    assert check("staff-sign-in", {"email": "coordinator@wenzheng.example"})


def _loaded_after(code: str) -> bool:
    """Whether ``email_validator`` is imported after running ``code`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('email_validator' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().endswith("True")


def test_the_address_checker_loads_only_for_a_body_with_an_address() -> None:
    without = (
        "from functions.validation import check\n"
        "check('case-submission', {'kind': 'complaint', 'category': 'urban', "
        "'district': 'city', 'title': '路灯坏了两周', 'content': '小区门口的路灯坏了两周。', "
        "'contact': {'phone': '13912345678'}, 'public': False})"
    )
    assert not _loaded_after(without)
    assert _loaded_after(without.replace("'phone': '13912345678'", "'email': 'a@example.com'"))
