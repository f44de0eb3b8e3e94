"""市长信箱's files in the console against the local stack: a message with a PDF comes in through
the local stand-in for SES (``POST /api/dev/inbound-mail``), and the coordinator's case panel
lists the file with a download button whose link downloads it under its original name."""

from __future__ import annotations

import json
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems
from tests.browser.test_admin_page import sign_in
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PDF = b"%PDF-1.4\n% a citizen's note about the broken street lamp\n"


def mailed(stack: Stack) -> str:
    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@example.org>"
    message["To"] = "mailbox@wenzheng.example"
    message["Subject"] = "滨河路路灯不亮（附情况说明）"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content("滨河路东段的路灯已经两周不亮，情况说明见附件。")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="情况说明.pdf")
    request = urllib.request.Request(
        stack.url("/api/dev/inbound-mail"),
        data=bytes(message),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        created = json.loads(answer.read())
    assert created["outcome"] == "created", created
    return str(created["case_id"])


def test_the_console_lists_a_mailed_file_and_downloads_it_under_its_name(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    case_id = mailed(stack)
    sign_in(page, stack, "coordinator@wenzheng.example")
    page.goto(stack.url(f"/staff.html?case={case_id}"))
    files = page.locator(".case-files")
    expect(files.get_by_role("heading", name="来信附件（仅工作人员可见）")).to_be_visible()
    expect(files).to_contain_text("情况说明.pdf")
    with page.expect_download() as downloading:
        files.get_by_role("button", name="下载附件 情况说明.pdf").click()
    download = downloading.value
    assert download.suggested_filename == "情况说明.pdf"
    assert Path(download.path()).read_bytes() == PDF
    # The file came from the bucket (moto here, S3 in production), never through the site.
    fetched = [u for u in problems.requests if u.startswith(stack.moto)]
    assert len(fetched) == 1 and "/files/" in fetched[0]
    problems.requests = [u for u in problems.requests if u not in fetched]
    assert_clean(problems, stack)
