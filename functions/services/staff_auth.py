"""Staff sign-in by emailed single-use link, exchanged for a session with idle and absolute
timeouts. The answer to a sign-in request never reveals whether an address is known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.domain.errors import Forbidden, Unauthorized
from functions.domain.lifecycle import ROLE_LABELS, Role
from functions.settings import settings
from functions.storage import directory, tokens
from functions.storage.codec import iso

TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class StaffSession:
    email: str
    role: Role
    name: str
    county: str | None = None  # a county coordinator's platform: all they see (§15)


def _unauthorized() -> Unauthorized:
    return Unauthorized(
        "请先登录，或登录已过期", "sign in first (no valid session)", "unauthorized"
    )


def request_sign_in(email: str, now: datetime) -> None:
    from functions.notify import templates  # only here: every other route authenticates
    from functions.storage import outbox_repo

    account = directory.staff_account(email)
    if account is None:
        return
    token = tokens.new_token()
    minutes = settings().signin_link_minutes
    text = templates.staff_sign_in(f"{settings().public_base_url}/staff.html#t={token}", minutes)
    message = outbox_repo.email(
        account.email,
        text,
        case_id=None,
        template="staff_sign_in",
        now=now,
    )
    item = tokens.signin_item(
        token, email=account.email, now=now, max_age=timedelta(minutes=minutes)
    )
    tokens.save_with_message(item, message)


def open_session(token: str, now: datetime) -> dict[str, Any]:
    """The e-mailed link's token, once: a session, or, for a role the second-factor policy
    names, the second step (functions/services/second_factor.py) that leads to one."""
    from functions.services import second_factor

    grant = tokens.find(token, "signin", now)
    if grant is None or grant.email is None:
        raise _invalid_link()
    account = directory.staff_account(grant.email)
    # Signed in through the IdP with its MFA, where the deployment trusts it (staff_oidc.py):
    # that stands in for the TOTP step.
    trusted = grant.via == "oidc-mfa" and settings().oidc_trust_mfa
    factor = account is not None and second_factor.required(account) and not trusted
    if account is not None and factor:
        # A locked account is told so before its link is spent: it works again afterwards.
        second_factor.refuse_if_locked(account.email, now)
    if not tokens.consume(token, now):
        raise _invalid_link()
    if account is None:
        raise _unauthorized()
    if factor:
        return second_factor.begin(account, now)
    return session_for(account, now)


def verify_second_factor(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    from functions.services import second_factor

    return second_factor.verify(body, now, lambda account: session_for(account, now))


def _invalid_link() -> Unauthorized:
    return Unauthorized(
        "登录链接无效或已过期，请重新获取", "sign-in link invalid or used", "invalid_link"
    )


def session_for(account: directory.StaffAccount, now: datetime) -> dict[str, Any]:
    session = tokens.new_session_token()
    expires = now + timedelta(hours=settings().session_max_hours)
    tokens.save(
        tokens.session_item(
            session,
            email=account.email,
            role=account.role,
            now=now,
            max_age=timedelta(hours=settings().session_max_hours),
        )
    )
    county = directory.platform(account.county) if account.county else None
    return {
        "step": "session",
        "session_token": session,
        "role": account.role,
        "role_label": ROLE_LABELS[Role(account.role)],
        "email": account.email,
        "name": account.name,
        "county": {"id": county.id, "name": county.name} if county else None,
        "expires_at": iso(expires),
    }


def authenticate(header: str | None, now: datetime, roles: frozenset[Role]) -> StaffSession:
    """The session behind ``Authorization: Bearer …``, if it may use a route for ``roles``."""
    if not header or not header.startswith("Bearer "):
        raise _unauthorized()
    token = header.removeprefix("Bearer ").strip()
    grant = tokens.find(token, "session", now)
    if grant is None or grant.email is None or grant.role is None:
        raise _unauthorized()
    seen = grant.last_seen_at or grant.created_at
    if now - seen > timedelta(minutes=settings().session_idle_minutes):
        raise _unauthorized()
    role = Role(grant.role)
    if role not in roles:
        raise Forbidden(
            "当前账号无权访问此功能", f"role {role} may not use this route", "forbidden"
        )
    if now - seen > TOUCH_EVERY:
        tokens.touch(token, now)
    account = directory.staff_account(grant.email)
    county = account.county if account else None
    if role == Role.COUNTY_COORDINATOR and not county:
        raise _unauthorized()  # a county coordinator without a county sees nothing
    return StaffSession(grant.email, role, account.name if account else "", county)


def sign_out(header: str | None) -> None:
    if header and header.startswith("Bearer "):
        tokens.revoke(header.removeprefix("Bearer ").strip())
