"""The digests the tamper-evident history (``functions.domain.integrity``) refers to: texts
by their SHA-256, contact data by a salted SHA-256 so it can be removed later without
touching the chain. Pure."""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64  # the "previous hash" of a case's first event


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def case_text_digest(title: str, content: str) -> str:
    return text_digest(f"{title}\n{content}")


def contact_reference(salt: str, name: str | None, phone: str | None, email: str | None) -> str:
    """The salted digest of the contact data that the first event carries instead of it."""
    document = {"name": name, "phone": phone, "email": email}
    payload = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{salt}\n{payload}".encode()).hexdigest()
