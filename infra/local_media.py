"""Photos on the local stack (§13), on the site's own origin as CloudFront serves them in
production, so the site's CSP (``connect-src 'self'``, ``img-src 'self'``) holds locally too:

- ``POST /uploads``: the browser's presigned POST (``WZ_UPLOADS_POST_URL=/uploads``). Its
  policy's conditions are checked as S3 checks them (expiry, key, ``Content-Type``,
  ``content-length-range``), the form is passed to moto's S3 as is, and once S3 has taken it
  the processing function runs with the event S3 would send: the same code as in AWS, called
  by the upload's own request instead of by a bucket notification (moto sends none).
- ``GET /media/<id>/<file>``: ``processed/<id>/<file>`` of the uploads bucket (CloudFront's
  ``/media/*`` behaviour); nothing under ``uploads/`` is ever served.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP

log = logging.getLogger("wenzheng.local")

UPLOAD_PATH = "/uploads"
MEDIA = re.compile(r"^/media/([0-9a-f]{32})/(display|thumb)\.jpg$")
# The form's fields around a 10 MB file.
MAX_FORM_BYTES = 10 * 1024 * 1024 + 64 * 1024


def _form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The multipart form's parts by name (the file's bytes under ``file``)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return {}
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            parts[str(name)] = payload if isinstance(payload, bytes) else b""
    return parts


def _refusal(form: dict[str, bytes]) -> str | None:
    """Why S3 would refuse this POST by its policy, or None."""
    try:
        policy = json.loads(base64.b64decode(form.get("policy", b"")))
        expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return "malformed policy"
    if expires < datetime.now(UTC):
        return "policy expired"
    size = len(form.get("file", b""))
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            for name, value in condition.items():
                if name != "bucket" and form.get(name, b"").decode() != str(value):
                    return f"condition failed: {name}"
        elif (
            isinstance(condition, list)
            and condition[0] == "content-length-range"
            and not int(condition[1]) <= size <= int(condition[2])
        ):
            return "file size outside content-length-range"
    if "file" not in form:
        return "no file"
    return None


def receive_upload(headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """Take a browser's presigned POST: (status, message) as S3 would answer (204 taken)."""
    from functions.jobs.uploads import on_upload
    from functions.settings import settings
    from functions.storage import media_store

    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    form = _form(content_type, body)
    why = _refusal(form)
    if why is not None:
        log.info("upload_refused %s", why)
        return 403, why
    key = form["key"].decode()
    endpoint = str(media_store._s3().meta.endpoint_url).rstrip("/")
    request = urllib.request.Request(
        f"{endpoint}/{settings().uploads_bucket}",
        data=body,
        method="POST",
        headers={"Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        return error.code, "S3 refused the upload"
    if status >= 300:
        return status, "S3 refused the upload"
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": settings().uploads_bucket},
                    "object": {"key": key, "size": len(form["file"])},
                },
            }
        ]
    }
    on_upload(event, None)
    return 204, ""


def media(path: str) -> bytes | None:
    """A processed photo's bytes for ``/media/<id>/<file>``, or None."""
    from functions.storage import media_store

    found = MEDIA.match(path)
    if found is None:
        return None
    return media_store.get(f"processed/{found.group(1)}/{found.group(2)}.jpg")
