"""Privacy rules of §8: masked names and a PII scrubber for text shown in public."""

from __future__ import annotations

import re
from collections.abc import Iterable

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def mask_name(name: str | None) -> str:
    """张三丰 → 张**; empty → 匿名."""
    name = (name or "").strip()
    if not name:
        return "匿名"
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """Mask the contact's names, phone numbers, ID-card numbers and email addresses."""
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name))
    text = _EMAIL.sub("[邮箱已隐藏]", text)
    text = _ID_CARD.sub("[证件号已隐藏]", text)
    text = _MOBILE.sub("[电话已隐藏]", text)
    return _LANDLINE.sub("[电话已隐藏]", text)


def mask_phone(phone: str | None) -> str | None:
    """+8613812345678 → 138****5678: enough to tell two callers apart, not to call one."""
    if not phone:
        return None
    digits = phone.removeprefix("+86")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def mask_email(email: str | None) -> str | None:
    """zhang.san@example.com → z***@example.com."""
    if not email or "@" not in email:
        return None
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"
