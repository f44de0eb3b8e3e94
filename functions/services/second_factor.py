"""Staff second factor (§17, issue 19 §3). After the e-mailed link, an account whose role the
policy names (``WZ_STAFF_TOTP_ROLES``) gets a "second step" instead of a session: enrolment
(a fresh secret, its ``otpauth://`` URI and QR code, 10 recovery codes shown once) or a
request for the 6-digit code. The page sends the step token back with the code
(``POST /api/staff/session/verify``); the right code opens the session, and the first one
completes enrolment. The secret is stored sealed by KMS (functions/storage/factor_key.py:
one Encrypt at enrolment, one Decrypt per code checked). ``MAX_FAILURES`` wrong answers lock
the account for ``LOCK_MINUTES`` and tell the admins. Rules in
functions/domain/second_factor.py, storage in functions/storage/second_factor.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from functions.domain import second_factor as rules
from functions.domain.errors import (
    Conflict,
    FieldError,
    InvalidRequest,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from functions.domain.second_factor import Step
from functions.settings import settings
from functions.storage import directory, factor_key, tokens
from functions.storage import second_factor as store
from functions.storage.codec import iso
from functions.storage.directory import StaffAccount


def required(account: StaffAccount) -> bool:
    return rules.required(account.role, settings().staff_totp_roles)


def _locked(until: datetime, now: datetime) -> TooManyRequests:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return TooManyRequests(
        f"验证码错误次数过多，账号已锁定，请 {minutes} 分钟后再试，或联系管理员",
        f"too many wrong codes: the account is locked until {iso(until)}",
        "second_factor_locked",
        retry_after=max(1, int((until - now).total_seconds())),
    )


def refuse_if_locked(email: str, now: datetime) -> None:
    found = store.factor(email)
    if found is not None and found.locked(now) and found.locked_until is not None:
        raise _locked(found.locked_until, now)


def _step_expired() -> Unauthorized:
    return Unauthorized(
        "验证已超时，请重新获取登录链接", "the second step expired or was used", "step_expired"
    )


def _wrong(recovery: bool) -> Unauthorized:
    if recovery:
        return Unauthorized(
            "恢复码不正确或已使用过", "wrong or used recovery code", "recovery_code_rejected"
        )
    return Unauthorized(
        f"动态验证码不正确（连续输错 {rules.MAX_FAILURES} 次将锁定账号 {rules.LOCK_MINUTES} 分钟）",
        "wrong code",
        "code_rejected",
    )


def _qr_svg(uri: str) -> str:
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def begin(account: StaffAccount, now: datetime) -> dict[str, Any]:
    """The second step for an account the policy names: enrolment when it has no factor,
    else the code prompt."""
    found = store.factor(account.email)
    token = tokens.new_token()
    expires = now + rules.step_lifetime()
    answer: dict[str, Any] = {
        "step_token": token,
        "email": account.email,
        "name": account.name,
        "expires_at": iso(expires),
    }
    if found is not None and found.enrolled:
        store.save_step(
            store.step_item(
                token, email=account.email, step=Step.VERIFY, now=now, expires_at=expires
            )
        )
        return {"step": Step.VERIFY.value, **answer}
    secret = rules.new_secret()
    codes = rules.new_recovery_codes()
    uri = rules.uri(secret, account.email, directory.taxonomy().platform_name or "网络问政")
    store.start_enrolment(
        account.email,
        _seal(secret, account.email),  # stored sealed, shown this once
        {rules.recovery_digest(account.email, c) for c in codes},
        store.step_item(token, email=account.email, step=Step.ENROL, now=now, expires_at=expires),
    )
    return {
        "step": Step.ENROL.value,
        **answer,
        "enrolment": {
            "secret": secret,
            "otpauth_uri": uri,
            "qr_svg": _qr_svg(uri),
            "recovery_codes": codes,
        },
    }


def verify(
    body: dict[str, Any], now: datetime, open_session: Callable[[StaffAccount], dict[str, Any]]
) -> dict[str, Any]:
    """The step token and a code (or a recovery code): the session, through
    ``open_session``, once."""
    recovery = body.get("recovery_code")
    if ("code" in body) == (recovery is not None):
        raise InvalidRequest(
            "请输入 6 位动态验证码（或一个恢复码）",
            "send either code or recovery_code",
            "validation_failed",
            [FieldError("code", "请输入 6 位动态验证码", "code or recovery_code is required")],
        )
    code = str(body.get("code", ""))
    step = store.step_of(body["step_token"], now)
    if step is None:
        raise _step_expired()
    email, kind = step
    account = directory.staff_account(email)
    found = store.factor(email)
    if account is None or found is None:
        raise _step_expired()
    if found.locked(now) and found.locked_until is not None:
        raise _locked(found.locked_until, now)
    left: int | None = None
    if kind == Step.ENROL:
        if recovery is not None:
            raise _wrong(True)  # no recovery code works before enrolment completes
        if found.pending is None:
            raise _failure(account, now, recovery=False)
        pending = _unseal(found.pending, email)
        matched = rules.matching_step(pending, code, now, None)
        if matched is None:
            raise _failure(account, now, recovery=False)
        sealed = found.pending if factor_key.sealed(found.pending) else None
        if not store.confirm_enrolment(
            email, found.pending, matched, now, sealed or _seal(pending, email)
        ):
            raise _step_expired()  # a reset or a newer enrolment replaced this one
    elif recovery is not None:
        if not found.enrolled:
            raise _step_expired()
        left = store.spend_recovery(email, rules.recovery_digest(email, recovery))
        if left is None:
            raise _failure(account, now, recovery=True)
    else:
        if found.secret is None:
            raise _step_expired()  # reset meanwhile: sign in again to enrol
        secret = _unseal(found.secret, email)
        matched = rules.matching_step(secret, code, now, found.last_step)
        # A secret stored in the clear (enrolled before secrets were sealed) is sealed now.
        reseal = None
        if matched is not None and not factor_key.sealed(found.secret):
            reseal = _seal(secret, email)
        if matched is None or not store.accept_step(email, found.secret, matched, reseal):
            raise _failure(account, now, recovery=False)
    if not tokens.consume(body["step_token"], now):
        raise _step_expired()
    opened = open_session(account)
    if left is not None:
        opened["recovery_codes_left"] = left
    return opened


def _key_unusable(error: factor_key.KeyUnusable) -> Unavailable:
    logging.getLogger("wenzheng.security").error("totp_key_unusable", extra={"reason": str(error)})
    return Unavailable(
        "动态验证码服务暂时不可用，请稍后再试",
        "the second factor's key cannot be used",
        "unavailable",
    )


def _seal(secret: str, email: str) -> str:
    try:
        return factor_key.seal(secret, email)
    except factor_key.KeyUnusable as error:
        raise _key_unusable(error) from error


def _unseal(stored: str, email: str) -> str:
    try:
        return factor_key.unseal(stored, email)
    except factor_key.KeyUnusable as error:
        raise _key_unusable(error) from error
    except factor_key.Unreadable as error:
        # Someone's stored secret moved to another account, or the key is gone: operators look.
        logging.getLogger("wenzheng.security").warning("second_factor_unreadable")
        raise Conflict(
            "动态验证码设置无法读取，请联系管理员重置二次验证",
            "the account's second factor does not open: an admin must reset it",
            "second_factor_unreadable",
        ) from error


def _failure(account: StaffAccount, now: datetime, *, recovery: bool) -> Exception:
    """Count a wrong answer; the ``MAX_FAILURES``-th locks the account and tells the admins
    (through the outbox, in the lock's transaction)."""
    failures = store.count_failure(account.email)
    if failures < rules.MAX_FAILURES:
        return _wrong(recovery)
    _, until = rules.after_failure(failures - 1, now)
    assert until is not None
    store.lock(account.email, until, _alerts(account.email, until, now))
    return _locked(until, now)


def _alerts(email: str, until: datetime, now: datetime) -> list[Any]:
    from functions.notify import templates
    from functions.storage import outbox_repo

    text = templates.staff_factor_locked(email, until, rules.MAX_FAILURES)
    return [
        outbox_repo.new_message(
            channel="email",
            recipient=admin,
            subject=text.subject,
            body=text.body,
            case_id=None,
            template="staff_factor_locked",
            now=now,
        )
        for admin in directory.admin_emails()
    ]
