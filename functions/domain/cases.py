"""The case aggregate and its transitions, as pure functions.

Every function takes the case, the actor, the command's values and ``now``, checks the
lifecycle table and the side-path rules, and returns an ``Outcome``: the new case, the events
to append and the notices to send. Nothing here reads a clock, the environment or storage;
the service layer persists an outcome in one conditional transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from functions.domain.calendar import WorkCalendar, local_date
from functions.domain.digests import GENESIS, case_text_digest, contact_reference, text_digest
from functions.domain.errors import Conflict, Forbidden, Gone, invalid_field
from functions.domain.lifecycle import (
    PUBLIC_EVENTS,
    PUBLISHABLE,
    TRANSITIONS,
    WITH_DEPARTMENT,
    Action,
    EventType,
    Role,
    State,
    allowed,
    check,
)
from functions.domain.policy import Rung, SlaPolicy
from functions.domain.privacy import scrub
from functions.domain.taxonomy import (
    Channel,
    Kind,
    Outcome,
    Rating,
    RejectReason,
    Urgency,
)


@dataclass(frozen=True)
class DepartmentRef:
    id: str
    name: str


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str  # staff email, department id, or "citizen"/"system"
    name: str = ""

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)


CITIZEN = Actor(Role.CITIZEN, "citizen", "留言人")
SYSTEM = Actor(Role.SYSTEM, "system", "系统")


@dataclass
class Contact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class CoHandler:
    department: DepartmentRef
    input_due_at: datetime
    input: str | None = None
    input_at: datetime | None = None


@dataclass
class Assignment:
    no: int  # increments on every (re)assignment and reopen; links are bound to it
    lead: DepartmentRef
    co_handlers: list[CoHandler]
    assigned_at: datetime
    response_due_at: datetime | None  # 签收时限; None once a reopened case is back
    reply_due_at: datetime  # 答复时限
    return_window_ends_at: datetime
    signed_at: datetime | None = None
    provisional: bool = False  # a deadline lies in a year whose calendar is not confirmed
    reply_started_at: datetime | None = None  # a reopen starts a new reply clock
    # The reminder ladder (functions/domain/sla.py): rung codes done per clock, cards per
    # clock, and when the sweep must look at this case next (None: no clock running).
    rungs: dict[str, list[str]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    next_check_at: datetime | None = None

    def co_handler(self, department_id: str) -> CoHandler | None:
        return next((c for c in self.co_handlers if c.department.id == department_id), None)


@dataclass
class PendingRequest:
    type: str  # "return" | "extension"
    department: DepartmentRef
    reason: str
    at: datetime
    working_days: int | None = None


@dataclass
class Reply:
    at: datetime
    department: DepartmentRef
    outcome: Outcome
    text: str
    planned_date: date | None = None
    rating: Rating | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    followup_requested_at: datetime | None = None  # 列入计划: the lead was asked how it went


@dataclass
class PublicVersion:
    """公开版本: the title and text the public reads, as a coordinator edited them (12345
    offices publish an edited text, not the citizen's raw words). Stored already scrubbed;
    the original stays on the case for the department and the auditors."""

    title: str
    content: str
    edited_by: str
    edited_at: datetime


@dataclass
class Rejection:
    reason_code: RejectReason
    reason: str
    duplicate_of: str | None = None


@dataclass
class Case:
    case_id: str
    created_at: datetime
    channel: Channel
    kind: Kind
    category: str
    district: str
    title: str
    content: str
    contact: Contact
    consent_public: bool  # the citizen agreed to publish
    tracking_hash: str
    state: State = State.SUBMITTED
    approved_public: bool = False  # the coordinator agreed to publish
    urgency: Urgency | None = None
    assignment: Assignment | None = None
    pending: PendingRequest | None = None
    extensions_used: int = 0
    replies: list[Reply] = field(default_factory=list)
    reopen_count: int = 0
    escalated: bool = False  # unsatisfied after the last allowed reopen: the coordinator decides
    rejection: Rejection | None = None
    rating_window_ends_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    event_count: int = 0
    # The audit record (§2, §8): which clocks ran past their deadline at any time ("response",
    # "reply"), the hash of the last event (functions/domain/integrity.py), the salt of the
    # contact reference, and when the case was archived and its contact data removed.
    breaches: list[str] = field(default_factory=list)
    head_hash: str = GENESIS
    contact_salt: str | None = None
    archived_at: datetime | None = None
    anonymised_at: datetime | None = None
    public_version: PublicVersion | None = None  # None: the scrubbed original is shown
    # Open311 (开放接口): a fingerprint of the api_key that filed the case, so that client may
    # read back its own request before it is published (functions/services/open311.py).
    open311_client: str | None = None

    @property
    def is_public(self) -> bool:
        return self.consent_public and self.approved_public and self.state in PUBLISHABLE

    @property
    def lead(self) -> DepartmentRef | None:
        return self.assignment.lead if self.assignment else None

    @property
    def contact_names(self) -> tuple[str, ...]:
        """The names the scrubber removes from every public text of this case."""
        return (self.contact.name,) if self.contact.name else ()

    @property
    def last_reply(self) -> Reply | None:
        return self.replies[-1] if self.replies else None

    def running_deadline(self) -> datetime | None:
        """The earliest deadline still running: the one a coordinator sorts the queue by."""
        if self.assignment is None or self.state not in WITH_DEPARTMENT:
            return None
        if self.state == State.ASSIGNED and self.assignment.response_due_at is not None:
            return min(self.assignment.response_due_at, self.assignment.reply_due_at)
        if self.state == State.REOPENED and self.escalated:
            return None
        return self.assignment.reply_due_at


@dataclass(frozen=True)
class Event:
    """One entry of a case's timeline (append-only)."""

    type: EventType
    at: datetime
    actor: Actor
    from_state: State | None
    to_state: State
    note: str = ""
    data: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.type in PUBLIC_EVENTS


@dataclass(frozen=True)
class Notice:
    """A message to send. ``audience`` is "citizen" or "department"; a department notice with
    ``link_role`` carries a fresh magic link for that department in that role."""

    template: str
    audience: str
    department: DepartmentRef | None = None
    link_role: Role | None = None
    rung: Rung | None = None  # audience "ladder": the reminder rung reached
    clock: str | None = None  # … on which clock ("response" | "reply")
    # The receipt only: the tracking code in hand at submission (the case keeps its hash),
    # for the citizen's own phone and e-mail. Never shown in a repr.
    tracking_code: str | None = field(default=None, repr=False)


@dataclass
class TransitionResult:
    """A transition's result, persisted as one conditional transaction."""

    case: Case
    expected_state: State | None
    expected_version: int
    events: list[Event]
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    """What deadline arithmetic needs: the working-day calendar and the SLA policy."""

    calendar: WorkCalendar
    policy: SlaPolicy


def month_key(instant: datetime) -> str:
    """``YYYY-MM`` of an instant in Shanghai: the month a ranking counts it in."""
    day = local_date(instant)
    return f"{day.year:04d}-{day.month:02d}"


def require_writable(case: Case) -> None:
    """An archived case is the auditors' record: nothing changes it any more (410)."""
    if case.state == State.ARCHIVED:
        raise Gone(
            "该诉求已归档，只能查阅，不能再办理、评价或修改",
            "the case is archived and read-only",
            "case_archived",
        )


def _begin(case: Case, action: Action, actor: Actor) -> tuple[Case, State]:
    require_writable(case)
    check(action, case.state, actor.role)
    return copy.deepcopy(case), case.state


RESPONSE = "response"  # the clock from assignment to 签收
REPLY = "reply"  # the clock from assignment (or reopen) to 答复


@dataclass(frozen=True)
class RunningClock:
    name: str
    started_at: datetime
    due_at: datetime


def running_clocks(case: Case) -> list[RunningClock]:
    """The clocks running now: the response clock until 签收, the reply clock until 答复."""
    a = case.assignment
    if a is None or case.state not in WITH_DEPARTMENT:
        return []
    if case.state == State.REOPENED and case.escalated:
        return []  # the coordinator decides now; the department owes nothing
    clocks: list[RunningClock] = []
    if case.state == State.ASSIGNED and a.response_due_at is not None and a.signed_at is None:
        clocks.append(RunningClock(RESPONSE, a.assigned_at, a.response_due_at))
    clocks.append(RunningClock(REPLY, a.reply_started_at or a.assigned_at, a.reply_due_at))
    return clocks


def _overrun(case: Case, now: datetime) -> set[str]:
    """The clocks of ``case`` (as it was before a transition) running past their deadline."""
    return {c.name for c in running_clocks(case) if now > c.due_at}


def _finish(
    old: Case, new: Case, now: datetime, events: list[Event], notices: list[Notice] | None = None
) -> TransitionResult:
    # Every transition (the sweep's reminders included) notes a deadline it finds passed, so
    # the audit record keeps a breach after the clock stops, is extended or is reassigned.
    new.breaches = sorted(set(old.breaches) | _overrun(old, now))
    new.updated_at = now
    new.version = old.version + 1
    new.event_count = old.event_count + len(events)
    return TransitionResult(new, old.state, old.version, events, notices or [])


def new_case(
    *,
    case_id: str,
    tracking_hash: str,
    tracking_code: str,
    kind: Kind,
    category: str,
    district: str,
    title: str,
    content: str,
    contact: Contact,
    consent_public: bool,
    channel: Channel,
    actor: Actor,
    now: datetime,
    contact_salt: str,
    open311_client: str | None = None,
) -> TransitionResult:
    """A new case, its first event and the citizen's receipt. The event holds digests, never
    the contact data: the text's SHA-256 and the contact's salted reference (``contact_salt``
    is random, per case). The receipt carries ``tracking_code``, whose hash the case keeps:
    it can only be sent now, in the transaction that creates the case."""
    if actor.role not in TRANSITIONS[Action.SUBMIT].actors:
        raise Forbidden("无权提交诉求", "may not submit", "forbidden")
    if not (contact.phone or contact.email):
        raise invalid_field(
            "contact", "请至少填写手机号或电子邮箱之一", "phone or email is required"
        )
    case = Case(
        case_id=case_id,
        created_at=now,
        channel=channel,
        kind=kind,
        category=category,
        district=district,
        title=title.strip(),
        content=content.strip(),
        contact=contact,
        consent_public=consent_public,
        tracking_hash=tracking_hash,
        updated_at=now,
        version=1,
        event_count=1,
        contact_salt=contact_salt,
        open311_client=open311_client,
    )
    c = case.contact
    digests = {
        "text_sha256": case_text_digest(case.title, case.content),
        "contact_ref": contact_reference(contact_salt, c.name, c.phone, c.email),
    }
    event = Event(EventType.SUBMITTED, now, actor, None, State.SUBMITTED, "", digests)
    receipt = Notice("received", "citizen", tracking_code=tracking_code)
    return TransitionResult(case, None, 0, [event], [receipt])


def accept(
    case: Case,
    actor: Actor,
    *,
    urgency: Urgency,
    category: str | None,
    approve_public: bool,
    now: datetime,
    public_version: tuple[str, str] | None = None,
) -> TransitionResult:
    """受理. ``public_version``: (title, content) the coordinator edited for the public."""
    new, before = _begin(case, Action.ACCEPT, actor)
    new.state = State.ACCEPTED
    new.urgency = urgency
    if category:
        new.category = category
    new.approved_public = approve_public and case.consent_public
    events = [Event(EventType.ACCEPTED, now, actor, before, new.state, data={"urgency": urgency})]
    if public_version is not None and new.approved_public:
        events.append(_set_public_version(new, actor, *public_version, now=now))
    return _finish(case, new, now, events, [Notice("accepted", "citizen")])


def public_text(case: Case, text: str) -> str:
    """``text`` of ``case`` as the public may read it: one scrubbing policy (§8) with the
    case's contact names, on every public surface."""
    return scrub(text, case.contact_names)


def public_title(case: Case) -> str:
    edited = case.public_version
    return public_text(case, edited.title if edited else case.title)


def content_to_publish(case: Case) -> str:
    """The text the public version is made from: the coordinator's edit, else the original."""
    edited = case.public_version
    return edited.content if edited else case.content


def public_content(case: Case) -> str:
    return public_text(case, content_to_publish(case))


def _set_public_version(
    new: Case, actor: Actor, title: str, content: str, *, now: datetime
) -> Event:
    """Store the coordinator's 公开版本 (scrubbed again: an edit cannot bring a phone number or
    the citizen's name back) and the internal event whose digest seals it in the chain."""
    if not new.consent_public:
        raise Conflict(
            "留言人未同意公开，不能编辑公开版本", "the citizen did not consent", "not_public"
        )
    title, content = public_text(new, title.strip()), public_text(new, content.strip())
    if not title or not content:
        raise invalid_field(
            "public_version", "公开版本的标题和内容不能为空", "title and content are required"
        )
    new.public_version = PublicVersion(title, content, actor.id, now)
    digest = {"text_sha256": case_text_digest(title, content)}
    return Event(EventType.PUBLIC_VERSION_EDITED, now, actor, new.state, new.state, "", digest)


def edit_public_version(
    case: Case, actor: Actor, *, title: str, content: str, now: datetime
) -> TransitionResult:
    """编辑公开版本: the coordinator edits what the public reads (before or after 受理)."""
    new, _ = _begin(case, Action.EDIT_PUBLIC, actor)
    event = _set_public_version(new, actor, title, content, now=now)
    return _finish(case, new, now, [event])


def reject(
    case: Case,
    actor: Actor,
    *,
    reason_code: RejectReason,
    reason: str,
    duplicate_of: str | None,
    now: datetime,
) -> TransitionResult:
    new, before = _begin(case, Action.REJECT, actor)
    if reason_code == RejectReason.DUPLICATE and not duplicate_of:
        raise invalid_field("duplicate_of", "重复诉求须注明原诉求编号", "duplicate_of is required")
    new.state = State.REJECTED
    new.rejection = Rejection(reason_code, reason.strip(), duplicate_of)
    new.closed_at = now
    event = Event(
        EventType.REJECTED,
        now,
        actor,
        before,
        new.state,
        reason.strip(),
        {"reason_code": reason_code},
    )
    return _finish(case, new, now, [event], [Notice("rejected", "citizen")])


def _new_assignment(
    case: Case,
    lead: DepartmentRef,
    co_handlers: list[DepartmentRef],
    now: datetime,
    clock: Clock,
) -> Assignment:
    if case.urgency is None:
        raise Conflict("案件尚未受理，不能交办", "case not accepted", "not_accepted")
    if any(c.id == lead.id for c in co_handlers):
        raise invalid_field("co_handlers", "牵头单位不能同时是协办单位", "lead cannot co-handle")
    if len({c.id for c in co_handlers}) != len(co_handlers):
        raise invalid_field("co_handlers", "协办单位重复", "duplicate co-handlers")
    cal, policy = clock.calendar, clock.policy
    response = cal.add_working_hours(now, policy.response_working_hours)
    reply = cal.add_working_days(now, policy.reply_days(case.urgency, case.kind))
    co_due = cal.add_working_days(now, policy.co_input_days(case.urgency, case.kind))
    window = cal.add_working_days(now, policy.return_window_working_days)
    previous = case.assignment.no if case.assignment else 0
    return Assignment(
        no=previous + 1,
        lead=lead,
        co_handlers=[CoHandler(c, co_due.at) for c in co_handlers],
        assigned_at=now,
        response_due_at=response.at,
        reply_due_at=reply.at,
        return_window_ends_at=window.at,
        provisional=response.provisional or reply.provisional,
    )


def _assignment_notices(assignment: Assignment) -> list[Notice]:
    """交办 (or 改派): the citizen learns the lead, each department gets its link."""
    notices = [
        Notice("assigned", "citizen"),
        Notice("assigned_lead", "department", assignment.lead, Role.LEAD),
    ]
    notices += [
        Notice("assigned_co_handler", "department", c.department, Role.CO_HANDLER)
        for c in assignment.co_handlers
    ]
    return notices


def assign(
    case: Case,
    actor: Actor,
    *,
    lead: DepartmentRef,
    co_handlers: list[DepartmentRef],
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.ASSIGN, actor)
    if case.state == State.REOPENED and not case.escalated:
        raise Conflict(
            "重办案件由原牵头单位办理", "a reopened case stays with its lead", "not_escalated"
        )
    new.assignment = _new_assignment(case, lead, co_handlers, now, clock)
    new.state = State.ASSIGNED
    new.escalated = False
    new.pending = None
    names = "、".join(c.name for c in co_handlers)
    note = f"牵头单位：{lead.name}" + (f"；协办单位：{names}" if names else "")
    event = Event(
        EventType.ASSIGNED,
        now,
        actor,
        before,
        new.state,
        note,
        {"lead": lead.id, "co_handlers": ",".join(c.id for c in co_handlers)},
    )
    return _finish(case, new, now, [event], _assignment_notices(new.assignment))


def _require_lead(case: Case, actor: Actor) -> Assignment:
    if case.assignment is None or actor.role != Role.LEAD or case.assignment.lead.id != actor.id:
        raise Forbidden(
            "只有牵头单位可以执行此操作", "only the lead department may do this", "not_lead"
        )
    if case.escalated:
        # After the last allowed reopen the coordinator decides; the department does not.
        raise Conflict(
            "本案已转总平台研究处理，承办单位不能再办理",
            "the case was escalated to the coordinator",
            "escalated",
        )
    return case.assignment


def sign(case: Case, actor: Actor, *, now: datetime) -> TransitionResult:
    new, before = _begin(case, Action.SIGN, actor)
    _require_lead(case, actor)
    assert new.assignment is not None
    new.assignment.signed_at = now
    new.state = State.IN_PROGRESS
    event = Event(EventType.SIGNED, now, actor, before, new.state, f"{actor.name}已签收")
    return _finish(case, new, now, [event])


def co_input(case: Case, actor: Actor, *, text: str, now: datetime) -> TransitionResult:
    new, before = _begin(case, Action.INPUT, actor)
    slot = new.assignment.co_handler(actor.id) if new.assignment else None
    if slot is None:
        raise Forbidden("贵单位不是本案协办单位", "not a co-handler of this case", "not_co_handler")
    if slot.input is not None:
        raise Conflict("协办意见已提交", "input already given", "input_given")
    slot.input, slot.input_at = text.strip(), now
    event = Event(EventType.CO_INPUT, now, actor, before, new.state, text.strip())
    return _finish(case, new, now, [event], [Notice("co_input", "department", new.lead, Role.LEAD)])


def request_extension(
    case: Case,
    actor: Actor,
    *,
    working_days: int,
    reason: str,
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.REQUEST_EXTENSION, actor)
    assignment = _require_lead(case, actor)
    policy = clock.policy
    if case.pending is not None:
        raise Conflict("已有待总平台审核的申请", "a request is already pending", "request_pending")
    if case.extensions_used >= policy.extensions_allowed:
        raise Conflict("延期次数已用完", "no extension left", "extension_used")
    if not 1 <= working_days <= policy.extension_max_working_days:
        raise invalid_field(
            "working_days",
            f"延期天数应为 1 至 {policy.extension_max_working_days} 个工作日",
            f"must be 1..{policy.extension_max_working_days}",
        )
    if now > assignment.reply_due_at:
        raise Conflict("已超过答复时限，不能申请延期", "the reply is already overdue", "overdue")
    new.pending = PendingRequest("extension", assignment.lead, reason.strip(), now, working_days)
    event = Event(
        EventType.EXTENSION_REQUESTED,
        now,
        actor,
        before,
        new.state,
        reason.strip(),
        {"working_days": str(working_days)},
    )
    return _finish(case, new, now, [event])


def decide_extension(
    case: Case,
    actor: Actor,
    *,
    approve: bool,
    working_days: int | None,
    note: str,
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.DECIDE_EXTENSION, actor)
    if case.pending is None or case.pending.type != "extension" or new.assignment is None:
        raise Conflict("没有待审核的延期申请", "no extension request pending", "no_request")
    days = working_days or case.pending.working_days or 0
    if approve:
        if not 1 <= days <= clock.policy.extension_max_working_days:
            raise invalid_field("working_days", "延期天数超出允许范围", "working_days out of range")
        moved = clock.calendar.add_working_days(new.assignment.reply_due_at, days)
        # No reply clock runs past the policy's cap, extension included (答复时限上限).
        cap = clock.policy.reply_cap_working_days
        started = new.assignment.reply_started_at or new.assignment.assigned_at
        latest = clock.calendar.add_working_days(started, cap).at
        if moved.at > latest:
            raise Conflict(
                f"延期后答复时限将超过 {cap} 个工作日的上限（最晚 {local_date(latest)}），"
                "请减少延期天数",
                f"the extension would run the reply clock past its cap of {cap} working days "
                f"(latest {local_date(latest)})",
                "reply_cap_exceeded",
            )
        new.assignment.reply_due_at = moved.at
        new.assignment.provisional = new.assignment.provisional or moved.provisional
        new.extensions_used += 1
        event = Event(
            EventType.EXTENSION_APPROVED,
            now,
            actor,
            before,
            new.state,
            f"答复时限延长 {days} 个工作日",
            {"working_days": str(days)},
        )
    else:
        event = Event(EventType.EXTENSION_REFUSED, now, actor, before, new.state, note.strip())
    new.pending = None
    template = "extension_approved" if approve else "extension_refused"
    notices = [Notice(template, "department", new.lead, Role.LEAD)]
    if approve:
        notices.append(Notice("extended", "citizen"))  # the new reply date
    return _finish(case, new, now, [event], notices)


def request_return(case: Case, actor: Actor, *, reason: str, now: datetime) -> TransitionResult:
    new, before = _begin(case, Action.REQUEST_RETURN, actor)
    assignment = _require_lead(case, actor)
    if case.pending is not None:
        raise Conflict("已有待总平台审核的申请", "a request is already pending", "request_pending")
    if now > assignment.return_window_ends_at:
        last = local_date(assignment.return_window_ends_at)
        raise Conflict(
            f"已超过退回时限（截至 {last:%Y年%m月%d日}）",
            f"the return window closed on {last.isoformat()}",
            "return_window_closed",
        )
    new.pending = PendingRequest("return", assignment.lead, reason.strip(), now)
    event = Event(EventType.RETURN_REQUESTED, now, actor, before, new.state, reason.strip())
    return _finish(case, new, now, [event])


def decide_return(
    case: Case,
    actor: Actor,
    *,
    reassign: bool,
    lead: DepartmentRef | None,
    co_handlers: list[DepartmentRef],
    note: str,
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.DECIDE_RETURN, actor)
    if case.pending is None or case.pending.type != "return" or case.assignment is None:
        raise Conflict("没有待审核的退回申请", "no return request pending", "no_request")
    new.pending = None
    if not reassign:
        event = Event(EventType.RETURN_REFUSED, now, actor, before, new.state, note.strip())
        return _finish(
            case, new, now, [event], [Notice("return_refused", "department", new.lead, Role.LEAD)]
        )
    if lead is None:
        raise invalid_field("lead", "改派须指定新的牵头单位", "lead is required to reassign")
    if lead.id == case.assignment.lead.id:
        raise invalid_field("lead", "新的牵头单位与原单位相同", "same lead as before")
    new.assignment = _new_assignment(case, lead, co_handlers, now, clock)
    new.state = State.ASSIGNED
    event = Event(
        EventType.REASSIGNED,
        now,
        actor,
        before,
        new.state,
        f"改派至：{lead.name}",
        {
            "lead": lead.id,
            "previous": case.assignment.lead.id,
            # the previous lead's ranking cohort (亮晒比 counts the return there)
            "previous_month": month_key(case.assignment.assigned_at),
        },
    )
    return _finish(case, new, now, [event], _assignment_notices(new.assignment))


def reply(
    case: Case,
    actor: Actor,
    *,
    outcome: Outcome,
    text: str,
    planned_date: date | None,
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.REPLY, actor)
    assignment = _require_lead(case, actor)
    if outcome == Outcome.SCHEDULED:
        if planned_date is None:
            raise invalid_field(
                "planned_date",
                "列入计划的答复须填写计划完成日期",
                "planned_date is required for scheduled",
            )
        if planned_date < local_date(now):  # today in Shanghai, not in UTC
            raise invalid_field(
                "planned_date", "计划完成日期不能早于今天", "planned_date must not be in the past"
            )
    elif planned_date is not None:
        planned_date = None
    if case.pending is not None:
        new.pending = None  # a reply settles any open request
    new.replies.append(Reply(now, assignment.lead, outcome, text.strip(), planned_date))
    new.state = State.REPLIED
    new.rating_window_ends_at = now + timedelta(days=clock.policy.rating_window_days)
    event = Event(
        EventType.REPLIED,
        now,
        actor,
        before,
        new.state,
        "",
        {
            "outcome": outcome,
            "late": str(now > assignment.reply_due_at).lower(),
            "text_sha256": text_digest(new.replies[-1].text),
        },
    )
    return _finish(case, new, now, [event], [Notice("replied", "citizen")])


def rate(
    case: Case,
    *,
    rating: Rating,
    comment: str | None,
    now: datetime,
    clock: Clock,
) -> TransitionResult:
    new, before = _begin(case, Action.RATE, CITIZEN)
    last = new.last_reply
    if last is None or last.rating is not None:
        raise Conflict("该答复已评价", "this reply is already rated", "already_rated")
    last.rating, last.rating_comment, last.rated_at = rating, (comment or "").strip() or None, now
    rated = Event(
        EventType.RATED, now, CITIZEN, before, before, (comment or "").strip(), {"rating": rating}
    )
    events = [rated]
    notices: list[Notice] = []
    new.rating_window_ends_at = None
    if rating != Rating.UNSATISFIED:
        new.state = State.CLOSED
        new.closed_at = now
        events.append(Event(EventType.CLOSED, now, SYSTEM, before, new.state, "留言人已评价"))
        notices.append(Notice("closed", "citizen"))
    elif case.reopen_count >= clock.policy.reopens_before_escalation:
        new.state = State.REOPENED
        new.escalated = True
        events.append(
            Event(
                EventType.ESCALATED,
                now,
                SYSTEM,
                before,
                new.state,
                "多次重办仍不满意，转总平台研究处理",
            )
        )
        notices.append(Notice("escalated", "citizen"))
    else:
        assert new.assignment is not None
        new.state = State.REOPENED
        new.reopen_count += 1
        urgency = case.urgency or Urgency.GENERAL
        due = clock.calendar.add_working_days(now, clock.policy.reply_days(urgency, case.kind))
        new.assignment.no += 1  # old links end; the lead gets a fresh one
        new.assignment.response_due_at = None
        new.assignment.reply_due_at = due.at
        new.assignment.provisional = due.provisional
        new.assignment.reply_started_at = now  # a new reply clock, with its own ladder
        new.assignment.rungs.pop("reply", None)
        new.assignment.cards.pop("reply", None)
        events.append(
            Event(
                EventType.REOPENED,
                now,
                SYSTEM,
                before,
                new.state,
                f"第 {new.reopen_count} 次重办，退回{new.assignment.lead.name}",
            )
        )
        notices += [
            Notice("reopened", "citizen"),
            Notice("reopened_lead", "department", new.assignment.lead, Role.LEAD),
        ]
    return _finish(case, new, now, events, notices)


def close(case: Case, actor: Actor, *, note: str, now: datetime) -> TransitionResult:
    new, before = _begin(case, Action.CLOSE, actor)
    if not case.escalated:
        raise Conflict(
            "只有转总平台的重办案件可由总平台办结", "only an escalated case", "not_escalated"
        )
    new.state = State.CLOSED
    new.escalated = False
    new.closed_at = now
    event = Event(EventType.CLOSED, now, actor, before, new.state, note.strip())
    return _finish(case, new, now, [event], [Notice("closed", "citizen")])


def expire_rating(case: Case, *, now: datetime) -> TransitionResult:
    new, before = _begin(case, Action.EXPIRE_RATING, SYSTEM)
    if case.rating_window_ends_at is None or now < case.rating_window_ends_at:
        raise Conflict("评价期尚未结束", "the rating window is still open", "rating_window_open")
    new.state = State.CLOSED
    new.closed_at = now
    new.rating_window_ends_at = None
    event = Event(EventType.CLOSED, now, SYSTEM, before, new.state, "评价期满未评价，自动办结")
    return _finish(case, new, now, [event], [Notice("closed", "citizen")])


def department_actions(
    case: Case, department_id: str, role: Role, now: datetime, policy: SlaPolicy
) -> list[str]:
    """What a department in ``role`` may do on the case now (the handling page's buttons),
    under the policy in force (how many extensions it allows)."""
    a = case.assignment
    if a is None:
        return []
    actions: list[str] = []
    if role == Role.LEAD and a.lead.id == department_id and not case.escalated:
        for action in (Action.SIGN, Action.REPLY):
            if allowed(action, case.state, role):
                actions.append(action)
        if case.pending is None:
            if (
                allowed(Action.REQUEST_EXTENSION, case.state, role)
                and case.extensions_used < policy.extensions_allowed
                and now <= a.reply_due_at
            ):
                actions.append(Action.REQUEST_EXTENSION)
            if allowed(Action.REQUEST_RETURN, case.state, role) and now <= a.return_window_ends_at:
                actions.append(Action.REQUEST_RETURN)
    if role == Role.CO_HANDLER and allowed(Action.INPUT, case.state, role):
        slot = a.co_handler(department_id)
        if slot is not None and slot.input is None:
            actions.append(Action.INPUT)
    return [str(x) for x in actions]


def coordinator_actions(case: Case) -> list[str]:
    """What a coordinator may do on the case now (the console's forms)."""
    role = Role.COORDINATOR
    actions: list[str] = []
    for action in (Action.ACCEPT, Action.REJECT):
        if allowed(action, case.state, role):
            actions.append(action)
    if case.state == State.ACCEPTED or (case.state == State.REOPENED and case.escalated):
        actions.append(Action.ASSIGN)
    if case.pending is not None and case.pending.type == "return":
        actions.append(Action.DECIDE_RETURN)
    if case.pending is not None and case.pending.type == "extension":
        actions.append(Action.DECIDE_EXTENSION)
    if case.state == State.REOPENED and case.escalated:
        actions.append(Action.CLOSE)
    return [str(x) for x in actions]


def public_version_editable(case: Case) -> bool:
    """The console's 公开版本 section takes edits (beside, not among, the lifecycle forms)."""
    return case.consent_public and allowed(Action.EDIT_PUBLIC, case.state, Role.COORDINATOR)


# --- 列入计划: following up a promised date ----------------------------------------------------

FOLLOWUP_STATES = frozenset({State.REPLIED, State.CLOSED})


def promise_awaiting_followup(case: Case) -> Reply | None:
    """The standing promise (the last reply, 列入计划 with a planned date) whose follow-up has
    not been asked yet. A reopened case is back with the lead, so its promise is superseded by
    the coming reply; an archived one is the auditors'."""
    last = case.last_reply
    if (
        case.state not in FOLLOWUP_STATES
        or last is None
        or last.outcome != Outcome.SCHEDULED
        or last.planned_date is None
        or last.followup_requested_at is not None
    ):
        return None
    return last


def request_followup(case: Case, *, now: datetime) -> TransitionResult:
    """The planned date has passed (Shanghai date): ask the lead how the plan went, once. An
    internal event and an email with a fresh link (to see the case); the state stays."""
    new, before = _begin(case, Action.REQUEST_FOLLOWUP, SYSTEM)
    promise = promise_awaiting_followup(new)
    if promise is None or promise.planned_date is None or case.lead is None:
        raise Conflict("没有待催报的计划", "no promise awaiting a follow-up", "no_followup")
    if local_date(now) <= promise.planned_date:
        raise Conflict("计划完成日期尚未到", "the planned date has not passed", "not_due")
    promise.followup_requested_at = now
    event = Event(
        EventType.FOLLOWUP_REQUESTED,
        now,
        SYSTEM,
        before,
        new.state,
        f"计划完成日期（{promise.planned_date.isoformat()}）已过，请{promise.department.name}"
        "报告落实情况",
        {"planned_date": promise.planned_date.isoformat(), "department": promise.department.id},
    )
    notice = Notice("followup_requested", "department", promise.department, Role.LEAD)
    return _finish(case, new, now, [event], [notice])


def followup_link_open(case: Case, department_id: str, role: Role, issued_at: datetime) -> bool:
    """Whether a lead's link still opens a closed case: only one issued with (or after) the
    follow-up request, so the department can see what it promised. It carries no action."""
    last = case.last_reply
    return (
        case.state == State.CLOSED
        and role == Role.LEAD
        and last is not None
        and last.outcome == Outcome.SCHEDULED
        and last.department.id == department_id
        and last.followup_requested_at is not None
        and issued_at >= last.followup_requested_at
    )


# --- 归档 and retention -----------------------------------------------------------------------


def archivable(case: Case) -> bool:
    """A closed case is archived once its standing promise (列入计划) has been followed up:
    the follow-up is the platform's last word on it."""
    return case.state == State.CLOSED and promise_awaiting_followup(case) is None


def archive(case: Case, *, now: datetime) -> TransitionResult:
    """Closed for the configured time: the case becomes read-only, the auditors' record."""
    new, before = _begin(case, Action.ARCHIVE, SYSTEM)
    if not archivable(case):
        raise Conflict("计划落实情况尚未催报，暂不归档", "a promise awaits follow-up", "not_due")
    new.state = State.ARCHIVED
    new.archived_at = now
    event = Event(EventType.ARCHIVED, now, SYSTEM, before, new.state, "办结期满，归档")
    return _finish(case, new, now, [event])


def anonymise(case: Case, *, now: datetime, title: str, content: str) -> TransitionResult:
    """Retention (§8): remove the contact data (name, phone, email) and the salt of its
    reference, and keep the citizen's text only as scrubbed for the public (``title`` and
    ``content``, masked by the caller's scrubber). The one change an archived case still
    takes; its internal event records the digest of the kept text, so the chain and the
    facts stay verifiable."""
    if case.state != State.ARCHIVED:
        raise Conflict("只有已归档的诉求可以匿名化", "only archived cases", "not_archived")
    if case.anonymised_at is not None:
        raise Conflict("该诉求已匿名化", "already anonymised", "already_anonymised")
    new = copy.deepcopy(case)
    new.contact = Contact()
    new.contact_salt = None
    new.title, new.content = title, content
    new.anonymised_at = now
    event = Event(
        EventType.ANONYMISED,
        now,
        SYSTEM,
        case.state,
        case.state,
        "保存期满，已删除留言人姓名、电话、邮箱等个人信息",
        {"text_sha256": case_text_digest(title, content)},
    )
    return _finish(case, new, now, [event])
