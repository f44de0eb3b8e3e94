"""我的诉求 (§17): a citizen signs in with a code sent by SMS to the phone number they gave,
lists every case with that number and has a case's tracking code re-issued. No accounts, no
passwords. Rules in functions/domain/citizen_access.py, storage in
functions/storage/citizen_access.py.

Nothing here tells whether a number has cases: asking for a code answers the same for every
number (only a number with cases gets the SMS), and every refused code answers the same, a
wrong one, an expired one, one out of tries, or one never sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.domain import citizen_access as rules
from functions.domain.cases import CITIZEN, Case
from functions.domain.errors import NotFound, Unauthorized
from functions.domain.lifecycle import PUBLIC_STATES, READ_ONLY, STATE_LABELS
from functions.domain.taxonomy import KIND_LABELS
from functions.services import rate_limits
from functions.storage import citizen_access as store
from functions.storage.codec import iso

CODE_SENT = "如该手机号码提交过诉求，验证码已发送，5 分钟内有效。"
CODE_SENT_EN = "if this number submitted a case, a code was sent (valid for 5 minutes)"


def _phone(raw: str) -> str:
    from functions.services.citizen import normalise_phone

    phone = normalise_phone(raw)
    assert phone is not None  # the schema's pattern admits mobile numbers only
    return phone


def _refused() -> Unauthorized:
    return Unauthorized(
        "验证码不正确或已失效，请重新获取（每个验证码 5 分钟内有效，最多可输错 5 次）",
        "the code is wrong, expired or spent: ask for a new one",
        "code_rejected",
    )


def _session_refused() -> Unauthorized:
    return Unauthorized(
        "验证已过期，请重新获取验证码", "no citizen session, or it ended", "citizen_session"
    )


def request_code(raw_phone: str, client: str, now: datetime) -> dict[str, Any]:
    """A 6-digit code by SMS to a number that gave cases; the same answer for any number.
    Counted per client (``otp_ip``) and per number (``otp_phone``)."""
    from functions.notify import templates
    from functions.storage import outbox_repo

    phone = _phone(raw_phone)
    rate_limits.hit("otp_ip", client, now, route="/api/citizen/otp")
    rate_limits.hit("otp_phone", phone, now, route="/api/citizen/otp")
    key = rules.phone_key(phone)
    if store.has_cases(key):
        code = rules.new_code()
        sms = templates.otp_sms(code)
        message = outbox_repo.new_message(
            channel="sms",
            recipient=phone,
            subject="",
            body=sms.text,
            case_id=None,
            template=templates.OTP_KIND,
            now=now,
            sms_kind=sms.kind,
            sms_params=sms.params,
        )
        store.send_code(
            key,
            rules.code_digest(key, code),
            now=now,
            expires_at=now + rules.code_lifetime(),
            message=message,
        )
    return {"message": CODE_SENT, "message_en": CODE_SENT_EN, "valid_minutes": rules.OTP_MINUTES}


def open_session(raw_phone: str, code: str, client: str, now: datetime) -> dict[str, Any]:
    """The right code, once: a session of ``SESSION_MINUTES``. Every attempt is counted per
    client (``otp_check_ip``); a wrong one also takes one of the code's tries."""
    from functions.storage import tokens

    phone = _phone(raw_phone)
    rate_limits.hit("otp_check_ip", client, now, route="/api/citizen/session")
    key = rules.phone_key(phone)
    pending = store.pending(key)
    found = rules.verdict(pending, key, code, now)
    if found == rules.Verdict.WRONG and pending is not None:
        store.take_try(key, pending)
    if found != rules.Verdict.OPEN or pending is None or not store.spend(key, pending):
        raise _refused()
    token = tokens.new_session_token()
    expires = now + rules.session_lifetime()
    store.open_session(token, key, now=now, expires_at=expires)
    return {"session_token": token, "expires_at": iso(expires)}


def _session(header: str | None, now: datetime) -> tuple[str, datetime]:
    if not header or not header.startswith("Bearer "):
        raise _session_refused()
    found = store.session_phone(header.removeprefix("Bearer ").strip(), now)
    if found is None:
        raise _session_refused()
    return found


def _line(case: Case) -> dict[str, Any]:
    state = PUBLIC_STATES[case.state]  # as the citizen's own view shows it
    return {
        "case_id": case.case_id,
        "title": case.title,
        "kind": case.kind.value,
        "kind_label": KIND_LABELS[case.kind],
        "state": state.value,
        "state_label": STATE_LABELS[state],
        "created_at": iso(case.created_at),
        "public": case.is_public,
        "reissuable": case.state not in READ_ONLY,
    }


def my_cases(header: str | None, now: datetime) -> dict[str, Any]:
    key, expires = _session(header, now)
    cases, more = store.cases_of(key)
    return {
        "items": [_line(c) for c in cases],
        "truncated": more,
        "session_expires_at": iso(expires),
    }


def reissue_tracking_code(header: str | None, case_id: str, now: datetime) -> dict[str, Any]:
    """A new tracking code for one of the number's cases, sent to the case's contact; the old
    one stops working (an internal event records it). Another number's case: 404."""
    from functions.domain import actions
    from functions.services.citizen import new_tracking_code, tracking_digest
    from functions.services.common import take
    from functions.storage import cases_repo

    key, _ = _session(header, now)
    case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    if case is None or not case.contact.phone or rules.phone_key(case.contact.phone) != key:
        raise NotFound(
            "未找到该诉求", "no case with this id for this phone number", "case_not_found"
        )
    code = new_tracking_code()
    body = {"tracking_hash": tracking_digest(case.case_id, code), "tracking_code": code}
    take(actions.get("reissue-tracking-code"), case, CITIZEN, body, now)
    return {
        "case_id": case.case_id,
        "message": "新的查询码已通过短信发送到您的手机，原查询码已失效。",
    }
