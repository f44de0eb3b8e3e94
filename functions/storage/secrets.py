"""Secrets Manager (moto locally): the credentials a deployment keeps out of its settings, e.g. an
SMS provider's access key, the SMTP or IMAP password. The only code that reads secrets.

A secret is read once per warm function and kept for ``TTL_SECONDS``, so a rotated value reaches
every function within that time without a read per message. A JSON object secret (what the
console's "other type of secret" stores) is read with ``fields``; a plain string with ``value``.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

from functions.settings import settings

TTL_SECONDS = 300.0

_read: dict[str, tuple[float, str]] = {}


class SecretMissing(Exception):
    """The deployment names a secret that does not exist or cannot be read."""


@cache
def _client() -> Any:
    import boto3  # only the functions that need a credential pay for this import
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2})
    return boto3.client("secretsmanager", region_name=settings().region, config=config)


def reset() -> None:
    """Forget the client and every value read (tests; a changed region)."""
    _client.cache_clear()
    _read.clear()


def value(secret_id: str) -> str:
    """The secret's current string, at most ``TTL_SECONDS`` old."""
    now = time.monotonic()
    kept = _read.get(secret_id)
    if kept is not None and now - kept[0] < TTL_SECONDS:
        return kept[1]
    client = _client()
    try:
        answer = client.get_secret_value(SecretId=secret_id)
    except client.exceptions.ResourceNotFoundException as error:
        raise SecretMissing(f"secret {secret_id!r} does not exist") from error
    text = answer.get("SecretString")
    if text is None:
        raise SecretMissing(f"secret {secret_id!r} holds no string")
    _read[secret_id] = (now, text)
    return str(text)


def fields(secret_id: str) -> dict[str, str]:
    """A JSON object secret's fields, as strings."""
    text = value(secret_id)
    try:
        found = json.loads(text)
    except ValueError as error:
        raise SecretMissing(f"secret {secret_id!r} is not a JSON object") from error
    if not isinstance(found, dict):
        raise SecretMissing(f"secret {secret_id!r} is not a JSON object")
    return {str(key): str(item) for key, item in found.items()}
