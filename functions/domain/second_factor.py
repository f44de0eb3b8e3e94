"""Staff second factor (§17, issue 19 §3): a TOTP code (RFC 6238: 6 digits, 30-second steps,
SHA-1, as every authenticator app reads an ``otpauth://`` URI) after the e-mailed link, for
the roles the deployment's policy names; 10 single-use recovery codes for a lost phone.

Pure rules: which step a code matches (±1 step of clock drift, never a step at or before the
last one accepted, so a code is good once), the recovery codes and their digests, and the
lock-out after ``MAX_FAILURES`` wrong answers. Nothing here reads a clock or storage."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

STEP_MINUTES = 10  # the "second step" token between the e-mailed link and the code
MAX_FAILURES = 5  # wrong codes in a row that lock the account …
LOCK_MINUTES = 15  # … for this long
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after the current one is accepted too
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class Step(StrEnum):
    ENROL = "enrol"  # no factor yet: a fresh secret is shown, the first code confirms it
    VERIFY = "verify"  # a factor enrolled: the code (or a recovery code) is asked for


@dataclass(frozen=True)
class Factor:
    """The factor state of one account as stored (the secret never leaves the server after
    enrolment)."""

    # As stored: sealed by KMS (functions/storage/factor_key.py), or, if enrolled before
    # sealing existed, the base32 secret itself; the service opens it to check a code.
    secret: str | None = None  # enrolled secret
    pending: str | None = None  # a secret shown for enrolment, not yet confirmed by a code
    last_step: int | None = None  # the last time step a code was accepted for
    failures: int = 0  # wrong answers in a row
    locked_until: datetime | None = None
    recovery: frozenset[str] = frozenset()  # digests of the unused recovery codes

    @property
    def enrolled(self) -> bool:
        return self.secret is not None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def required(role: str, policy: frozenset[str]) -> bool:
    return role in policy


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def uri(secret: str, account: str, issuer: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` is the code of, within ±``DRIFT_STEPS`` of ``now`` and after
    ``last_step`` (a code already used, or an older one, is refused); None when none is."""
    import pyotp

    code = normalise_code(code)
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """``RECOVERY_CODES`` codes like ``k7mq-x3pa-9fzt`` (about 74 bits each)."""

    def one() -> str:
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(15))
        return "-".join(chars[i : i + 5] for i in range(0, 15, 5))

    return [one() for _ in range(RECOVERY_CODES)]


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def recovery_digest(email: str, code: str) -> str:
    """What is stored of a recovery code: bound to its account, never the code itself."""
    return hashlib.sha256(f"recovery:{email}:{normalise_recovery(code)}".encode()).hexdigest()


def after_failure(failures: int, now: datetime) -> tuple[int, datetime | None]:
    """The count and lock after one more wrong answer: the ``MAX_FAILURES``-th locks the
    account for ``LOCK_MINUTES`` and starts the count again."""
    if failures + 1 >= MAX_FAILURES:
        return 0, now + timedelta(minutes=LOCK_MINUTES)
    return failures + 1, None


def step_lifetime() -> timedelta:
    return timedelta(minutes=STEP_MINUTES)
