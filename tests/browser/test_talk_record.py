"""记录约谈 on the rankings page (§16, issue 18): a signed-in coordinator records the 约谈 of a
unit the frozen ranking flags, from the form beside the flag; the record is then published
under 约谈记录 and listed by GET /api/staff/talks. The demo city's months flag no one, so the
test freezes a month of its own (an old one no other test reads) with one department
flagged, straight into the stack's tables."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from infra.local_stack import REGION
from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"
MONTH = "2025-06"


def freeze_flagged(stack: Stack, month: str) -> dict[str, Any]:
    """Freeze ``month`` as the city's ranking of 2026-10 with its first department flagged
    for a 约谈; answers that department's row."""
    status, document = stack.call("GET", "/api/rankings?month=2026-10")
    assert status == 200, document
    for key in ("talks", "bulletin", "platforms", "month_to_date"):
        document.pop(key, None)
    flagged = document["departments"][0]
    flagged["talk"] = True
    document.update(month=month, frozen=True, frozen_at="2025-07-01T00:00:00Z")
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack.moto,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table("wenzheng-local-rankings")
    table.put_item(
        Item={
            "month": month,
            "frozen_at": document["frozen_at"],
            "document": json.dumps(document, ensure_ascii=False),
        }
    )
    return dict(flagged)


def test_a_coordinator_records_a_talk_beside_the_flag(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    unit = freeze_flagged(stack, MONTH)
    page.goto(stack.url(f"/rankings.html?month={MONTH}"))
    expect(page.locator(".badge-talk").first).to_be_visible()
    expect(page.get_by_role("heading", name="记录约谈")).to_have_count(0)  # not signed in

    sign_in(page, stack, COORDINATOR)
    page.goto(stack.url(f"/rankings.html?month={MONTH}"))
    page.get_by_role("link", name=f"记录约谈：{unit['name']}").click()
    form = page.locator("#talk-form")
    expect(form.get_by_role("heading", name="记录约谈")).to_be_visible()
    expect(form.get_by_label("被约谈单位")).to_have_value(unit["id"])
    form.get_by_role("button", name="保存约谈记录").click()  # empty: the form's own errors
    expect(form.locator(".field-error:not([hidden])").first).to_be_visible()

    form.get_by_label("约谈日期").fill("2026-11-10")
    form.get_by_label("参加人员").fill("王建国（市政府副秘书长）\n李华（单位主要负责人）")
    form.get_by_label("约谈事由").fill("连续两个月按时答复率排在市直部门后 3 名。")
    form.get_by_label("整改期限").fill("2026-12-10")
    form.get_by_role("button", name="保存约谈记录").click()

    records = page.locator("section.talks", has=page.get_by_role("heading", name="约谈记录"))
    expect(records).to_contain_text(unit["name"])
    expect(records).to_contain_text("连续两个月按时答复率")
    expect(page.get_by_role("heading", name="记录约谈")).to_have_count(0)
    assert_clean(problems, stack)

    bearer = {"Authorization": f"Bearer {stack.staff_session(COORDINATOR)}"}
    status, listing = stack.call("GET", f"/api/staff/talks?month={MONTH}", None, bearer)
    assert status == 200, listing
    (talk,) = listing["items"]
    assert talk["unit"]["id"] == unit["id"]
    assert talk["attendees"] == ["王建国（市政府副秘书长）", "李华（单位主要负责人）"]
