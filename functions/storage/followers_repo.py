"""关注: a case's confirmed followers (the ``followers`` table, one partition per case) and the
links that confirm and end a follow (``tokens``, only their SHA-256 stored).

A follow request writes its confirmation link and the e-mail that carries it in one
transaction; the follower item exists only once the address confirmed. Confirming and
unsubscribing use up their link in the same transaction that writes or deletes the follower,
and a use whose answer was lost is recognised by its nonce (as ``tokens.consume`` does)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Conflict, NotFound
from functions.domain.following import CONFIRM_MAX_AGE, UNSUBSCRIBE_MAX_AGE, Via
from functions.storage.models import FollowerModel, TokenModel
from functions.storage.tokens import digest

CONFIRM = "follow-confirm"
UNSUBSCRIBE = "follow-unsubscribe"


@dataclass(frozen=True)
class Follower:
    case_id: str
    key: str
    email: str
    via: str


@dataclass(frozen=True)
class Grant:
    """What a follow link is for: the case, the follower's key, how the follow came, and (a
    confirmation link only) the address it confirms."""

    token_hash: str
    purpose: str
    case_id: str
    follower: str
    via: str
    email: str | None


def _connection() -> Connection:
    return FollowerModel._get_connection().connection  # type: ignore[no-any-return]


def _follower(m: FollowerModel) -> Follower:
    return Follower(m.case_id, m.follower, m.email, m.via)


def get(case_id: str, key: str) -> Follower | None:
    try:
        return _follower(FollowerModel.get(case_id, key, consistent_read=True))
    except FollowerModel.DoesNotExist:
        return None


def _of(via: str | None) -> Condition | None:
    return FollowerModel.via == via if via is not None else None


def has_any(case_id: str, via: str | None = None) -> bool:
    """Whether the case has a follower (``via``: of that kind only): one Query of its
    partition, stopping at the first."""
    query = FollowerModel.query(
        case_id, filter_condition=_of(via), limit=1, attributes_to_get=["follower"]
    )
    return next(iter(query), None) is not None


def count(case_id: str) -> int:
    """How many follow the case (one Query, ``Select=COUNT``): what staff see, never who."""
    return int(FollowerModel.count(case_id))


def page(case_id: str, *, after: str | None, limit: int, via: str | None = None) -> list[Follower]:
    """Up to ``limit`` followers of the case after the key ``after``, in key order."""
    condition = FollowerModel.follower > after if after else None
    query = FollowerModel.query(
        case_id,
        range_key_condition=condition,
        filter_condition=_of(via),
        limit=limit,
        page_size=limit,
        consistent_read=True,
    )
    return [_follower(m) for m in query]


def confirm_item(
    token: str, *, case_id: str, follower: str, email: str, via: Via, now: datetime
) -> TokenModel:
    """A confirmation link: the address it would make a follower, kept until it expires."""
    return TokenModel(
        digest(token),
        purpose=CONFIRM,
        created_at=now,
        expires_at=now + CONFIRM_MAX_AGE,
        case_id=case_id,
        follower=follower,
        email=email,
        via=via.value,
    )


def unsubscribe_item(token: str, *, case_id: str, follower: str, now: datetime) -> TokenModel:
    """An unsubscribe link, written with the follower message that carries it."""
    return TokenModel(
        digest(token),
        purpose=UNSUBSCRIBE,
        created_at=now,
        expires_at=now + UNSUBSCRIBE_MAX_AGE,
        case_id=case_id,
        follower=follower,
    )


def request(item: TokenModel, message: Model) -> None:
    """A confirmation link and the e-mail that carries it: both or neither."""
    with TransactWrite(connection=_connection()) as tx:
        tx.save(item)
        tx.save(message)


def set_via(case_id: str, key: str, via: Via) -> None:
    """A confirmed follower now also proved the case is theirs (the tracking code)."""
    FollowerModel(case_id, key).update(
        actions=[FollowerModel.via.set(via.value)],
        condition=FollowerModel.follower.exists(),
    )


def _not_found() -> NotFound:
    return NotFound(
        "链接无效：请检查是否完整复制了邮件中的链接",
        "no such link (check it was copied whole)",
        "link_not_found",
    )


def grant(token: str, purpose: str, now: datetime) -> Grant:
    """The link behind ``token``: 404 ``link_not_found`` (none, or one of another kind), 409
    ``link_used`` or ``link_expired`` with the reason."""
    if not token or len(token) > 200:
        raise _not_found()
    try:
        m = TokenModel.get(digest(token), consistent_read=True)
    except TokenModel.DoesNotExist:
        raise _not_found() from None
    if m.purpose != purpose or not m.case_id or not m.follower:
        raise _not_found()
    if m.used_at is not None:
        if purpose == CONFIRM:
            raise Conflict(
                "该确认链接已使用过：您已关注该诉求",
                "this confirmation link was used already",
                "link_used",
            )
        raise Conflict(
            "该链接已使用过：您已取消关注该诉求",
            "this unsubscribe link was used already",
            "link_used",
        )
    if m.expires_at <= now or m.revoked:
        if purpose == CONFIRM:
            raise Conflict(
                "确认链接已过期，请回到诉求页面重新关注",
                "the confirmation link has expired: follow the case again",
                "link_expired",
            )
        raise Conflict(
            "该链接已过期，请使用最近一封通知邮件中的取消关注链接",
            "the unsubscribe link has expired: use the one in the latest notice",
            "link_expired",
        )
    return Grant(digest(token), m.purpose, m.case_id, m.follower, m.via or Via.PUBLIC, m.email)


def _use(tx: TransactWrite, grant: Grant, now: datetime, nonce: str) -> None:
    tx.update(
        TokenModel(grant.token_hash),
        actions=[
            TokenModel.used_at.set(now),
            TokenModel.used_by.set(nonce),
            TokenModel.email.remove(),  # the address lives on in the follower item only
        ],
        condition=TokenModel.token_hash.exists() & TokenModel.used_at.does_not_exist(),
    )


def _used_by(grant: Grant, nonce: str) -> bool:
    try:
        stored = TokenModel.get(grant.token_hash, consistent_read=True)
    except TokenModel.DoesNotExist:
        return False
    return bool(stored.used_by == nonce)


def _run(grant: Grant, now: datetime, write: Sequence[tuple[str, Model, list[Action]]]) -> None:
    """Use up ``grant``'s link together with ``write`` (("update"|"delete", item, actions)),
    all or nothing; a link another request used first is 409 ``link_used``."""
    nonce = secrets.token_hex(16)
    try:
        with TransactWrite(connection=_connection()) as tx:
            _use(tx, grant, now, nonce)
            for kind, item, actions in write:
                if kind == "delete":
                    tx.delete(item)
                else:
                    tx.update(item, actions=actions)
    except TransactWriteError as error:
        reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" not in reasons:
            raise
        if not _used_by(grant, nonce):  # else: our own use, its answer lost and retried
            raise Conflict("该链接已使用过", "this link was used already", "link_used") from error


def confirm(grant: Grant, now: datetime) -> None:
    """The address confirmed: it follows the case from now on (once: a second confirmation
    of the same address changes nothing but its way in, ``own`` over ``public``)."""
    assert grant.email is not None
    via = (
        FollowerModel.via.set(Via.OWN.value)
        if grant.via == Via.OWN
        else FollowerModel.via.set(FollowerModel.via | grant.via)
    )
    item = FollowerModel(grant.case_id, grant.follower)
    actions: list[Action] = [
        FollowerModel.email.set(grant.email),
        via,
        FollowerModel.confirmed_at.set(FollowerModel.confirmed_at | now),
    ]
    _run(grant, now, [("update", item, actions)])


def unsubscribe(grant: Grant, now: datetime) -> None:
    """The follower leaves: the item (and with it the address) is deleted."""
    _run(grant, now, [("delete", FollowerModel(grant.case_id, grant.follower), [])])


def drop(case_id: str, key: str) -> int:
    """Remove one follower, if it is there (SES reported its address bounced or complained):
    1 if it was."""
    from pynamodb.exceptions import DeleteError

    try:
        FollowerModel(case_id, key).delete(condition=FollowerModel.follower.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return 0
        raise
    return 1


def remove_all(case_id: str) -> int:
    """Delete every follower of the case (archiving, retention): one Query of its keys, then
    batched deletes. Returns how many there were."""
    keys = list(FollowerModel.query(case_id, attributes_to_get=["case_id", "follower"]))
    with FollowerModel.batch_write() as batch:
        for item in keys:
            batch.delete(item)
    return len(keys)
