"""Photo processing (§13): S3 invokes this for each object created under ``uploads/`` of the
uploads bucket (the bucket's notification and the invoke permission are in
infra/template.py). Locally, with no S3 notifications, the local stack calls the same function
with the same event (infra/local_stack.py).

A plain Lambda function rather than Chalice's ``on_s3_event``: Chalice cannot package that for
CloudFormation (``chalice package`` refuses it, as CloudFormation cannot change the
notifications of a bucket made elsewhere), and here the template makes the bucket itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from chalice.app import Blueprint

from functions import clock, logs

uploads = Blueprint(__name__)


@uploads.lambda_function(name="process_upload")
def on_upload(event: dict[str, Any], context: Any) -> list[str]:
    """Each record's object processed in turn: what became of each (for the log)."""
    from functions.services import photos

    outcomes = []
    with logs.scope(request_id=getattr(context, "aws_request_id", None)):
        for record in event.get("Records") or []:
            key = unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", "")))
            outcomes.append(photos.process(key, clock.utcnow()))
    return outcomes
