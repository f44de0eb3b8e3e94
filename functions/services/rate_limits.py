"""The rate-limit checks the routes make (limits in ``functions.domain.rate_limits``).

When the counters' table cannot be reached, a limit marked ``fail_open`` (citizen submissions
and their photo slots) lets the request through with a warning: the petition channel staying
open matters more than a short unmetered spell, and a submission still needs the cases table
to succeed. Every other
limit (tracking codes, sign-in, link refresh) refuses with 503: they guard secrets, and each of
those requests needs DynamoDB anyway."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from functions.domain import rate_limits as policy
from functions.domain.errors import NotFound, TooManyRequests, Unavailable
from functions.logs import case_id_shown
from functions.settings import settings
from functions.storage import failures as storage_failures
from functions.storage import rate_limits as counters

log = logging.getLogger("wenzheng.security")

_parsed: tuple[str, dict[str, policy.Limit]] | None = None


def limits() -> dict[str, policy.Limit]:
    """The limits in force, parsed once per configuration string."""
    global _parsed
    text = settings().rate_limits
    if _parsed is None or _parsed[0] != text:
        try:
            overrides = policy.parse_overrides(text)
        except ValueError as error:  # a typo must not switch limits off, nor fail requests
            log.error("rate_limits_setting_ignored", extra={"error": str(error)})  # defaults
            overrides = {}
        _parsed = (text, policy.limits(overrides))
    return _parsed[1]


def _refuse(limit: policy.Limit, now: datetime) -> TooManyRequests:
    seconds = policy.retry_after(limit, now)
    message, message_en = policy.refusal(limit, seconds)
    return TooManyRequests(message, message_en, "rate_limited", retry_after=seconds)


def _unchecked(limit: policy.Limit, error: Exception) -> dict[str, str]:
    """A counter that could not be reached, for the log: the limit and the failure's class
    and AWS error code (its message may quote the subject: an address, a contact)."""
    return {"limit": limit.name, "error": storage_failures.describe(error)}


def _take(limit: policy.Limit, subject: str, now: datetime) -> bool:
    try:
        return counters.take(limit, subject, now)
    except counters.CounterUnavailable as error:
        if limit.fail_open:
            log.warning("rate_limit_not_checked", extra=_unchecked(limit, error))
            return True
        log.error("rate_limit_not_checked", extra=_unchecked(limit, error))
        raise Unavailable(
            "服务暂时繁忙，请稍后再试", "service temporarily unavailable", "unavailable"
        ) from None


def hit(name: str, subject: str, now: datetime, *, route: str = "") -> None:
    """Count one request against limit ``name`` for ``subject``; raise 429 if over it."""
    if not settings().rate_limits_enabled or not subject:
        return
    limit = limits()[name]
    if not _take(limit, subject, now):
        log.warning("rate_limited", extra={"limit": name, "route": route})
        raise _refuse(limit, now)


def hit_all(name: str, subjects: list[str], now: datetime, *, route: str = "") -> None:
    for subject in subjects:
        hit(name, subject, now, route=route)


def _used(limit: policy.Limit, subject: str, now: datetime) -> int:
    try:
        return counters.used(limit, subject, now)
    except counters.CounterUnavailable as error:
        log.error("rate_limit_not_checked", extra=_unchecked(limit, error))
        raise Unavailable(
            "服务暂时繁忙，请稍后再试", "service temporarily unavailable", "unavailable"
        ) from None


@contextmanager
def failures(name: str, subject: str, now: datetime, *, route: str = "") -> Iterator[None]:
    """Guard a secret check: refuse while ``subject`` has used up its failures this window.
    Only a wrong answer (``NotFound``) is counted: right answers, however many arrive at
    once, never lock anyone out. Wrong answers arriving together may all pass the read
    before any is counted, so the lock can overshoot by the requests in flight; the per-IP
    limit counts every attempt atomically, and an 8-character code leaves ~10¹¹ guesses."""
    if not settings().rate_limits_enabled:
        yield
        return
    limit = limits()[name]
    if _used(limit, subject, now) >= limit.max:
        log.warning("rate_limited", extra={"limit": name, "route": route})
        raise _refuse(limit, now)
    try:
        yield
    except NotFound:
        _take(limit, subject, now)
        raise


@contextmanager
def code_attempt(case_id: str, client: str, now: datetime, *, route: str) -> Iterator[None]:
    """A tracking-code check: counted per IP (every attempt) and per case (failures only,
    so a brute force locks that case's code checks for the window); a wrong code is logged
    without the code."""
    hit("track_ip", client, now, route=route)
    with failures("track_case", case_id[:64], now, route=route):
        try:
            yield
        except NotFound:
            shown = case_id_shown(case_id) or "(malformed)"  # never free text
            log.warning(
                "tracking_code_rejected", extra={"route": route, "case_id": shown, "ip": client}
            )
            raise
