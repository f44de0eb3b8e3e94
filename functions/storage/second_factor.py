"""The staff second factor's state, on the account's item in the staff table (the secrets as
functions/storage/factor_key.py seals them: this module stores and compares them as stored),
and the short
"second step" token (tokens table, purpose ``staff-step``, its SHA-256 only) between the
e-mailed link and the code.

Every write holds its invariant as a condition: enrolment completes once, on the secret that
was shown; a code's step is accepted only after the last one (a code is good once, even
when two answers race); a recovery code is taken out of the set once; a wrong answer counts
by atomic ADD (racing answers each count), and the lock is set once per ``MAX_FAILURES``,
with its alert in the same transaction."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.domain.second_factor import MAX_FAILURES, Factor, Step
from functions.storage import tokens
from functions.storage.models import StaffModel, TokenModel

STEP = "staff-step"


def _conditional(error: PynamoDBException) -> bool:
    return getattr(error, "cause_response_code", None) in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


def factor(email: str) -> Factor | None:
    """The account's factor state (None: no such account)."""
    try:
        m = StaffModel.get(email, consistent_read=True)
    except StaffModel.DoesNotExist:
        return None
    return Factor(
        secret=m.totp_secret,
        pending=m.totp_pending,
        last_step=int(m.totp_last_step) if m.totp_last_step is not None else None,
        failures=int(m.totp_failures or 0),
        locked_until=m.totp_locked_until,
        recovery=frozenset(m.totp_recovery or ()),
    )


def step_item(
    token: str, *, email: str, step: Step, now: datetime, expires_at: datetime
) -> TokenModel:
    return TokenModel(
        tokens.digest(token),
        purpose=STEP,
        created_at=now,
        expires_at=expires_at,
        email=email,
        via=step.value,
    )


def step_of(token: str, now: datetime) -> tuple[str, Step] | None:
    """The account and step a live, unused step token is for."""
    m = tokens.live(token, STEP, now)
    if m is None or m.email is None or m.via not in (Step.ENROL, Step.VERIFY):
        return None
    return m.email, Step(m.via)


def start_enrolment(email: str, secret: str, recovery: set[str], item: TokenModel) -> None:
    """The secret shown (pending until a first code confirms it), the recovery codes' digests
    and the step token: together, on an account without an enrolled factor."""
    with TransactWrite(connection=StaffModel._get_connection().connection) as tx:
        tx.update(
            StaffModel(email),
            actions=[
                StaffModel.totp_pending.set(secret),
                StaffModel.totp_recovery.set(recovery),
            ],
            condition=StaffModel.email.exists() & StaffModel.totp_secret.does_not_exist(),
        )
        tx.save(item)


def save_step(item: TokenModel) -> None:
    item.save(condition=TokenModel.token_hash.does_not_exist())


def confirm_enrolment(email: str, pending: str, step: int, now: datetime, sealed: str) -> bool:
    """The first code verified: the pending secret (``pending`` as stored, ``sealed`` as it
    is to be kept: the same value unless it was stored in the clear) becomes the account's,
    once."""
    try:
        StaffModel(email).update(
            actions=[
                StaffModel.totp_secret.set(sealed),
                StaffModel.totp_pending.remove(),
                StaffModel.totp_last_step.set(step),
                StaffModel.totp_failures.set(0),
                StaffModel.totp_enrolled_at.set(now),
            ],
            condition=(StaffModel.totp_pending == pending)
            & StaffModel.totp_secret.does_not_exist(),
        )
    except UpdateError as error:
        if not _conditional(error):
            raise
        return False
    return True


def accept_step(email: str, secret: str, step: int, reseal: str | None = None) -> bool:
    """A right code: its step becomes the last accepted, if it is after the last one (a code
    used a moment ago by a racing answer is refused) and the secret (as stored) is still the
    account's; ``reseal`` replaces a secret stored in the clear by its sealed form."""
    actions: list[Action] = [StaffModel.totp_last_step.set(step), StaffModel.totp_failures.set(0)]
    if reseal is not None:
        actions.append(StaffModel.totp_secret.set(reseal))
    try:
        StaffModel(email).update(
            actions=actions,
            condition=(StaffModel.totp_secret == secret)
            & (StaffModel.totp_last_step.does_not_exist() | (StaffModel.totp_last_step < step)),
        )
    except UpdateError as error:
        if not _conditional(error):
            raise
        return False
    return True


def spend_recovery(email: str, digest: str) -> int | None:
    """Take one recovery code out of the account's set: the codes left, or None if it was not
    there (never issued, or used already)."""
    m = StaffModel(email)
    try:
        m.update(
            actions=[StaffModel.totp_recovery.delete({digest}), StaffModel.totp_failures.set(0)],
            condition=StaffModel.totp_secret.exists() & StaffModel.totp_recovery.contains(digest),
        )
    except UpdateError as error:
        if not _conditional(error):
            raise
        return None
    return len(m.totp_recovery or ())


def count_failure(email: str) -> int:
    """One more wrong answer (atomic ADD: racing answers each count); the count now."""
    m = StaffModel(email)
    m.update(
        actions=[StaffModel.totp_failures.add(1)],
        condition=StaffModel.email.exists(),
    )
    return int(m.totp_failures or 0)


def lock(email: str, until: datetime, alerts: list[Model]) -> bool:
    """Lock the account until ``until`` and start the count again, with the admins' alerts:
    once per ``MAX_FAILURES`` wrong answers (False: a racing answer locked it first)."""
    try:
        with TransactWrite(connection=StaffModel._get_connection().connection) as tx:
            tx.update(
                StaffModel(email),
                actions=[
                    StaffModel.totp_locked_until.set(until),
                    StaffModel.totp_failures.set(0),
                ],
                condition=StaffModel.totp_failures >= MAX_FAILURES,
            )
            for message in alerts:
                tx.save(message)
    except TransactWriteError as error:
        if not _conditional(error):
            raise
        return False
    return True


def reset_actions() -> list[Action]:
    """What an admin's reset removes: every second-factor attribute (the next sign-in enrols
    afresh, and a lock ends)."""
    return [
        StaffModel.totp_secret.remove(),
        StaffModel.totp_pending.remove(),
        StaffModel.totp_recovery.remove(),
        StaffModel.totp_last_step.remove(),
        StaffModel.totp_failures.remove(),
        StaffModel.totp_locked_until.remove(),
        StaffModel.totp_enrolled_at.remove(),
    ]
