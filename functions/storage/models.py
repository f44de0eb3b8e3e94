"""PynamoDB models: the tables, their keys and indexes, designed from the access patterns of
§5. Table names and timeouts come from settings, read once at import (set the environment
before importing this module)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model

from functions.settings import settings
from functions.storage import deadline

_S = settings()
# Every DynamoDB attempt an HTTP request makes ends before its deadline (functions/storage/
# deadline.py): together with the timeouts below, the request answers well inside 29 s.
deadline.watch("dynamodb")


def _one_session() -> Any:
    """One botocore session for every model's connection. PynamoDB makes a session per
    connection, and each new session parses botocore's endpoint and service JSON again: a cold
    Lambda touching 7 tables spent ~1.3 s in that before its first answer, ~0.2 s with one
    session. Client creation from a shared session is not thread-safe (the local stack serves
    on threads), so it is serialised; the clients themselves are thread-safe."""
    import threading

    from botocore.session import Session, get_session
    from pynamodb.connection import base

    lock = threading.Lock()
    shared: list[Session] = []

    class _Serialised(Session):
        def create_client(self, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return super().create_client(*args, **kwargs)

    def session() -> Session:
        with lock:
            if not shared:
                made = get_session()
                made.__class__ = _Serialised
                shared.append(made)
        return shared[0]

    base.get_session = session  # type: ignore[attr-defined]


_one_session()


def _meta(name: str) -> type:
    class Meta:
        table_name = f"{_S.table_prefix}{name}"
        region = _S.region
        billing_mode = "PAY_PER_REQUEST"
        # One attempt ≤ connect + read (deadline.attempt_seconds()); 3 attempts in all. A
        # request's calls together are bounded by its deadline, not by these (PERFORMANCE.md).
        connect_timeout_seconds = deadline.CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = _S.request_timeout_seconds
        max_retry_attempts = 2

    return Meta


def _index_meta(name: str, projection: Any) -> type:
    class Meta:
        index_name = name
        projection = None

    Meta.projection = projection
    return Meta


class _ByCreated(GlobalSecondaryIndex["CaseModel"]):
    """Base for the sparse public-board indexes: one partition value, newest first."""

    created_key = UnicodeAttribute(range_key=True)


# The public board's filters (one of them the index's partition, the others a filter).
BOARD_FILTERS = ("pub_state", "pub_kind", "pub_category", "pub_district", "pub_department")


def _card_projection(*extra: str, keys: tuple[str, ...] = ()) -> IncludeProjection:
    """What a public-board index holds of a case: its card (functions/domain/board_card.py)
    and the filters' attributes, not the whole item (a case written rewrites only the indexes
    whose card or filters changed, at the card's size). DynamoDB allows 100 projected non-key
    attributes over all of a table's indexes; these take 38 (the staff's queue and 督办
    indexes 23 more)."""
    return IncludeProjection(
        ["pub_card", *extra, *(name for name in BOARD_FILTERS if name not in keys)]
    )


def _board_index(attribute: str) -> type[_ByCreated]:
    name = f"board-{attribute.removeprefix('pub_')}"
    return type(
        f"Board_{attribute}",
        (_ByCreated,),
        {
            "Meta": _index_meta(name, _card_projection(keys=(attribute,))),
            attribute: UnicodeAttribute(hash_key=True),
            "created_key": UnicodeAttribute(range_key=True),
        },
    )


BoardAll = _board_index("pub_all")
BoardState = _board_index("pub_state")
BoardKind = _board_index("pub_kind")
BoardCategory = _board_index("pub_category")
BoardDistrict = _board_index("pub_district")
BoardDepartment = _board_index("pub_department")


# What the staff's queue indexes hold of a case besides the keys: the attributes the queue's
# filters ask about (functions/storage/cases_repo.py ``queue``; ``district`` also for the 舆情
# job's cases behind a warning), not the case. A page's cases are read by id in the index's
# order (functions/storage/paging.py): a write of a case rewrites an entry only when one of
# these (or a key) changed, at the entry's size, not the case's.
QUEUE_FILTERS = (
    "state",
    "kind",
    "category",
    "district",
    "lead_id",
    "pending",
    "attention",
    "holder",
    "merged_complaints",
)


class QueueByCreated(GlobalSecondaryIndex["CaseModel"]):
    """The coordinator's queue: every case, by bucket (open / done), newest first."""

    Meta = _index_meta("queue-created", IncludeProjection(list(QUEUE_FILTERS)))
    queue = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class QueueByDue(GlobalSecondaryIndex["CaseModel"]):
    """The same queue ordered by the earliest running deadline (``~`` when none runs); the
    digest's open work by department (its filter adds ``escalated``)."""

    Meta = _index_meta("queue-due", IncludeProjection([*QUEUE_FILTERS, "escalated"]))
    queue = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class ByLead(GlobalSecondaryIndex["CaseModel"]):
    """A department's cases as lead, newest first."""

    Meta = _index_meta("by-lead", KeysOnlyProjection())
    lead_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Desk(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: open cases with an assignment, by their lead unit (单位工作台), the nearest
    running deadline first (``~`` when none runs). A unit's desk is one Query of its open
    cases, whatever its history holds. Keys only: the desk reads its cases by id."""

    Meta = _index_meta("desk", KeysOnlyProjection())
    desk_lead = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class ByPhone(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: the cases a phone number gave (我的诉求, §17), by the number's digest
    (``citizen_access.phone_key``), newest first. An anonymised case has no number, and so
    no entry."""

    Meta = _index_meta("by-phone", KeysOnlyProjection())
    phone_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class RatingDue(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: only replied cases awaiting a rating, by when their rating window ends."""

    Meta = _index_meta("rating-due", KeysOnlyProjection())
    rating_shard = UnicodeAttribute(hash_key=True)
    rating_window_key = UnicodeAttribute(range_key=True)


class FollowupDue(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: only cases whose 列入计划 reply awaits its follow-up, by the planned date."""

    Meta = _index_meta("followup-due", KeysOnlyProjection())
    followup_shard = UnicodeAttribute(hash_key=True)
    followup_key = UnicodeAttribute(range_key=True)


class SlaDue(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: only cases with a running SLA deadline (a department's, or the platform's own 受理
    deadline), by when the sweep must look at them next."""

    Meta = _index_meta("sla-due", KeysOnlyProjection())
    sla_shard = UnicodeAttribute(hash_key=True)
    next_check_key = UnicodeAttribute(range_key=True)


class Cards(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: the 督办 lists, most overdue first: cases holding a 黄牌 or 红牌 on a deadline still
    running (``yellow`` | ``red``, by that deadline), and cases waiting for 受理 (``triage#<the
    platform holding them>``, by their 受理 deadline: past it, the platform's own delays).
    It holds what the lists filter on (public, lead, holding platform) and the dashboard
    counts by (lead, district), not the case: the lists read their cases by id."""

    Meta = _index_meta("cards", IncludeProjection(["pub_all", "lead_id", "holder", "district"]))
    card = UnicodeAttribute(hash_key=True)
    card_key = UnicodeAttribute(range_key=True)


class Unsatisfied(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: public cases whose latest rating is 不满意 (the 不满意专区), by when that rating
    was given, newest first."""

    Meta = _index_meta("unsatisfied", _card_projection("pub_rounds"))
    pub_unsatisfied = UnicodeAttribute(hash_key=True)
    unsatisfied_key = UnicodeAttribute(range_key=True)


class RetireDue(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: closed cases waiting to be archived (``archive#<shard>``, by closed time) and
    archived cases whose contact data still exists (``anonymise#<shard>``, by archived time);
    the archive and retention jobs read only what has come due."""

    Meta = _index_meta("retire-due", KeysOnlyProjection())
    retire_shard = UnicodeAttribute(hash_key=True)
    retire_key = UnicodeAttribute(range_key=True)


# What the auditors' filter reads of a case beyond an index's keys (functions/storage/
# archive_repo.py ``_condition``): an audit index finds WHICH cases, in order; a page's cases
# are read by id (BatchGetItem). A case written after it is closed (archived, anonymised)
# rewrites no audit entry unless one of these changed. ``district`` only where it is not in
# the partition: the department's index (a department and a district together). The three
# take 22 of the table's 100 projected non-key attributes.
AUDIT_FILTERS = (
    "kind",
    "category",
    "state",
    "breaches",
    "extensions_used",
    "reopen_count",
    "rating",
)


def _audit_index(attribute: str, name: str, doc: str, *extra: str) -> type[_ByCreated]:
    return type(
        f"Audit_{attribute}",
        (_ByCreated,),
        {
            "__doc__": doc,
            "Meta": _index_meta(name, IncludeProjection([*AUDIT_FILTERS, *extra])),
            attribute: UnicodeAttribute(hash_key=True),
            "created_key": UnicodeAttribute(range_key=True),
        },
    )


# The archive (§5): closed and archived cases by the month they were submitted (Shanghai),
# alone or with their lead department or district, newest first. One department-month is one
# partition: an auditor's query reads that department-month and nothing else.
AuditMonth = _audit_index("audit_month", "audit-month", "Closed/archived cases by YYYY-MM.")
AuditDepartment = _audit_index(
    "audit_department", "audit-department", "… by <lead department>#YYYY-MM.", "district"
)
AuditDistrict = _audit_index("audit_district", "audit-district", "… by <district>#YYYY-MM.")


class CaseModel(Model):
    Meta = _meta("cases")

    case_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()  # "<created ISO>#<case_id>": newest-first ordering
    state = UnicodeAttribute()
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    district = UnicodeAttribute()
    channel = UnicodeAttribute()
    urgency = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    content = UnicodeAttribute()
    contact: MapAttribute[str, Any] = MapAttribute()
    consent_public = BooleanAttribute()
    approved_public = BooleanAttribute(default=False)
    tracking_hash = UnicodeAttribute()
    assignment: MapAttribute[str, Any] = MapAttribute(null=True)
    pending: MapAttribute[str, Any] = MapAttribute(null=True)
    rejection: MapAttribute[str, Any] = MapAttribute(null=True)
    replies: ListAttribute[Any] = ListAttribute(default=list)
    public_version: MapAttribute[str, Any] = MapAttribute(null=True)  # 公开版本, scrubbed
    info_requests: ListAttribute[Any] = ListAttribute(default=list)  # 补充材料
    location: MapAttribute[str, Any] = MapAttribute(null=True)  # {address, lat, lng} (WGS-84)
    district_source = UnicodeAttribute(null=True)  # point | address | citizen
    district_claimed = UnicodeAttribute(null=True)  # the citizen's choice the place contradicts
    media_link = UnicodeAttribute(null=True)  # Open311 media_url, shown to staff, never fetched
    photos: ListAttribute[Any] = ListAttribute(default=list)  # functions/domain/photos.py
    files: ListAttribute[Any] = ListAttribute(null=True)  # a mailed case's files, staff only
    mail_messages: ListAttribute[Any] = ListAttribute(null=True)  # its stored raw messages
    attention: MapAttribute[str, Any] = MapAttribute(null=True)  # 群众关注 (domain.support)
    triage: MapAttribute[str, Any] = MapAttribute(null=True)  # 受理时限 (domain.cases.Triage)
    merged: MapAttribute[str, Any] = MapAttribute(null=True)  # 并件: {into, left, at}
    merged_cases: ListAttribute[Any] = ListAttribute(default=list)  # the primary's duplicates
    # 1+8+N (§15): the platform holding the case, and the city's hand-off to a county. The
    # county's queue is the coordinator's queue filtered by ``holder`` (no index of its own:
    # the table's 20 secondary indexes are nearly all taken).
    holder = UnicodeAttribute(default="city")
    handoff: MapAttribute[str, Any] = MapAttribute(null=True)
    # 答复审核: the lead's draft reply under the platform's review, or the note returning it
    reply_review: MapAttribute[str, Any] = MapAttribute(null=True)
    # 并件不满意: flags for the coordinator; absent while there are none (the queue's filter)
    merged_complaints: ListAttribute[Any] = ListAttribute(null=True)
    extensions_used = NumberAttribute(default=0)
    reopen_count = NumberAttribute(default=0)
    escalated = BooleanAttribute(default=False)
    rating_window_ends_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute()
    event_count = NumberAttribute()
    # The audit record: deadlines ever overrun, the chain's head, the contact reference salt.
    breaches: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    head_hash = UnicodeAttribute()
    contact_salt = UnicodeAttribute(null=True)
    archived_at = UTCDateTimeAttribute(null=True)
    anonymised_at = UTCDateTimeAttribute(null=True)
    rating = UnicodeAttribute(null=True)  # the last reply's rating, for the auditors' filter
    open311_client = UnicodeAttribute(null=True)  # fingerprint of the filing Open311 api_key

    # Index keys, derived from the case on every write; absent ones keep indexes sparse.
    pub_all = UnicodeAttribute(null=True)
    pub_state = UnicodeAttribute(null=True)
    pub_kind = UnicodeAttribute(null=True)
    pub_category = UnicodeAttribute(null=True)
    pub_district = UnicodeAttribute(null=True)
    pub_department = UnicodeAttribute(null=True)
    queue = UnicodeAttribute()
    due_key = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    desk_lead = UnicodeAttribute(null=True)  # the lead of an open case (functions/domain/desk.py)
    phone_key = UnicodeAttribute(null=True)  # the contact number's digest (我的诉求)
    rating_shard = UnicodeAttribute(null=True)
    rating_window_key = UnicodeAttribute(null=True)
    followup_shard = UnicodeAttribute(null=True)
    followup_key = UnicodeAttribute(null=True)  # the planned date, YYYY-MM-DD (Shanghai)
    sla_shard = UnicodeAttribute(null=True)
    next_check_key = UnicodeAttribute(null=True)
    card = UnicodeAttribute(null=True)
    card_key = UnicodeAttribute(null=True)
    retire_shard = UnicodeAttribute(null=True)
    retire_key = UnicodeAttribute(null=True)
    audit_month = UnicodeAttribute(null=True)
    audit_department = UnicodeAttribute(null=True)
    audit_district = UnicodeAttribute(null=True)
    pub_unsatisfied = UnicodeAttribute(null=True)
    unsatisfied_key = UnicodeAttribute(null=True)  # "<rated ISO>#<case_id>"
    # The board card of a public case (compact JSON, functions/domain/board_card.py), and the
    # 不满意专区's rounds of a case in it: what the public-board indexes hold of the case.
    pub_card = UnicodeAttribute(null=True)
    pub_rounds = UnicodeAttribute(null=True)

    board_all = BoardAll()
    board_state = BoardState()
    board_kind = BoardKind()
    board_category = BoardCategory()
    board_district = BoardDistrict()
    board_department = BoardDepartment()
    queue_created = QueueByCreated()
    queue_due = QueueByDue()
    by_lead = ByLead()
    desk = Desk()
    by_phone = ByPhone()
    rating_due = RatingDue()
    followup_due = FollowupDue()
    sla_due = SlaDue()
    cards = Cards()
    retire_due = RetireDue()
    by_audit_month = AuditMonth()
    by_audit_department = AuditDepartment()
    by_audit_district = AuditDistrict()
    unsatisfied = Unsatisfied()


class EventModel(Model):
    """A case's timeline: one item per event, in order."""

    Meta = _meta("events")

    case_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute(default="")
    from_state = UnicodeAttribute(null=True)
    to_state = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    public = BooleanAttribute()
    data: MapAttribute[str, Any] = MapAttribute(default=dict)
    # functions/domain/integrity.py: SHA-256 of this event's canonical JSON, and the previous
    # event's (the genesis for the first).
    hash = UnicodeAttribute()
    prev_hash = UnicodeAttribute()


class AccessLogModel(Model):
    """Who read the archive: every auditor query, case view, verification and export, with
    its filter. Written before the answer goes out; never updated or deleted by the app."""

    Meta = _meta("access-log")

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM (Shanghai)
    entry_key = UnicodeAttribute(range_key=True)  # "<ISO instant>#<random>": in time order
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()  # staff email
    role = UnicodeAttribute()
    action = UnicodeAttribute()  # "search" | "case" | "verify" | "export" | "export-verify" …
    target = UnicodeAttribute(default="")  # case id or export id
    filter = UnicodeAttribute(default="{}")  # the query's filter as JSON
    count = NumberAttribute(null=True)  # how many cases the answer held


class TokenModel(Model):
    """Magic links, staff sign-in links and staff sessions, keyed by the SHA-256 of the token;
    the token itself is never stored."""

    Meta = _meta("tokens")

    token_hash = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()  # "link" | "signin" | "session" | "desk" | "desk-unit" | …
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    case_id = UnicodeAttribute(null=True)
    department_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    assignment_no = NumberAttribute(null=True)
    email = UnicodeAttribute(null=True)
    used_at = UTCDateTimeAttribute(null=True)
    used_by = UnicodeAttribute(null=True)  # the nonce of the use that consumed it
    last_seen_at = UTCDateTimeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    # 关注 (functions/domain/following.py): the follower a confirmation or unsubscribe link is
    # for (its key in the followers table), and how the follow came (public | own). A
    # confirmation link also holds the address it confirms (``email``) until it expires.
    follower = UnicodeAttribute(null=True)
    via = UnicodeAttribute(null=True)
    # 单位工作台 (functions/storage/desks.py): a unit's desk record (key ``desk#<unit id>``,
    # purpose ``desk-unit``) names the digest of its one live desk link, and who revoked the
    # unit's desk links last, when.
    current = UnicodeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    # 我的诉求 (functions/storage/citizen_access.py): a sign-in code's record (key
    # ``otp#<phone key>``, its digest in ``current``, the wrong answers it still takes in
    # ``tries``) and a citizen session (the phone key it was opened for).
    tries = NumberAttribute(null=True)
    phone_key = UnicodeAttribute(null=True)
    # Staff single sign-on (functions/services/staff_oidc.py): a sign-in's ``state`` record
    # (purpose ``oidc-state``, ten minutes, used once) keeps its PKCE verifier and nonce.
    code_verifier = UnicodeAttribute(null=True)
    nonce = UnicodeAttribute(null=True)


class IdempotencyModel(Model):
    """One submission, or one staff or department action, per client key: a retried POST
    returns the first answer."""

    Meta = _meta("idempotency")

    key_hash = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    # "pending" while the first request runs (functions/storage/idempotency.py), then "done";
    # older records have no state and are done.
    state = UnicodeAttribute(null=True)
    held_until = UTCDateTimeAttribute(null=True)  # a pending claim stands until then
    case_id = UnicodeAttribute(null=True)
    tracking_code = UnicodeAttribute(null=True)  # kept for 24 h so a retry can show it again
    # An action's answer (zlib-compressed JSON), kept for 24 h for its retry; "applied" while
    # the change is stored and its answer not yet.
    answer = BinaryAttribute(null=True, legacy_encoding=False)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class RateLimitModel(Model):
    """One fixed-window counter per (limit, hashed subject, window start), bumped by atomic ADD
    (functions/storage/rate_limits.py); the subject itself is never stored. Expires by TTL."""

    Meta = _meta("rate-limits")

    key = UnicodeAttribute(hash_key=True)  # <limit>#<sha256(subject)>#<window start>
    n = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class HotCases(GlobalSecondaryIndex["SupportShardModel"]):
    """Sparse: 热议, the cases with supports by their count as of its last step, most first.
    Only the tally items (shard ``TALLY``) carry ``hot``."""

    Meta = _index_meta("hot", AllProjection())
    hot = UnicodeAttribute(hash_key=True)
    hot_key = UnicodeAttribute(range_key=True)


class SupportShardModel(Model):
    """附议 ("me too") counts: one case's count is the sum of its shard items (0..N-1), each
    bumped by atomic ADD on a shard drawn at random, so a viral case's writes spread over N
    items instead of queueing on one (§5). The case item itself is never written by a
    support. The count is one Query of the case's shards; the public case page reads shards
    0..N-1 in the BatchGetItem that reads the case (``supports_repo.case_and_count``).

    A shard also counts per Shanghai day, in one attribute per day (``d<YYYYMMDD>``, added in
    the same update): the supports of the last days are the sum over the N shards read back,
    with no mark ever read. One more item per case, the tally (shard ``-1``), holds the count
    as of its last step (``functions/domain/support.py`` ``step``) and, through ``hot`` and
    ``hot_key``, the case's place in the 热议 index."""

    Meta = _meta("supports")

    case_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    n = NumberAttribute(default=0)
    total = NumberAttribute(null=True)  # the tally only: the count at its last step
    hot = UnicodeAttribute(null=True)  # the tally only: "1"
    hot_key = UnicodeAttribute(null=True)  # the tally only: "<total, 10 digits>#<case_id>"

    hot_cases = HotCases()


class SupportMarkModel(Model):
    """One support per client, case and day: keyed by sha256(case, client, day), put
    conditionally in the same transaction as the shard's ADD; neither the client's address
    nor the case id is stored. Expires by TTL."""

    Meta = _meta("support-marks")

    mark = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute()


# What the ``due`` index holds of a message besides its keys: what the outbox job needs to
# choose a message and lease it (its channel, for a throttled provider; its attempts, the
# lease's condition), and what names it in a log line or a dead letter (its template, its
# creation instant). Not the message: the lease's update answers the whole item
# (outbox_repo ``lease``), so an entry is a few hundred bytes, written when the message is
# made and deleted when it is done with, and the lease (``lease_until``) does not touch it.
DUE_PROJECTION = ("channel", "attempts", "template", "created_at")


class DueMessages(GlobalSecondaryIndex["OutboxModel"]):
    """Sparse: only undelivered messages carry ``due_shard``."""

    Meta = _index_meta("due", IncludeProjection(list(DUE_PROJECTION)))
    due_shard = UnicodeAttribute(hash_key=True)
    next_attempt_at = UnicodeAttribute(range_key=True)


class DeadMessages(GlobalSecondaryIndex["OutboxModel"]):
    """Sparse: only dead-lettered messages carry ``dead_shard``, newest first for the
    coordinator's 发送失败 list. Whole messages: the list shows most of one, and an entry is
    written once per dead letter (rare), so a narrower one would save nothing worth a read."""

    Meta = _index_meta("dead", AllProjection())
    dead_shard = UnicodeAttribute(hash_key=True)
    dead_key = UnicodeAttribute(range_key=True)


class AwaitingReceipt(GlobalSecondaryIndex["OutboxModel"]):
    """Sparse: only SMS sent through a domestic provider carry ``receipt_shard`` until its
    delivery receipt (送达回执) is recorded or stops being looked for; oldest first. Whole
    messages: an SMS is a small item (its text at most 70 characters), written here once, so
    a narrower entry would save next to nothing."""

    Meta = _index_meta("receipts", AllProjection())
    receipt_shard = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)


class OutboxModel(Model):
    """Notifications written in the same transaction as the change they report, then
    delivered (at least once) by the outbox job, with retries and a dead-letter state."""

    Meta = _meta("outbox")

    message_id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()  # "email" | "sms"
    recipient = UnicodeAttribute()
    subject = UnicodeAttribute(default="")
    body = UnicodeAttribute()
    # The links the platform put in ``body``: the only ones the HTML part makes clickable.
    links: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    case_id = UnicodeAttribute(null=True)
    template = UnicodeAttribute()
    # "pending" | "sent" | "delivered" (a provider's receipt) | "dead" | "bounced" | "complained"
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    next_attempt_at = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    # The machine's time of sending, never the shifted platform clock: the order messages
    # were really sent in (the dev outbox), wherever the clock was moved to try a date.
    sent_machine_at = UTCDateTimeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    dead_shard = UnicodeAttribute(null=True)  # "dead" while dead-lettered, else absent
    dead_key = UnicodeAttribute(null=True)  # created ISO: newest dead letters first
    # Extra mail headers (a follower message's List-Unsubscribe and List-Unsubscribe-Post).
    headers: MapAttribute[str, Any] = MapAttribute(null=True)
    # A fan-out (channel "fanout": one notice to a case's followers, expanded by the outbox
    # job): the key of the last follower a message was made for, and how many were made.
    cursor = UnicodeAttribute(null=True)
    fanned = NumberAttribute(null=True)
    # An SMS: its kind (templates.SMS_TEMPLATES) and parameters, which a domestic provider
    # sends as the approved template (国内短信: template + parameters + signature, no free text).
    sms_kind = UnicodeAttribute(null=True)
    sms_params: MapAttribute[str, Any] = MapAttribute(null=True)
    # Sent through a provider that reports delivery later: "sms" until the receipt is in
    # (the ``receipts`` index), and the sent instant (ISO), oldest looked for first.
    receipt_shard = UnicodeAttribute(null=True)
    receipt_key = UnicodeAttribute(null=True)
    # Set when the message is done with (sent, expanded): DynamoDB deletes it after
    # ``outbox_repo.KEPT_AFTER_SENDING``. A dead letter has none: it waits for a person.
    expires_at = TTLAttribute(null=True)

    due = DueMessages()
    dead = DeadMessages()
    receipts = AwaitingReceipt()


class FollowerModel(Model):
    """关注: one confirmed follower of a case, keyed by the case and the SHA-256 of the case
    and the address (functions/domain/following.py ``follower_key``). A case's followers are
    one Query; the address is personal data, read only to send the case's notices, never
    shown, and removed with the case's archiving (and, as a net, by retention)."""

    Meta = _meta("followers")

    case_id = UnicodeAttribute(hash_key=True)
    follower = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()
    via = UnicodeAttribute()  # public | own
    confirmed_at = UTCDateTimeAttribute()


class DepartmentModel(Model):
    Meta = _meta("departments")

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    district = UnicodeAttribute()
    categories: ListAttribute[str] = ListAttribute(default=list)
    handler: MapAttribute[str, Any] = MapAttribute(default=dict)
    spokesperson: MapAttribute[str, Any] = MapAttribute(default=dict)
    leader: MapAttribute[str, Any] = MapAttribute(default=dict)
    active = BooleanAttribute(default=True)
    # Contact addresses SES reported as bounced or complained: {email: ISO instant}.
    unreachable: MapAttribute[str, Any] = MapAttribute(default=dict)
    # 1+8+N (§15): a handling unit (``unit``) or a county platform (``county``: 分平台, with
    # the districts it covers and who triages their new cases); a unit's platform (``parent``,
    # absent: the county platform covering its district, else the city's).
    level = UnicodeAttribute(default="unit")
    kind = UnicodeAttribute(default="department")  # department | town (乡镇/街道) | enterprise
    parent = UnicodeAttribute(null=True)
    districts: ListAttribute[str] = ListAttribute(default=list)
    triage = UnicodeAttribute(null=True)  # a county platform's: county_triage | city_triage
    city_categories: ListAttribute[str] = ListAttribute(default=list)


class StaffModel(Model):
    Meta = _meta("staff")

    email = UnicodeAttribute(hash_key=True)
    role = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    active = BooleanAttribute(default=True)
    county = UnicodeAttribute(null=True)  # a county coordinator's platform (§15)
    # A supervisor's public title (e.g. "市人大代表 张建国") and kind (§16); no other role's.
    title = UnicodeAttribute(null=True)
    supervisor_kind = UnicodeAttribute(null=True)
    # The second factor (functions/storage/second_factor.py, §17): the TOTP secret once a
    # first code confirmed it (sealed by the deployment's KMS key and bound to this account:
    # functions/storage/factor_key.py; one stored in the clear before sealing existed is
    # sealed at its next sign-in; never answered by any route), the one shown for enrolment
    # until then (sealed too), the digests of the
    # unused recovery codes, the last time step a code was accepted for (a code is good
    # once), wrong answers in a row and the lock they set. The directory's own writes
    # (functions/storage/directory_admin.py) update the account's fields and leave these.
    totp_secret = UnicodeAttribute(null=True)
    totp_pending = UnicodeAttribute(null=True)
    totp_recovery = UnicodeSetAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)
    totp_failures = NumberAttribute(null=True)
    totp_locked_until = UTCDateTimeAttribute(null=True)
    totp_enrolled_at = UTCDateTimeAttribute(null=True)


class DirectoryChangeModel(Model):
    """Every change to the directory (units and staff accounts, §15): who, when, what it was
    and what it became. Written in the same transaction as the change; never updated or
    deleted by the app. One partition (``log`` = "directory"): changes are rare (an admin's
    hand), read newest first by auditors."""

    Meta = _meta("directory-changes")

    log = UnicodeAttribute(hash_key=True)  # "directory"
    entry_key = UnicodeAttribute(range_key=True)  # "<ISO instant>#<random>": in time order
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()  # the admin's email
    action = UnicodeAttribute()  # unit.create | unit.update | unit.disable | staff.create …
    target = UnicodeAttribute()  # the unit id or the staff email
    before = UnicodeAttribute(default="null")  # JSON: the item before (null: created)
    after = UnicodeAttribute(default="null")  # JSON: the item after


class CounterModel(Model):
    """Counters kept with each transition by atomic ADD, one item per counter
    (``state#<state>``: cases in that state)."""

    Meta = _meta("counters")

    key = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(default=0)


class _TallyCounts:
    """The 亮晒比 counters (functions/domain/rankings.py ``Tally``), shared by the unit-month
    totals and the per-case items they are the sum of."""

    assigned = NumberAttribute(default=0)
    signed = NumberAttribute(default=0)
    signed_on_time = NumberAttribute(default=0)
    replied = NumberAttribute(default=0)
    replied_on_time = NumberAttribute(default=0)
    reply_days = NumberAttribute(default=0)
    closed = NumberAttribute(default=0)
    rated = NumberAttribute(default=0)
    satisfied = NumberAttribute(default=0)
    reopened = NumberAttribute(default=0)
    returned = NumberAttribute(default=0)


class TallyModel(_TallyCounts, Model):
    """亮晒比 counters of one unit's cohort month, added in the transaction of each
    transition; a month's ranking is one query of its units."""

    Meta = _meta("tallies")

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM
    unit = UnicodeAttribute(range_key=True)  # department id


class CohortCaseModel(_TallyCounts, Model):
    """One case's share of a unit-month's counters, added in the same transaction: what a
    ranking's numbers drill down to (the cases behind each figure)."""

    Meta = _meta("cohort-cases")

    cohort = UnicodeAttribute(hash_key=True)  # <unit>#<YYYY-MM>
    case_id = UnicodeAttribute(range_key=True)


class CoHandlingModel(Model):
    """单位工作台: an open case a unit co-handles (协办), one item per unit and case, written and
    removed in the transaction that changes the case's co-handlers (functions/storage/
    case_commit.py); a unit's desk reads its co-handled cases with one Query of its key. (The
    cases it leads are the sparse ``desk`` index: an item has one lead, but any co-handlers.)"""

    Meta = _meta("co-handling")

    unit_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)


class DailyTallyModel(Model):
    """领导驾驶舱 (§16): one (Shanghai day, district)'s counts of the daily series
    (functions/domain/dashboard.py: ``intake``, ``channel:web``, ``replied_on_time`` …; the
    attribute names are the series', added by ADD in each transition's own transaction). A
    month is one partition: a year of the city's series is 12 Queries, whatever the number
    of cases. Read raw (the series are open-ended: the deployment's categories)."""

    Meta = _meta("daily-tallies")

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM
    day_district = UnicodeAttribute(range_key=True)  # YYYY-MM-DD#<district>


class DailyCaseModel(Model):
    """A case counted in one family of the daily series on one day (``<day>#<family>``:
    intake, replied, closed, reopened), written with the tallies: what a dashboard figure
    drills down to. ``series``: the series of the family it adds to."""

    Meta = _meta("daily-cases")

    day_family = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD#<family>
    case_id = UnicodeAttribute(range_key=True)
    district = UnicodeAttribute()
    series = UnicodeSetAttribute()


class RankingModel(Model):
    """A month's ranking as published: frozen by the ``rankings`` job on the 1st."""

    Meta = _meta("rankings")

    month = UnicodeAttribute(hash_key=True)
    frozen_at = UnicodeAttribute()
    document = UnicodeAttribute()  # the ranking document as JSON


class TalksByUnit(GlobalSecondaryIndex["TalkModel"]):
    """A unit's 约谈 records, newest flag month first: its desk reads them with one Query."""

    Meta = _index_meta("by-unit", AllProjection())
    unit = UnicodeAttribute(hash_key=True)
    month = UnicodeAttribute(range_key=True)


class TalkModel(Model):
    """约谈 records (§16): one per unit and the ranking month whose flag (bottom three two
    months running) called for it; the record, its rectification and every change to it
    (who, when) are one JSON document (functions/domain/talks.py), written on its version."""

    Meta = _meta("talks")

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM: the frozen ranking that flagged the unit
    unit = UnicodeAttribute(range_key=True)  # a unit's id, or a county's in the city ranking
    version = NumberAttribute()
    document = UnicodeAttribute()  # the record as JSON

    by_unit = TalksByUnit()


class SettingModel(Model):
    """Deployment settings as JSON documents: ``taxonomy``, ``calendar``, ``sla-policy``,
    ``support-thresholds`` …"""

    Meta = _meta("settings")

    name = UnicodeAttribute(hash_key=True)
    value: MapAttribute[str, Any] = MapAttribute()


class OnTheWall(GlobalSecondaryIndex["ShowcaseModel"]):
    """Sparse: only cases on the 回音壁 now, newest featured first, one Query per page."""

    Meta = _index_meta("on-the-wall", AllProjection())
    wall = UnicodeAttribute(hash_key=True)
    featured_key = UnicodeAttribute(range_key=True)


class ShowcaseModel(Model):
    """回音壁: one item per case a coordinator featured, keyed by the case. What the page shows
    is a snapshot taken when featuring (a closed case no longer changes), so the public list
    is one Query of ``on-the-wall``; unfeaturing drops ``wall`` and ``featured_key`` and keeps
    the record of who featured and who withdrew it."""

    Meta = _meta("showcase")

    case_id = UnicodeAttribute(hash_key=True)
    wall = UnicodeAttribute(null=True)  # "1" while featured, else absent
    featured_key = UnicodeAttribute(null=True)  # "<featured ISO>#<case_id>" while featured
    summary = UnicodeAttribute()  # the coordinator's editorial summary
    before_after = UnicodeAttribute(null=True)  # 办理前后: optional note
    featured_at = UTCDateTimeAttribute()
    featured_by = UnicodeAttribute()  # staff email
    featured_by_name = UnicodeAttribute(default="")
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    unfeatured_at = UTCDateTimeAttribute(null=True)
    unfeatured_by = UnicodeAttribute(null=True)
    # The snapshot: public, scrubbed text only, never contact data.
    title = UnicodeAttribute()
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    category_label = UnicodeAttribute()
    district = UnicodeAttribute()
    district_label = UnicodeAttribute()
    excerpt = UnicodeAttribute()
    lead: MapAttribute[str, Any] = MapAttribute(null=True)  # {id, name}
    reply: MapAttribute[str, Any] = MapAttribute(null=True)  # {text, outcome, at, planned_date}
    rating = UnicodeAttribute(null=True)  # the citizen's rating as given; absent: 未评价
    rating_comment = UnicodeAttribute(null=True)
    # The coordinator's summary and before/after note as the public reads them: scrubbed with
    # the case's contact names when featured (the names themselves are never stored here).
    public_summary = UnicodeAttribute(null=True)
    public_before_after = UnicodeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)

    on_the_wall = OnTheWall()


class UploadModel(Model):
    """One upload slot (§13): a presigned POST handed to a browser for one photo, until it is
    processed (or rejected) and attached to a case. A slot never attached expires by TTL (and
    its object by the bucket's lifecycle rule)."""

    Meta = _meta("uploads")

    upload_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute()  # uploads/<upload_id>
    content_type = UnicodeAttribute()  # as the browser claimed it: never trusted
    size = NumberAttribute()  # bytes, as claimed; the POST's content-length-range holds it
    created_at = UTCDateTimeAttribute()
    state = UnicodeAttribute()  # pending | processed | rejected
    case_id = UnicodeAttribute(null=True)  # once attached
    display_key = UnicodeAttribute(null=True)
    thumb_key = UnicodeAttribute(null=True)
    width = NumberAttribute(null=True)  # of the display version
    height = NumberAttribute(null=True)
    processed_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it was rejected
    expires_at = TTLAttribute(null=True)  # removed once attached


class SimilarModel(Model):
    """The similar-case index (§14, functions/domain/similarity.py): one item per LSH band
    key of a case's MinHash signature, written in the submission's own transaction. A
    lookup Queries its own keys within one district and the window, newest first, so it
    reads the cases that share a key with it, never the table. Expires by TTL once past the
    window."""

    Meta = _meta("similar")

    key = UnicodeAttribute(hash_key=True)  # <district>|<band key>
    at_case = UnicodeAttribute(range_key=True)  # <created_at ISO>#<case_id>
    # What a comparison needs (similarity.Sketch): the case's characters, sorted, and its
    # point: a lookup scores every candidate without reading a case.
    chars = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    expires_at = TTLAttribute()


class TermTallyModel(Model):
    """舆情 (§16, functions/domain/hotspots.py): one place's terms of one Shanghai day, added by
    the ``hotspots`` job from the cases new since its last run. A place is ``<district>#<category>``
    or ``<district>#*`` (every category); its terms are one JSON object ``{term: reports}``,
    pruned to the most counted (``hotspots.MAX_TERMS_PER_ITEM``), so an item stays small and a
    series' baseline is one BatchGetItem of its place's last 28 days. ``through`` is the last
    case counted (its ``created_key``): a rerun adds no case twice. The job's own position is
    the item (``cursor``, ``hotspots``). Expires by TTL once no baseline needs it."""

    Meta = _meta("term-tallies")

    day = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD (Shanghai), or "cursor"
    place = UnicodeAttribute(range_key=True)  # <district>#<category> | <district>#*
    terms = UnicodeAttribute(default="{}")  # JSON {term: reports saying it}
    reports = NumberAttribute(default=0)  # reports of the place that day
    through = UnicodeAttribute(default="")  # created_key of the last case counted
    expires_at = TTLAttribute(null=True)


class HotspotWarningModel(Model):
    """舆情预警: one burst (functions/domain/hotspots.py), raised once (the put is conditional,
    and a burst that overlaps a warning of its district's day or the day before updates that
    one instead), kept current by later runs of the same day. Few a month: one partition per
    month, by day and district."""

    Meta = _meta("hotspot-warnings")

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM of ``day``
    warning_key = UnicodeAttribute(range_key=True)  # <day>#<district>#<category>#<lead term>
    day = UnicodeAttribute()  # YYYY-MM-DD (Shanghai)
    district = UnicodeAttribute()
    category = UnicodeAttribute()  # a category code, or "*" (several categories)
    terms: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    count = NumberAttribute()  # reports of the day saying the lead term
    baseline = NumberAttribute()  # its daily mean over the baseline days
    p_value = NumberAttribute()
    trend = UnicodeAttribute()  # JSON {"from": day, "counts": [...]} through ``day``
    cases = UnicodeAttribute()  # JSON [{"case_id", "title", "cluster"}] behind it
    raised_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    notified = NumberAttribute(default=0)  # e-mails written when it was raised


class KnowledgeModel(Model):
    """知识库 and reply templates (§16), one table:

    - an entry: ``pk`` "entry", ``sk`` its id, the entry's fields in ``body`` (a map) and its
      ``version`` (the condition of every write). One partition: the whole set (hundreds to a
      few thousand entries) is read by one paged Query, which the service keeps for a minute.
    - a change to an entry: ``pk`` "change#<id>", ``sk`` "<ISO instant>#<version>": who, when,
      the entry before and after (JSON). Written in the change's own transaction, never
      updated or deleted.
    - a unit's reply templates: ``pk`` "templates", ``sk`` the unit id, the list in ``body``.
    """

    Meta = _meta("knowledge")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    body: MapAttribute[str, Any] = MapAttribute(default=dict)
    version = NumberAttribute(default=1)
    at = UTCDateTimeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    before = UnicodeAttribute(null=True)  # a change's JSON
    after = UnicodeAttribute(null=True)


class ReviewsByAuthor(GlobalSecondaryIndex["ReviewModel"]):
    """A supervisor's own reviews, newest first: one Query per page."""

    Meta = _index_meta("by-author", AllProjection())
    author = UnicodeAttribute(hash_key=True)
    written_key = UnicodeAttribute(range_key=True)  # "<written ISO>#<case_id>"


class ReviewsByState(GlobalSecondaryIndex["ReviewModel"]):
    """The moderation lists: reviews in one state (pending first of all) in the order they
    reached it: one Query per page. A handful of reviews a day: one partition per state is
    plenty."""

    Meta = _index_meta("by-state", AllProjection())
    state = UnicodeAttribute(hash_key=True)
    state_key = UnicodeAttribute(range_key=True)  # "<ISO of the last change>#<review_id>"


class ReviewModel(Model):
    """监督评议 (§16, functions/domain/reviews.py): one item per supervisor per case, keyed by
    the case (the public case page reads a case's reviews with one Query) and the review id
    (derived from the case and the author: a second review is the same item). Never written
    with the case: a review is a record beside a finished case, which it does not change."""

    Meta = _meta("reviews")

    case_id = UnicodeAttribute(hash_key=True)
    review_id = UnicodeAttribute(range_key=True)  # "<case_id>-<8 hex>"
    author = UnicodeAttribute()  # the supervisor's e-mail: never public
    title = UnicodeAttribute()  # public, as the account had it when written
    supervisor_kind = UnicodeAttribute()
    case_title = UnicodeAttribute()  # the case's public title when written
    text = UnicodeAttribute()  # as written
    public_text = UnicodeAttribute()  # scrubbed with the case's contact names (§8)
    state = UnicodeAttribute()  # pending | approved | rejected
    state_key = UnicodeAttribute()
    written_key = UnicodeAttribute()
    written_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    moderated_at = UTCDateTimeAttribute(null=True)
    moderated_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)

    by_author = ReviewsByAuthor()
    by_state = ReviewsByState()


ALL_MODELS: tuple[type[Model], ...] = (
    CaseModel,
    EventModel,
    TokenModel,
    IdempotencyModel,
    OutboxModel,
    DepartmentModel,
    StaffModel,
    DirectoryChangeModel,
    CounterModel,
    SettingModel,
    TallyModel,
    CohortCaseModel,
    CoHandlingModel,
    DailyTallyModel,
    DailyCaseModel,
    RankingModel,
    TalkModel,
    ShowcaseModel,
    AccessLogModel,
    SupportShardModel,
    SupportMarkModel,
    RateLimitModel,
    UploadModel,
    SimilarModel,
    FollowerModel,
    TermTallyModel,
    HotspotWarningModel,
    KnowledgeModel,
    ReviewModel,
)


def create_tables() -> None:
    """Create every table that does not exist yet (local stack, tests, first deploy)."""
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
