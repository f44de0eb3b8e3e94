"""单位工作台: the units' desk links, in the tokens table beside the other links.

A desk link is a token item (purpose ``desk``, keyed by the SHA-256 of the token like every
link; the token itself is never stored) bound to its unit (``department_id``). Each unit has
one desk record in the same table, key ``desk#<unit id>`` (purpose ``desk-unit``; no SHA-256
digest looks like it), naming the digest of its one live link (``current``) and who revoked
the unit's desk links last, when. A link opens the desk only while its unit's record names it
(functions/domain/desk.py ``link_state``): issuing a fresh link replaces the one before by
writing the record, revoking clears it; neither needs to find or touch the old links' items.

Every write of a record is conditional on the record as it was read (its ``current`` and
``revoked_at``), so a renewal and a revocation that race cannot undo each other: the loser reads
again and writes over the winner's record, never over an older one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.desk import IssuedLink, UnitDesk
from functions.domain.errors import Conflict
from functions.storage import tokens
from functions.storage.models import CounterModel, TokenModel

LINK = "desk"
RECORD = "desk-unit"
# How long a unit's desk record outlives its last change (TTL): well past any link it names,
# so a revoked link keeps saying it was revoked, and the revocation who/when stays readable.
RECORD_DAYS = 400
_ATTEMPTS = 3


def _key(unit_id: str) -> str:
    return f"desk#{unit_id}"


@dataclass(frozen=True)
class Found:
    """A desk link's item and its unit's desk record (None when there is none)."""

    link: IssuedLink
    desk: UnitDesk | None


def _desk(m: TokenModel) -> UnitDesk:
    return UnitDesk(m.current, m.revoked_at, m.revoked_by)


def _record(unit_id: str) -> TokenModel | None:
    try:
        m = TokenModel.get(_key(unit_id), consistent_read=True)
    except TokenModel.DoesNotExist:
        return None
    return m if m.purpose == RECORD else None


def record(unit_id: str) -> UnitDesk | None:
    """The unit's desk record, read strongly (a revocation counts from the moment it is
    written)."""
    m = _record(unit_id)
    return _desk(m) if m else None


def find(token: str) -> Found | None:
    """The desk link behind ``token``, live or not, with its unit's record; None for a token
    that is no desk link at all. Two reads: the link's item, then its unit's record."""
    if not token or len(token) > 200:
        return None
    try:
        m = TokenModel.get(tokens.digest(token))
    except TokenModel.DoesNotExist:
        return None
    if m.purpose != LINK or not m.department_id:
        return None
    link = IssuedLink(m.token_hash, m.department_id, m.created_at, m.expires_at)
    return Found(link, record(m.department_id))


def _unchanged(before: TokenModel | None) -> Condition:
    """The record is still the one read: same live link, same last revocation."""
    if before is None:
        return TokenModel.token_hash.does_not_exist()
    same: Condition = (
        TokenModel.current == before.current
        if before.current
        else TokenModel.current.does_not_exist()
    )
    revoked: Condition = (
        TokenModel.revoked_at == before.revoked_at
        if before.revoked_at
        else TokenModel.revoked_at.does_not_exist()
    )
    unchanged: Condition = same & revoked
    return unchanged


def _new_record(
    unit_id: str, at: datetime, current: str | None, revoked: tuple[datetime | None, str | None]
) -> TokenModel:
    return TokenModel(
        _key(unit_id),
        purpose=RECORD,
        created_at=at,
        expires_at=at + timedelta(days=RECORD_DAYS),
        department_id=unit_id,
        current=current,
        revoked_at=revoked[0],
        revoked_by=revoked[1],
    )


def _race() -> Conflict:
    return Conflict(
        "工作台链接正在被其他请求更新，请稍后重试",
        "the unit's desk link is being changed by another request; retry",
        "desk_busy",
    )


class _Changed(Exception):
    """The unit's desk record changed between its read and its write."""


def _retrying(write: Callable[[TokenModel | None], bool | None], unit_id: str) -> bool | None:
    """``write(record as read)``, read again and retried while another write changed the
    record in between; a ``Conflict`` if that keeps happening."""
    for _ in range(_ATTEMPTS):
        try:
            return write(_record(unit_id))
        except _Changed:
            continue
    raise _race()


def issue(
    unit_id: str,
    token: str,
    *,
    now: datetime,
    max_age: timedelta,
    message: Model,
    marker: tuple[str, int] | None = None,
) -> bool:
    """Make ``token`` the unit's one live desk link, valid for ``max_age``, and write the
    e-mail that carries it (``message``), in ONE transaction with the unit's record (so the
    link before stops working exactly when the new one exists). With ``marker`` (key, n), a
    scheduled job's once-only marker joins the transaction: False, and nothing written, when
    it exists already."""
    item = TokenModel(
        tokens.digest(token),
        purpose=LINK,
        created_at=now,
        expires_at=now + max_age,
        department_id=unit_id,
    )

    def write(before: TokenModel | None) -> bool:
        revoked = (before.revoked_at, before.revoked_by) if before else (None, None)
        try:
            with TransactWrite(connection=TokenModel._get_connection().connection) as tx:
                if marker is not None:
                    tx.save(
                        CounterModel(marker[0], n=marker[1]),
                        condition=CounterModel.key.does_not_exist(),
                    )
                tx.save(
                    _new_record(unit_id, now, item.token_hash, revoked),
                    condition=_unchanged(before),
                )
                tx.save(item, condition=TokenModel.token_hash.does_not_exist())
                tx.save(message)
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            if marker is not None and reasons[:1] == ["ConditionalCheckFailed"]:
                return False  # this job's work for the unit was done already
            if "ConditionalCheckFailed" in reasons:
                raise _Changed from error
            raise
        return True

    return bool(_retrying(write, unit_id))


def revoke(unit_id: str, *, by: str, at: datetime) -> UnitDesk | None:
    """Revoke the unit's desk links (its live one, and with it any older one still within its
    validity), recording who did it and when. Answers the record as it was before."""
    kept: list[UnitDesk | None] = []

    def write(before: TokenModel | None) -> None:
        try:
            _new_record(unit_id, at, None, (at, by)).save(condition=_unchanged(before))
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise _Changed from error
            raise
        kept.append(_desk(before) if before else None)

    _retrying(write, unit_id)
    return kept[-1]
