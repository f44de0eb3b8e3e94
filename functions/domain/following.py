"""关注 (following a case, §14): who may follow which case, and the rules of the links that
confirm and end a follow. Pure: no storage, no clock.

Anyone may follow a public case by e-mail, and the citizen who submitted may follow their own
case (with its tracking code) whether or not it is public. A follow counts only once its
address confirmed it (double opt-in); each follower message carries its own one-click
unsubscribe link. Followers hear of the reply, the reopening and the closing: the citizen
notices of those names (``FOLLOWED``)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from enum import StrEnum

from functions.domain.cases import Case
from functions.domain.errors import Conflict, NotFound
from functions.domain.lifecycle import STATES


class Via(StrEnum):
    """How a follow came: from the public case page, or from the citizen's tracking page."""

    PUBLIC = "public"
    OWN = "own"  # the tracking code's holder: the case need not be public


# The citizen notices followers hear of too (functions/notify/templates.py ``to_followers``).
FOLLOWED = ("replied", "reopened", "closed")
# The outbox templates of what goes to a follower's address: the confirmation, and each
# followed notice as ``follower_<notice>``.
CONFIRM_TEMPLATE = "follow_confirm"


def follower_template(notice: str) -> str:
    return f"follower_{notice}"


def to_a_follower(template: str) -> bool:
    """Whether an outbox message of ``template`` goes to a follower's address (which no one
    may see, and whose bounce hides no case)."""
    return template == CONFIRM_TEMPLATE or any(
        template == follower_template(name) for name in FOLLOWED
    )


CONFIRM_DAYS = 7  # a confirmation link's life
UNSUBSCRIBE_DAYS = 365  # an unsubscribe link's life (every follower message brings a fresh one)
CONFIRM_MAX_AGE = timedelta(days=CONFIRM_DAYS)
UNSUBSCRIBE_MAX_AGE = timedelta(days=UNSUBSCRIBE_DAYS)

# Followers written per transaction when a notice is fanned out: each takes two items (the
# message and its unsubscribe link), and the fan-out's own progress one more, well within
# DynamoDB's 100 items (functions/storage/case_commit.py ``MAX_ITEMS``).
FANOUT_BATCH = 40


def normalise(email: str) -> str:
    """One address, however it is written: trimmed, lower case."""
    return email.strip().lower()


def follower_key(case_id: str, email: str) -> str:
    """The follower's key within the case: the SHA-256 of the case and the normalised address,
    so a second follow of the same address finds the first, and keys do not tie one address
    across cases."""
    return hashlib.sha256(f"{case_id}:{normalise(email)}".encode()).hexdigest()


def _no_public_case() -> NotFound:
    return NotFound("未找到该诉求，或该诉求未公开", "no such public case", "case_not_found")


def require_followable(case: Case | None, *, own: bool) -> Case:
    """The case may be followed: it exists and is public (or it is the caller's own, shown by
    the tracking code), and its handling is not over (a terminal case will send no notice
    again). 404 for a case the caller may not see, 409 ``case_finished`` for one that ended."""
    if case is None or not (own or case.is_public):
        raise _no_public_case()
    if STATES[case.state].terminal:
        raise Conflict(
            "该诉求已办结，不再发送办理进展，无需关注",
            "the case's handling is over: there is nothing to follow",
            "case_finished",
        )
    return case


def audience(case: Case) -> str:
    """Who of a case's followers hears of it now: everyone while the case is public, only
    those who follow their own case (``own``) otherwise (consent withdrawn, not published)."""
    return "all" if case.is_public else Via.OWN.value
