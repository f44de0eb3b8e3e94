"""The secrets reader on moto: a string, a JSON object's fields, a missing secret, and a rotated
value seen once the kept copy is older than the TTL."""

from __future__ import annotations

import json

import boto3
import pytest

from functions.settings import settings
from functions.storage import secrets


def _put(name: str, text: str) -> None:
    client = boto3.client("secretsmanager", region_name=settings().region)
    try:
        client.create_secret(Name=name, SecretString=text)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=text)


def test_a_string_secret_is_read_and_a_json_secret_by_its_fields(aws: None) -> None:
    _put("wz/imap", "s3cret")
    _put("wz/sms", json.dumps({"access_key_id": "AK", "access_key_secret": "SK"}))

    assert secrets.value("wz/imap") == "s3cret"
    assert secrets.fields("wz/sms") == {"access_key_id": "AK", "access_key_secret": "SK"}


def test_a_missing_secret_or_one_that_is_not_an_object_is_named_in_the_error(aws: None) -> None:
    _put("wz/plain", "not json")
    with pytest.raises(secrets.SecretMissing, match="wz/nothing"):
        secrets.value("wz/nothing")
    with pytest.raises(secrets.SecretMissing, match="not a JSON object"):
        secrets.fields("wz/plain")


def test_a_rotated_secret_is_read_again_once_the_kept_copy_is_older_than_the_ttl(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put("wz/smtp", "old")
    assert secrets.value("wz/smtp") == "old"
    _put("wz/smtp", "new")
    assert secrets.value("wz/smtp") == "old"  # kept: no read per message

    later = secrets.time.monotonic() + secrets.TTL_SECONDS + 1
    monkeypatch.setattr(secrets.time, "monotonic", lambda: later)
    assert secrets.value("wz/smtp") == "new"
