"""Rate limits as data: which requests are counted, by what subject, how many per window.

Pure policy; the counting lives in ``functions.storage.rate_limits`` and the checks in
``functions.services.rate_limits``. Windows are fixed and aligned to the Unix epoch, so every
Lambda instance agrees on the window an instant falls in without talking to the others."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Subject(StrEnum):
    """What a limit counts by."""

    IP = "ip"
    CONTACT = "contact"  # a citizen's normalised phone or email
    CASE = "case"  # a case id: failed tracking-code attempts against it
    ADDRESS = "address"  # a staff or unit email, or the department a link refresh would mail


@dataclass(frozen=True)
class Limit:
    name: str
    subject: Subject
    max: int  # requests (or failures) allowed per window; the next one is refused
    window: int  # seconds
    # What a check does when the counter's table cannot be reached: let the request through
    # (with a warning log) or refuse it with 503.
    fail_open: bool
    # Count only failed attempts (tracking codes): a success gives its count back.
    failures_only: bool = False
    # The sentence a client sees, with {wait} for "N 分钟" / "N minutes".
    message: str = "请求过于频繁，请 {wait}后再试"
    message_en: str = "too many requests: try again in {wait_en}"


SUBMIT = "提交过于频繁，请 {wait}后再试"
SUBMIT_EN = "too many submissions: try again in {wait_en}"
TRACK = "查询过于频繁，请 {wait}后再试"
TRACK_EN = "too many tracking-code attempts: try again in {wait_en}"
SIGNIN = "登录请求过于频繁，请 {wait}后再试"
SIGNIN_EN = "too many sign-in requests: try again in {wait_en}"
UPLOAD = "上传照片过于频繁，请 {wait}后再试"
UPLOAD_EN = "too many photo uploads: try again in {wait_en}"
SIMILAR = "相似诉求查询过于频繁，请 {wait}后再试"
SIMILAR_EN = "too many similar-case lookups: try again in {wait_en}"
REFRESH = "链接重发请求过于频繁，请 {wait}后再试"
REFRESH_EN = "too many link requests: try again in {wait_en}"
DESK = "工作台链接申请过于频繁，请 {wait}后再试"
DESK_EN = "too many desk link requests: try again in {wait_en}"
OTP = "验证码请求过于频繁，请 {wait}后再试"
OTP_EN = "too many code requests: try again in {wait_en}"
FOLLOW = "关注请求过于频繁，请 {wait}后再试"
FOLLOW_EN = "too many follow requests: try again in {wait_en}"

HOUR = 3600
DAY = 24 * HOUR

# Production defaults (docs/API.md "Rate limits" explains each). Per-IP numbers leave room for
# a household or an office behind one NAT address, and for carrier-grade NAT on mobile.
# Cases entered by staff (hotline, mailbox) are authenticated and never limited.
DEFAULTS: tuple[Limit, ...] = (
    Limit("submit_ip", Subject.IP, 30, HOUR, True, message=SUBMIT, message_en=SUBMIT_EN),
    Limit("submit_contact", Subject.CONTACT, 10, DAY, True, message=SUBMIT, message_en=SUBMIT_EN),
    Limit("track_ip", Subject.IP, 120, HOUR, False, message=TRACK, message_en=TRACK_EN),
    Limit(
        "track_case",
        Subject.CASE,
        10,
        HOUR,
        False,
        failures_only=True,
        message=TRACK,
        message_en=TRACK_EN,
    ),
    # Counted per photo: six photos for each of ten cases an hour from one address.
    Limit("upload_ip", Subject.IP, 60, HOUR, True, message=UPLOAD, message_en=UPLOAD_EN),
    # The submit page asks as the citizen types (debounced): some tens of lookups a report.
    Limit("similar_ip", Subject.IP, 600, HOUR, True, message=SIMILAR, message_en=SIMILAR_EN),
    Limit("signin_ip", Subject.IP, 30, HOUR, False, message=SIGNIN, message_en=SIGNIN_EN),
    Limit("signin_address", Subject.ADDRESS, 5, 900, False, message=SIGNIN, message_en=SIGNIN_EN),
    Limit("refresh_ip", Subject.IP, 30, HOUR, False, message=REFRESH, message_en=REFRESH_EN),
    Limit(
        "refresh_address", Subject.ADDRESS, 20, HOUR, False, message=REFRESH, message_en=REFRESH_EN
    ),
    # 单位工作台: each request to a unit's address mails a fresh desk link (and ends the one
    # before), so an address gets a few an hour whoever asks; counted like a staff sign-in.
    Limit("desk_ip", Subject.IP, 30, HOUR, False, message=DESK, message_en=DESK_EN),
    Limit("desk_address", Subject.ADDRESS, 5, HOUR, False, message=DESK, message_en=DESK_EN),
    # 关注: each request may mail a confirmation link, so an address gets at most a few a day
    # whoever asks (the platform must not become a way to flood someone's mailbox), and one
    # client cannot sign up a list of addresses.
    Limit("follow_ip", Subject.IP, 20, HOUR, False, message=FOLLOW, message_en=FOLLOW_EN),
    Limit("follow_email", Subject.ADDRESS, 5, DAY, False, message=FOLLOW, message_en=FOLLOW_EN),
    # 我的诉求: each code request may send an SMS (paid, and someone's phone), so a number gets a
    # few an hour whoever asks; each sign-in attempt is counted per client, on top of the 5
    # wrong answers a code takes.
    Limit("otp_ip", Subject.IP, 10, HOUR, False, message=OTP, message_en=OTP_EN),
    Limit("otp_phone", Subject.CONTACT, 5, HOUR, False, message=OTP, message_en=OTP_EN),
    Limit("otp_check_ip", Subject.IP, 30, HOUR, False, message=OTP, message_en=OTP_EN),
    # 市长信箱 by e-mail: the auto-replies (receipts) one sender gets a day. Past it the mail
    # still becomes a case (a letter is never dropped), without a receipt: no mail loop, no
    # flooding an address someone forged as the sender.
    Limit("mail_sender", Subject.CONTACT, 5, DAY, True),
)

_SPEC = re.compile(r"^\s*([a-z_]+)\s*=\s*(\d+)\s*/\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": HOUR, "d": DAY}


def parse_overrides(text: str) -> dict[str, tuple[int, int]]:
    """``"submit_ip=60/1h, track_case=5/30m"`` → {name: (max, window seconds)}. Unknown names
    and malformed entries raise ValueError: a typo in configuration must not pass silently."""
    known = {limit.name for limit in DEFAULTS}
    found: dict[str, tuple[int, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _SPEC.match(part)
        if not match or match.group(1) not in known:
            raise ValueError(f"bad rate limit {part!r}: use name=max/window, e.g. submit_ip=30/1h")
        window = int(match.group(3)) * _UNITS[match.group(4)]
        if window <= 0 or int(match.group(2)) <= 0:
            raise ValueError(f"bad rate limit {part!r}: max and window must be positive")
        found[match.group(1)] = (int(match.group(2)), window)
    return found


def limits(overrides: dict[str, tuple[int, int]]) -> dict[str, Limit]:
    """The limits in force: the defaults with the configured overrides applied."""
    table = {}
    for limit in DEFAULTS:
        if limit.name in overrides:
            count, window = overrides[limit.name]
            limit = replace(limit, max=count, window=window)
        table[limit.name] = limit
    return table


def window_start(limit: Limit, now: datetime) -> int:
    """The epoch second the window holding ``now`` began."""
    second = int(now.timestamp())
    return second - second % limit.window


def retry_after(limit: Limit, now: datetime) -> int:
    """Whole seconds until the window holding ``now`` ends (at least 1, at most the window)."""
    end = window_start(limit, now) + limit.window
    return max(1, min(limit.window, int(end - now.timestamp() + 0.999)))


def item_key(limit: Limit, subject: str, now: datetime) -> str:
    """``<limit>#<sha256(subject)>#<window start>``: the counter's key; never the subject."""
    digest = hashlib.sha256(f"{limit.name}:{subject}".encode()).hexdigest()
    return f"{limit.name}#{digest}#{window_start(limit, now)}"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """The last 11 digits: ``+86 139-1234-5678`` and ``13912345678`` are one contact."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-11:]


def contact_subjects(phone: str | None, email: str | None) -> list[str]:
    """Each contact a submission names, normalised and tagged; each is counted on its own."""
    subjects = []
    if phone and normalise_phone(phone):
        subjects.append("phone:" + normalise_phone(phone))
    if email and normalise_email(email):
        subjects.append("email:" + normalise_email(email))
    return subjects


def wait_text(seconds: int) -> tuple[str, str]:
    """``("3 分钟", "3 minutes")``: whole minutes, rounded up; under a minute in seconds."""
    if seconds < 60:
        return f"{seconds} 秒", f"{seconds} seconds"
    minutes = -(-seconds // 60)
    if minutes < 120:
        return f"{minutes} 分钟", f"{minutes} minutes"
    hours = -(-minutes // 60)
    return f"{hours} 小时", f"{hours} hours"


def refusal(limit: Limit, seconds: int) -> tuple[str, str]:
    """The Chinese and English sentences a refused client sees."""
    zh, en = wait_text(seconds)
    return limit.message.format(wait=zh), limit.message_en.format(wait_en=en)
