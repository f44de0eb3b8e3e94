"""The staff second factor enforced, in the browser (§17, issue 19 §3). The demo stack has it
off (`make run`'s accounts sign in by link alone), so this module starts its own, without the
demo's cases, with ``WZ_STAFF_TOTP_ROLES=coordinator``: the coordinator opens the e-mailed
link, enrols (QR code, the secret for typing in, 10 recovery codes), gives the code an
authenticator would show (pyotp, from the secret the page shows, at the stack's clock) and
reaches the console; signs out and in again with a code; a recovery code works once. The
admin (outside the policy: the link alone) resets the coordinator's second factor from the
directory on admin.html, the reset is recorded today, and the next sign-in enrols afresh. With
the city's identity provider configured (a fake one on a loopback port), the sign-in page
offers single sign-on: the operator reaches the console through it, the coordinator still
the second step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pyotp
import pytest
from playwright.sync_api import expect

from infra.local_stack import REGION
from tests import fake_idp
from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean, outbox_hrefs, outbox_link
from tests.fake_idp import FakeIdp
from tests.localstack import STILL_AT, Stack, start, stop

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"
ADMIN = "admin@wenzheng.example"
AUDITOR = "auditor@wenzheng.example"


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdp]:
    """The city's identity provider (single sign-on), on a loopback port."""
    with fake_idp.running(lambda: STILL_AT, COORDINATOR) as fake:
        yield fake


@pytest.fixture(scope="module")
def totp_stack(idp: FakeIdp) -> Iterator[Stack]:
    running = start(
        "--empty",  # the demo city's staff and taxonomy, none of its cases
        env={
            "WZ_STAFF_TOTP_ROLES": "coordinator",
            "WZ_OIDC_ISSUER": idp.issuer,
            "WZ_OIDC_CLIENT_ID": fake_idp.CLIENT_ID,
            "WZ_OIDC_CLIENT_SECRET": fake_idp.SECRET_NAME,
        },
    )
    try:
        boto3.client(
            "secretsmanager",
            endpoint_url=running.moto,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_secret(Name=fake_idp.SECRET_NAME, SecretString=fake_idp.CLIENT_SECRET)
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


def open_link(page: Any, stack: Stack, email: str) -> None:
    """Ask for a sign-in link on staff.html and open it, as the mail's reader would."""
    before = outbox_hrefs(page, stack, "staff.html")
    page.goto(stack.url("/staff.html"))
    page.get_by_label("工作邮箱").fill(email)
    page.get_by_role("button", name="发送登录链接").click()
    expect(page.get_by_role("heading", name="请查收登录邮件")).to_be_visible()
    page.goto(outbox_link(page, stack, page_name="staff.html", must_contain=email, before=before))


def code_at(secret: str, stack: Stack, later: timedelta = timedelta()) -> str:
    return pyotp.TOTP(secret).at(stack.now() + later)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("工作邮箱")).to_be_visible()


def test_a_coordinator_enrols_signs_in_with_codes_and_a_recovery_code_works_once(
    totp_stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    stack = totp_stack
    page, problems = desktop

    # The first sign-in enrols: QR code, the secret, 10 recovery codes, then the first code.
    open_link(page, stack, COORDINATOR)
    expect(page.get_by_role("heading", name="设置动态验证码", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name="动态验证码二维码（无法扫描时请手动输入下方密钥）")
    ).to_be_visible()
    assert page.locator("img.totp-qr").get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    codes = page.locator(".totp-recovery li").all_inner_texts()
    assert len(codes) == 10 == len(set(codes))
    expect(page.locator(".staff-email")).to_have_count(0)  # no session before the code
    page.get_by_label("6 位动态验证码").fill(code_at(secret, stack))
    page.get_by_role("button", name="验证并完成设置").click()
    expect(page.locator(".staff-email")).to_have_text(COORDINATOR)

    # Signed out and in again: the code prompt, never the secret; the next step's code (the
    # stack's clock stands still, and a code is good once).
    sign_out(page)
    open_link(page, stack, COORDINATOR)
    expect(page.get_by_role("heading", name="输入动态验证码", level=1)).to_be_visible()
    expect(page.locator(".totp-secret")).to_have_count(0)
    page.get_by_label("6 位动态验证码").fill(code_at(secret, stack, timedelta(seconds=30)))
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".staff-email")).to_have_text(COORDINATOR)

    # A recovery code in place of the code: once.
    sign_out(page)
    open_link(page, stack, COORDINATOR)
    page.get_by_role("button", name="手机不在身边？使用恢复码").click()
    page.get_by_label("恢复码").fill(codes[0])
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".staff-email")).to_have_text(COORDINATOR)
    sign_out(page)
    open_link(page, stack, COORDINATOR)
    page.get_by_role("button", name="手机不在身边？使用恢复码").click()
    page.get_by_label("恢复码").fill(codes[0])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("恢复码不正确或已使用过")).to_be_visible()
    expect(page.locator(".staff-email")).to_have_count(0)
    page.get_by_label("恢复码").fill(codes[1])
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".staff-email")).to_have_text(COORDINATOR)
    assert_clean(problems)  # the refused recovery code's 401 is the only console error
    assert all("401" in e for e in problems.console_errors), problems.console_errors


def test_the_admin_resets_the_coordinators_second_factor_from_the_directory(
    totp_stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    stack = totp_stack
    page, problems = desktop
    # The coordinator enrolled (by the first test, or here when run alone).
    if not _enrolled(stack):
        open_link(page, stack, COORDINATOR)
        secret = page.locator(".totp-secret").inner_text().replace(" ", "")
        page.get_by_label("6 位动态验证码").fill(code_at(secret, stack))
        page.get_by_role("button", name="验证并完成设置").click()
        expect(page.locator(".staff-email")).to_have_text(COORDINATOR)
        sign_out(page)

    open_link(page, stack, ADMIN)  # outside the policy: the link alone
    expect(page.locator(".staff-email")).to_have_text(ADMIN)
    page.goto(stack.url("/admin.html"))
    row = page.locator(f'tr[data-staff="{COORDINATOR}"]')
    expect(row).to_contain_text("已设置")
    expect(page.locator(f'tr[data-staff="{AUDITOR}"]')).to_contain_text("未设置")
    expect(page.get_by_role("button", name=f"重置二次验证 {AUDITOR}")).to_have_count(0)

    # Cancelled first: nothing changes.
    row.get_by_role("button", name=f"重置二次验证 {COORDINATOR}").click()
    dialog = page.get_by_role("dialog", name="重置 总平台值班员 林晓 的二次验证？")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("已设置")

    row.get_by_role("button", name=f"重置二次验证 {COORDINATOR}").click()
    dialog.get_by_role("button", name="重置二次验证").click()
    today = stack.now()  # 10:00 in Shanghai: the same day as in UTC
    shown = f"{today.year}年{today.month}月{today.day}日"
    done = page.locator(".alert-success")
    expect(done).to_contain_text(f"已重置 {COORDINATOR} 的二次验证")
    expect(done).to_contain_text(f"已记入目录变更记录（{shown}）")
    expect(row).to_contain_text("未设置")
    expect(row.get_by_role("button", name=f"重置二次验证 {COORDINATOR}")).to_have_count(0)

    # Recorded, today, by the admin (the auditors' directory changes).
    bearer = {"Authorization": f"Bearer {stack.staff_session(AUDITOR)}"}
    status, changes = stack.call("GET", "/api/audit/directory-changes", headers=bearer)
    assert status == 200, changes
    [reset] = [c for c in changes["items"] if c["action"] == "staff.reset-totp"]
    assert reset["target"] == COORDINATOR and reset["by"] == ADMIN
    assert reset["at"].startswith(today.strftime("%Y-%m-%d"))
    assert_clean(problems, stack)

    # The coordinator's next sign-in enrols afresh.
    page.goto(stack.url("/staff.html"))
    sign_out(page)
    open_link(page, stack, COORDINATOR)
    expect(page.get_by_role("heading", name="设置动态验证码", level=1)).to_be_visible()


def _enrolled(stack: Stack) -> bool:
    bearer = {"Authorization": f"Bearer {stack.staff_session(ADMIN)}"}
    status, staff = stack.call("GET", "/api/admin/staff", headers=bearer)
    assert status == 200, staff
    [coordinator] = [s for s in staff["items"] if s["email"] == COORDINATOR]
    return bool(coordinator["second_factor"] == "enrolled")


def test_single_sign_on_through_the_citys_idp_and_the_second_step_after_it(
    totp_stack: Stack, idp: FakeIdp, desktop: tuple[Any, PageProblems]
) -> None:
    stack = totp_stack
    page, problems = desktop
    idp.email = "operator@wenzheng.example"  # outside the policy: the IdP alone
    page.goto(stack.url("/staff.html"))
    page.get_by_role("link", name="使用政务服务统一身份认证登录").click()
    expect(page.locator(".staff-email")).to_have_text("operator@wenzheng.example")
    assert page.url.startswith(stack.url("/staff.html"))
    sign_out(page)

    idp.email = COORDINATOR  # the policy names coordinators: the TOTP step follows
    page.get_by_role("link", name="使用政务服务统一身份认证登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^(设置|输入)动态验证码$"))
    expect(page.locator(".staff-email")).to_have_count(0)
    # The only requests off the stack's origin were the browser's visits to the IdP.
    assert {u.split("/realms/")[0] for u in problems.off_origin(stack.base)} == {
        idp.issuer.split("/realms/")[0]
    }
    assert_clean(problems)
