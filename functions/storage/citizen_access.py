"""我的诉求: the sign-in codes and citizen sessions (in the tokens table beside the other
links), and the cases a phone number gave (the sparse ``by-phone`` index).

A number has at most one code at a time: its record, key ``otp#<phone key>`` (no SHA-256 of a
token looks like it), holds the code's digest and the wrong answers it still takes; a fresh
code replaces it. A wrong answer takes one try, conditional on the count read, so answers
racing each other can never take the same try twice; the right one deletes the record, on the
digest read, so a code opens one session only. A session is a token item (purpose
``citizen-session``, the SHA-256 only) naming the phone key it was opened for."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.cases import Case
from functions.domain.citizen_access import OTP_TRIES, PendingCode
from functions.storage import tokens
from functions.storage.case_items import from_model
from functions.storage.models import CaseModel, TokenModel

CODE = "otp"
SESSION = "citizen-session"
MAX_CASES = 200  # a number with more cases than this is told the newest


def _key(phone_key: str) -> str:
    return f"otp#{phone_key}"


def send_code(
    phone_key: str, digest: str, *, now: datetime, expires_at: datetime, message: Model
) -> None:
    """The number's code record (replacing the one before) and the SMS carrying the code: both
    or neither."""
    item = TokenModel(
        _key(phone_key),
        purpose=CODE,
        created_at=now,
        expires_at=expires_at,
        current=digest,
        tries=OTP_TRIES,
        phone_key=phone_key,
    )
    with TransactWrite(connection=TokenModel._get_connection().connection) as tx:
        tx.save(item)
        tx.save(message)


def pending(phone_key: str) -> PendingCode | None:
    try:
        m = TokenModel.get(_key(phone_key), consistent_read=True)
    except TokenModel.DoesNotExist:
        return None
    if m.purpose != CODE or m.current is None or m.tries is None:
        return None
    return PendingCode(m.current, m.expires_at, int(m.tries))


def take_try(phone_key: str, code: PendingCode) -> None:
    """A wrong answer: one try fewer, on the count and the code as read (a racing answer
    that took it first, or a fresh code sent meanwhile, leaves this one to be read again)."""
    try:
        TokenModel(_key(phone_key)).update(
            actions=[TokenModel.tries.set(code.tries_left - 1)],
            condition=(TokenModel.tries == code.tries_left) & (TokenModel.current == code.digest),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def spend(phone_key: str, code: PendingCode) -> bool:
    """The right answer: the code is deleted, once; False if another answer spent it first."""
    try:
        TokenModel(_key(phone_key)).delete(
            condition=(TokenModel.current == code.digest) & (TokenModel.tries == code.tries_left)
        )
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def open_session(token: str, phone_key: str, *, now: datetime, expires_at: datetime) -> None:
    TokenModel(
        tokens.digest(token),
        purpose=SESSION,
        created_at=now,
        expires_at=expires_at,
        phone_key=phone_key,
        last_seen_at=now,
    ).save(condition=TokenModel.token_hash.does_not_exist())


def session_phone(token: str, now: datetime) -> tuple[str, datetime] | None:
    """The phone key a live session was opened for, and when it ends."""
    m = tokens.live(token, SESSION, now)
    if m is None or m.phone_key is None:
        return None
    return m.phone_key, m.expires_at


def has_cases(phone_key: str) -> bool:
    return any(True for _ in CaseModel.by_phone.query(phone_key, limit=1))


def cases_of(phone_key: str) -> tuple[list[Case], bool]:
    """The number's cases, newest first (at most ``MAX_CASES``), and whether there were more:
    one Query of the keys-only index and a BatchGetItem of the cases."""
    ids = [
        m.case_id
        for m in CaseModel.by_phone.query(phone_key, scan_index_forward=False, limit=MAX_CASES + 1)
    ]
    found = {m.case_id: from_model(m) for m in CaseModel.batch_get(ids[:MAX_CASES])} if ids else {}
    return [found[i] for i in ids[:MAX_CASES] if i in found], len(ids) > MAX_CASES
