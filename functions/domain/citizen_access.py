"""我的诉求 (§17): a citizen finds their cases by the phone number they gave, without an
account. A 6-digit code goes by SMS to the number (valid ``OTP_MINUTES``, ``OTP_TRIES`` wrong
answers and it is spent); the right code opens a short session (``SESSION_MINUTES``) that
lists every case with that number and re-issues a case's tracking code.

Pure rules: the keys (a number is never stored as a key, only its digest), the code, and the
verdict on an answer. Nothing here reads a clock or storage."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

OTP_MINUTES = 5
OTP_TRIES = 5
SESSION_MINUTES = 30
CODE_DIGITS = 6


def phone_key(phone: str) -> str:
    """The digest a case is found by (``+8613912345678`` as the contact normalises it)."""
    return hashlib.sha256(f"phone:{phone}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(key: str, code: str) -> str:
    """What the code's record keeps: the code bound to its number (a digest of 10⁶ values is
    no secret on its own; the tries and the lifetime are what guard it)."""
    return hashlib.sha256(f"{key}:{code}".encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


@dataclass(frozen=True)
class PendingCode:
    """A code sent and not yet used: its digest, when it ends, the wrong answers left."""

    digest: str
    expires_at: datetime
    tries_left: int


class Verdict(StrEnum):
    OPEN = "open"  # the right code: a session opens and the code is spent
    WRONG = "wrong"  # a wrong code: one try fewer
    SPENT = "spent"  # no code (never sent, expired, used, or out of tries)


def verdict(pending: PendingCode | None, key: str, code: str, now: datetime) -> Verdict:
    if pending is None or pending.expires_at <= now or pending.tries_left <= 0:
        return Verdict.SPENT
    if hmac.compare_digest(pending.digest, code_digest(key, normalise_code(code))):
        return Verdict.OPEN
    return Verdict.WRONG


def code_lifetime() -> timedelta:
    return timedelta(minutes=OTP_MINUTES)


def session_lifetime() -> timedelta:
    return timedelta(minutes=SESSION_MINUTES)
