"""Audit exports in S3 (moto locally): the only code that talks to S3. Objects are written
once under ``exports/<export id>/`` and read back for downloads and verification."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from functions.settings import settings
from functions.storage import deadline

PREFIX = "exports"
URL_SECONDS = 15 * 60  # a download link lives a quarter of an hour


@lru_cache(maxsize=1)
def _s3() -> Any:
    import boto3  # only exports pay for this import

    # Exports are written and read on request paths (functions/storage/deadline.py).
    return deadline.s3_client(
        lambda config: boto3.client("s3", region_name=settings().region, config=config)
    )


def reset_client() -> None:
    _s3.cache_clear()


def key(export_id: str, name: str) -> str:
    return f"{PREFIX}/{export_id}/{name}"


def put(object_key: str, body: bytes, content_type: str) -> None:
    _s3().put_object(
        Bucket=settings().export_bucket,
        Key=object_key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption="AES256",
    )


def get(object_key: str) -> bytes | None:
    """The object's bytes, or None when there is no such object."""
    client = _s3()
    try:
        answer = client.get_object(Bucket=settings().export_bucket, Key=object_key)
    except client.exceptions.NoSuchKey:
        return None
    return answer["Body"].read()  # type: ignore[no-any-return]


def download_url(object_key: str, filename: str) -> str:
    return _s3().generate_presigned_url(  # type: ignore[no-any-return]
        "get_object",
        Params={
            "Bucket": settings().export_bucket,
            "Key": object_key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=URL_SECONDS,
    )


def create_bucket() -> None:
    """The export bucket (local stack and tests; CloudFormation creates it in AWS)."""
    client = _s3()
    name = settings().export_bucket
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        location = {"LocationConstraint": settings().region}
        client.create_bucket(Bucket=name, CreateBucketConfiguration=location)
