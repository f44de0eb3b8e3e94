"""Magic links, sign-in links and sessions. Only the SHA-256 of a token is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.storage.models import TokenModel


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What a token lets its bearer do."""

    purpose: str
    created_at: datetime
    expires_at: datetime
    case_id: str | None = None
    department_id: str | None = None
    role: str | None = None
    assignment_no: int | None = None
    email: str | None = None
    last_seen_at: datetime | None = None
    via: str | None = None  # a staff sign-in's: ``oidc-mfa`` when the IdP's MFA counts


def link_item(
    token: str,
    *,
    case_id: str,
    department_id: str,
    role: str,
    assignment_no: int,
    now: datetime,
    max_age: timedelta,
) -> TokenModel:
    """A department's link for one assignment; saved in the transaction that assigns."""
    return TokenModel(
        digest(token),
        purpose="link",
        created_at=now,
        expires_at=now + max_age,
        case_id=case_id,
        department_id=department_id,
        role=role,
        assignment_no=assignment_no,
    )


def save(item: TokenModel) -> None:
    item.save()


def signin_item(token: str, *, email: str, now: datetime, max_age: timedelta) -> TokenModel:
    return TokenModel(
        digest(token), purpose="signin", created_at=now, expires_at=now + max_age, email=email
    )


def session_item(
    token: str, *, email: str, role: str, now: datetime, max_age: timedelta
) -> TokenModel:
    return TokenModel(
        digest(token),
        purpose="session",
        created_at=now,
        expires_at=now + max_age,
        email=email,
        role=role,
        last_seen_at=now,
    )


def live(token: str, purpose: str, now: datetime) -> TokenModel | None:
    """A token's item, if it exists, has this purpose, and is not revoked, expired or used:
    the one check every kind of link, session and step token is read through."""
    if not token or len(token) > 200:
        return None
    try:
        m = TokenModel.get(digest(token))
    except TokenModel.DoesNotExist:
        return None
    if m.purpose != purpose or m.revoked or m.expires_at <= now or m.used_at is not None:
        return None
    return m


def find(token: str, purpose: str, now: datetime) -> Grant | None:
    """The grant behind a live token of ``purpose`` (``live``)."""
    m = live(token, purpose, now)
    if m is None:
        return None
    return Grant(
        m.purpose,
        m.created_at,
        m.expires_at,
        m.case_id,
        m.department_id,
        m.role,
        int(m.assignment_no) if m.assignment_no is not None else None,
        m.email,
        m.last_seen_at,
        m.via,
    )


def consume(token: str, now: datetime) -> bool:
    """Mark a single-use token used; False if it was used (or never existed) already.

    A use whose answer was lost (its retry then fails the condition) is recognised by its
    nonce and still counts; a storage failure is raised, not taken for "used"."""
    nonce = secrets.token_hex(16)
    try:
        TokenModel(digest(token)).update(
            actions=[TokenModel.used_at.set(now), TokenModel.used_by.set(nonce)],
            condition=TokenModel.token_hash.exists() & TokenModel.used_at.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        try:
            return bool(TokenModel.get(digest(token), consistent_read=True).used_by == nonce)
        except TokenModel.DoesNotExist:
            return False
    return True


def touch(token: str, now: datetime) -> None:
    TokenModel(digest(token)).update(actions=[TokenModel.last_seen_at.set(now)])


def revoke(token: str) -> None:
    try:
        TokenModel(digest(token)).update(
            actions=[TokenModel.revoked.set(True)], condition=TokenModel.token_hash.exists()
        )
    except UpdateError:
        return


def save_with_message(item: TokenModel, message: Model) -> None:
    """A sign-in token and the email that carries it: both or neither."""
    with TransactWrite(connection=TokenModel._get_connection().connection) as tx:
        tx.save(item)
        tx.save(message)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)
