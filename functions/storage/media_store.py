"""The uploads bucket (§13; moto locally): presigned POSTs for browsers, reading an upload and
writing its processed versions. The only code that talks to that bucket."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from functions.settings import settings
from functions.storage import deadline


@lru_cache(maxsize=1)
def _session() -> Any:
    from botocore.session import get_session

    return get_session()


@lru_cache(maxsize=1)
def _s3() -> Any:
    # botocore alone (the presigned POST is botocore's own): boto3 stays off request paths.
    return deadline.s3_client(
        lambda config: _session().create_client("s3", region_name=settings().region, config=config),
        signature_version="s3v4",
    )


def reset_client() -> None:
    _s3.cache_clear()


def presigned_post(key: str, content_type: str, size: int, seconds: int) -> dict[str, Any]:
    """``{url, fields}`` for one browser POST of exactly ``size`` bytes of the claimed
    ``content_type`` to ``key`` within ``seconds``."""
    found: dict[str, Any] = _s3().generate_presigned_post(
        Bucket=settings().uploads_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", size, size],
        ],
        ExpiresIn=seconds,
    )
    return found


def presigned_get(key: str, *, seconds: int, disposition: str, content_type: str) -> str:
    """A link that downloads the private object ``key`` within ``seconds``, answered with
    these ``Content-Disposition`` and ``Content-Type`` (a staff member's download of a mailed
    case's file): signed, so authorised as the signer's ``s3:GetObject``."""
    url: str = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings().uploads_bucket,
            "Key": key,
            "ResponseContentDisposition": disposition,
            "ResponseContentType": content_type,
        },
        ExpiresIn=seconds,
    )
    return url


def get(key: str) -> bytes | None:
    """The object's bytes, or None when there is no such object."""
    client = _s3()
    try:
        answer = client.get_object(Bucket=settings().uploads_bucket, Key=key)
    except client.exceptions.NoSuchKey:
        return None
    return answer["Body"].read()  # type: ignore[no-any-return]


def put(key: str, body: bytes, content_type: str) -> None:
    _s3().put_object(
        Bucket=settings().uploads_bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        CacheControl="public, max-age=31536000, immutable",
        ServerSideEncryption="AES256",
    )


def put_private(key: str, body: bytes, content_type: str) -> None:
    """An object never served (a mailed case's staff-only file, an inbound message): no
    public caching, read back only through the platform."""
    _s3().put_object(
        Bucket=settings().uploads_bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption="AES256",
    )


def delete(key: str) -> None:
    _s3().delete_object(Bucket=settings().uploads_bucket, Key=key)


def create_bucket() -> None:
    """The uploads bucket (local stack and tests; CloudFormation creates it in AWS)."""
    client = _s3()
    name = settings().uploads_bucket
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        location = {"LocationConstraint": settings().region}
        client.create_bucket(Bucket=name, CreateBucketConfiguration=location)
