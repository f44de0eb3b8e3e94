"""Which Lambda function may do what: the ONE declarative source of the production IAM
policies (infra/template.py renders it into each function's role, with the ARNs of the
template's own tables, bucket, identity and configuration set).

Keys are Chalice's function names (``api_handler`` for the HTTP API, the ``name=`` of each
scheduled or SNS function). tests/infra/test_permissions.py runs the API tests' lifecycles and
every job under a recorder and checks each AWS call against the rendered policy."""

from __future__ import annotations

from dataclasses import dataclass, field

# DynamoDB action sets. A TransactWriteItems is authorised per item as Put/Update/Delete/
# ConditionCheckItem on its table; a TransactGetItems as GetItem.
READ = ("GetItem", "BatchGetItem", "Query")
WRITE = ("PutItem", "UpdateItem", "ConditionCheckItem")
DELETE = ("DeleteItem", "BatchWriteItem")
SCAN = ("Scan",)  # only the small reference tables (departments, staff) are ever scanned


@dataclass(frozen=True)
class Table:
    actions: tuple[str, ...]
    indexes: tuple[str, ...] = ()  # GSIs the function queries


@dataclass(frozen=True)
class Access:
    tables: dict[str, Table] = field(default_factory=dict)  # base table name → access
    send_email: bool = False  # ses:SendEmail from the sender identity (+ configuration set)
    send_sms: bool = False  # sns:Publish to phone numbers (no ARN exists: Resource "*")
    exports: tuple[str, ...] = ()  # s3 actions on the export bucket's objects
    # s3 actions on the uploads bucket's objects, by key prefix (uploads/, processed/)
    media: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The provider secrets it reads (secretsmanager:GetSecretValue), on stages whose template
    # has them (China regions: infra/template.py PROVIDER_SECRETS): "sms" (WZ_SMS_SECRET),
    # "smtp" (WZ_SMTP_SECRET), "imap" (WZ_IMAP_PASSWORD_SECRET). A function that sends (the
    # outbox; a delivery-receipts job) names the ones it needs here.
    secrets: tuple[str, ...] = ()
    # kms actions on the key that seals the staff TOTP secrets (functions/storage/factor_key.py)
    totp_key: tuple[str, ...] = ()
    # secretsmanager:GetSecretValue on the OIDC client secret the stack parameter names
    oidc_client_secret: bool = False


_BOARD = tuple(
    f"board-{name}" for name in ("all", "state", "kind", "category", "district", "department")
)
_AUDIT = ("audit-month", "audit-department", "audit-district")
_REFERENCE = Table(READ + SCAN)
_SETTINGS = Table(("GetItem", "BatchGetItem"))  # the calendar / policy documents
# A transition: case_commit.commit writes the case, its events, link tokens, outbox messages and
# the state / ranking counters in one transaction, reading the reference data on the way.
_COMMIT = {
    "cases": Table(READ + WRITE),
    "events": Table(READ + WRITE),
    "tokens": Table(WRITE),
    "outbox": Table(WRITE),
    "counters": Table(("GetItem", *WRITE)),
    "tallies": Table(WRITE),
    "cohort-cases": Table(WRITE),
    # 单位工作台: the desk entries of a case's co-handlers, added and removed with the case.
    "co-handling": Table((*WRITE, "DeleteItem")),
    # 领导驾驶舱 (§16): the daily series' tallies and the entries of the cases behind them.
    "daily-tallies": Table(WRITE),
    "daily-cases": Table(WRITE),
    "departments": _REFERENCE,
    "staff": _REFERENCE,
    "settings": _SETTINGS,
}


# 市长信箱: what the intake of one message writes, whichever way it came in (the S3 event of
# SES's stored message, or the IMAP poller).
_MAIL_INTAKE = {
    "cases": Table(READ + WRITE),
    "events": Table(READ + WRITE),
    "outbox": Table(WRITE),
    "tokens": Table(WRITE),  # 补充材料 sends the lead unit a fresh link
    "counters": Table(("GetItem", *WRITE)),
    "departments": _REFERENCE,
    "settings": _SETTINGS,
    "idempotency": Table(READ + WRITE + ("DeleteItem",)),
    "uploads": Table(READ + WRITE),
    "similar": Table(WRITE),
    "rate-limits": Table(READ + WRITE),
    # A new case counts in the dashboard's day (functions/domain/dashboard.py).
    "daily-tallies": Table(WRITE),
    "daily-cases": Table(WRITE),
}
_MAIL_MEDIA = (
    ("uploads/", ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")),
    ("processed/", ("s3:PutObject",)),
    ("files/", ("s3:PutObject",)),
)


def _with(base: dict[str, Table], **changes: Table) -> dict[str, Table]:
    merged = dict(base)
    merged.update({name.replace("_", "-"): table for name, table in changes.items()})
    return merged


FUNCTIONS: dict[str, Access] = {
    # The HTTP API: every audience's routes. Deletes only where the code deletes (sessions
    # and links are revoked by update; idempotency and rate-limit records expire by TTL).
    "api_handler": Access(
        tables=_with(
            _COMMIT,
            cases=Table(
                READ + WRITE,
                (
                    *_BOARD,
                    "queue-created",
                    "queue-due",
                    "by-lead",
                    "desk",
                    "by-phone",
                    "cards",
                    "unsatisfied",
                    *_AUDIT,
                ),
            ),
            tokens=Table(READ + WRITE + DELETE),
            outbox=Table(READ + WRITE, ("dead",)),
            tallies=Table(READ + WRITE),
            cohort_cases=Table(READ + WRITE),
            co_handling=Table((*READ, *WRITE, "DeleteItem")),  # + a desk reads its entries
            daily_tallies=Table(READ + WRITE),  # + the dashboard reads a window's days
            daily_cases=Table(READ + WRITE),  # + … and the cases behind a figure
            counters=Table(READ + WRITE),
            departments=Table(READ + WRITE + SCAN),
            staff=Table(READ + WRITE + SCAN),
            # The directory's change records (§15): written with each change, read by auditors.
            directory_changes=Table(READ + WRITE),
            settings=Table(READ + WRITE),
            idempotency=Table(READ + WRITE),
            rankings=Table(READ),
            # 约谈 records: coordinators record them, units report through their desk.
            talks=Table(READ + WRITE, ("by-unit",)),
            hotspot_warnings=Table(("Query",)),  # 舆情预警: the console's list
            showcase=Table(READ + WRITE + DELETE, ("on-the-wall",)),
            # 监督评议 (§16): written by supervisors, moderated by coordinators, read by case pages.
            reviews=Table(READ + WRITE, ("by-author", "by-state")),
            access_log=Table(READ + WRITE),
            rate_limits=Table(READ + WRITE),
            supports=Table(READ + WRITE, ("hot",)),
            support_marks=Table(READ + WRITE),
            uploads=Table(READ + WRITE),
            similar=Table(READ + WRITE),
            # 关注: follow requests, confirmations, unsubscribes; a transition asks whether the
            # case has followers (one Query) before it writes their fan-out message.
            followers=Table(READ + WRITE + ("DeleteItem",)),
            # 知识库 (§16): entries and their change records (one transaction), templates.
            knowledge=Table(READ + WRITE),
        ),
        send_email=False,
        exports=("s3:PutObject", "s3:GetObject"),
        # A presigned POST is authorised as the role that signed it: the browser's upload; so
        # is a presigned GET: a staff member's download of a mailed case's file.
        media=(("uploads/", ("s3:PutObject",)), ("files/", ("s3:GetObject",))),
        # The staff second factor (§17): a secret sealed at enrolment, opened per code. No
        # other function may use the key.
        totp_key=("kms:Encrypt", "kms:Decrypt"),
        # Single sign-on (§17): the client secret the token endpoint authenticates it by.
        oidc_client_secret=True,
    ),
    # Photo processing (S3 event): read the upload, write its versions, mark the slot and
    # the case it is attached to.
    "process_upload": Access(
        tables={
            "uploads": Table(("GetItem", "UpdateItem")),
            "cases": Table(("GetItem", "UpdateItem")),
        },
        media=(
            ("uploads/", ("s3:GetObject", "s3:DeleteObject")),
            ("processed/", ("s3:PutObject",)),
        ),
    ),
    # 市长信箱 by e-mail (S3 event on inbound/ses/): a message becomes a case in the submission's
    # transaction (its photos through the same processing as an upload, its other files kept
    # under files/), or joins the case it answers (补充材料, or a staff note).
    "receive_mail": Access(
        tables=_MAIL_INTAKE, media=(("inbound/", ("s3:GetObject",)), *_MAIL_MEDIA)
    ),
    # 市长信箱 by IMAP (where SES receiving is absent): each unread message stored under
    # inbound/imap/ and processed by the same intake in the same function. Its password's
    # secret (WZ_IMAP_PASSWORD_SECRET) is granted by the template with the IMAP parameters.
    "poll-mailbox": Access(
        tables=_MAIL_INTAKE, media=(("inbound/imap/", ("s3:PutObject",)), *_MAIL_MEDIA)
    ),
    # Delivery, and the expansion of a fan-out into its followers' e-mails (each with its
    # unsubscribe link).
    "outbox": Access(
        tables={
            "outbox": Table(READ + WRITE, ("due",)),
            "followers": Table(("Query",)),
            "tokens": Table(("PutItem",)),
        },
        send_email=True,
        send_sms=True,
        # Where SES and SNS SMS are absent (China regions): the SMS provider's and the SMTP
        # server's credentials.
        secrets=("sms", "smtp"),
    ),
    "ses_events": Access(
        tables={
            "outbox": Table(READ + WRITE),
            "departments": Table(READ + WRITE + SCAN),
            "staff": _REFERENCE,
            # A follower whose address bounces for good or complains is removed (关注).
            "followers": Table(("DeleteItem",)),
        }
    ),
    # 送达回执 of a domestic SMS provider: the sent SMS awaiting one (a Query of the sparse
    # receipts index), each read and updated as its receipt comes in. The provider's
    # credentials are a Secrets Manager secret (the template grants it where one is set).
    "sms-receipts": Access(
        tables={
            "outbox": Table(("GetItem", "Query", "UpdateItem"), ("receipts",)),
        },
        secrets=("sms",),
    ),
    "sla-sweep": Access(
        tables={
            "cases": Table(READ + WRITE, ("sla-due",)),
            "events": Table(WRITE),
            "tokens": Table(WRITE),
            "outbox": Table(WRITE),
            "departments": _REFERENCE,
            "staff": _REFERENCE,
            "settings": _SETTINGS,
        }
    ),
    "auto-close": Access(
        tables={
            **{k: v for k, v in _COMMIT.items() if k != "staff"},
            "cases": Table(READ + WRITE, ("rating-due", "followup-due")),
            "events": Table(WRITE),
            "followers": Table(("Query",)),  # a closing tells the case's followers
        }
    ),
    "digest": Access(
        tables={
            "cases": Table(READ, ("queue-due",)),
            "counters": Table(("GetItem", *WRITE)),
            "tokens": Table(WRITE),
            "outbox": Table(WRITE),
            "departments": _REFERENCE,
            "settings": _SETTINGS,
        }
    ),
    # 每周工作台: each unit's open cases (one Query of the desk index per unit and one of its
    # co-handling entries, then a BatchGetItem of each's cases), its desk record read and written
    # with the new link, the e-mail and the week's markers.
    "desk-weekly": Access(
        tables={
            "cases": Table(("Query", "BatchGetItem"), ("desk",)),
            "co-handling": Table(("Query",)),
            "counters": Table(("GetItem", *WRITE)),
            "tokens": Table(("GetItem", *WRITE)),
            "outbox": Table(WRITE),
            "departments": _REFERENCE,
            "settings": _SETTINGS,
        }
    ),
    # Freezing the month, then its 通报: the cases received (a COUNT Query), the 约谈 records,
    # the 回音壁, and the Word file into the export bucket.
    "rankings": Access(
        tables={
            "tallies": Table(READ),
            "rankings": Table(READ + WRITE),
            "departments": _REFERENCE,
            "settings": _SETTINGS,
            "daily-tallies": Table(("Query",)),  # the 通报's cases received: the month's intake
            "talks": Table(("Query",)),
            "showcase": Table(("Query",), ("on-the-wall",)),
            "hotspot-warnings": Table(("Query",)),  # the 通报's hotspots of the month
        },
        exports=("s3:PutObject",),
    ),
    # 舆情: the cases new since its cursor (a range of queue-created, both buckets, then their
    # texts by id; the cases behind a burst: the day's, of its district), the day × place term
    # tallies and the cursor, the warnings with their e-mails (one transaction), the
    # coordinators' addresses.
    "hotspots": Access(
        tables={
            "cases": Table(("Query", "BatchGetItem"), ("queue-created",)),
            "term-tallies": Table(("GetItem", "BatchGetItem", "PutItem")),
            "hotspot-warnings": Table(("Query", "PutItem")),
            "outbox": Table(("PutItem",)),
            "departments": _REFERENCE,
            "staff": _REFERENCE,
            "settings": _SETTINGS,
        }
    ),
    # Archiving is a transition (state counters move); anonymising only appends an event.
    # Both remove the case's followers (关注): archiving as the rule, retention as the net.
    "archive": Access(
        tables={
            "cases": Table(READ + WRITE, ("retire-due",)),
            "events": Table(WRITE),
            "counters": Table(WRITE),
            "settings": _SETTINGS,
            "followers": Table(("Query", *DELETE)),
        }
    ),
    # Retention also deletes a mailed case's files and its stored messages (市长信箱).
    "retention": Access(
        tables={
            "cases": Table(READ + WRITE, ("retire-due",)),
            "events": Table(WRITE),
            "settings": _SETTINGS,
            "followers": Table(("Query", *DELETE)),
        },
        media=(("files/", ("s3:DeleteObject",)), ("inbound/", ("s3:DeleteObject",))),
    ),
}
