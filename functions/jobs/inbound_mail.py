"""市长信箱 by e-mail (§17): S3 invokes this for each message the SES receipt rule stores under
``inbound/`` of the uploads bucket (the rule, the bucket's notification and the invoke
permission are in infra/template.py). The IMAP poller and the local stage's
``POST /api/dev/inbound-mail`` store a message there and call the same function.

A plain Lambda function, as ``process_upload`` is (functions/jobs/uploads.py says why)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from chalice.app import Blueprint

from functions import clock, logs

inbound_mail = Blueprint(__name__)


@inbound_mail.lambda_function(name="receive_mail")
def on_inbound_mail(event: dict[str, Any], context: Any) -> list[str]:
    """Each record's message processed in turn: what became of each (for the log)."""
    from functions.services import mailbox

    outcomes = []
    with logs.scope(request_id=getattr(context, "aws_request_id", None)):
        for record in event.get("Records") or []:
            key = unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", "")))
            outcomes.append(mailbox.receive(key, clock.utcnow()))
    return outcomes
