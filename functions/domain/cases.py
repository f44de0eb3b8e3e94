"""The case aggregate and what every action shares: the case and its parts, events, notices
and the transition result; beginning and finishing a transition; the deadlines a case runs; the
public text of a case. The actions themselves are modules of ``functions.domain.actions``.
Nothing here reads a clock, the environment or storage; the service layer persists a result
in one conditional transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from functions.domain.calendar import WorkCalendar, local_date
from functions.domain.errors import Conflict, Forbidden, Gone, invalid_field
from functions.domain.geo import Location
from functions.domain.hashes import GENESIS
from functions.domain.lifecycle import (
    AWAITING_TRIAGE,
    PUBLISHABLE,
    READ_ONLY,
    TERMINAL,
    WITH_DEPARTMENT,
    Role,
    State,
)
from functions.domain.photos import Photo
from functions.domain.platforms import CITY
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
    scope: str | None = None  # a county coordinator's platform (§15); None: the whole city

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.COUNTY_COORDINATOR, Role.ADMIN)

    @property
    def platform(self) -> str:
        """The platform the actor acts for: their county's, or the city's."""
        return self.scope or CITY


CITIZEN = Actor(Role.CITIZEN, "citizen", "留言人")
SYSTEM = Actor(Role.SYSTEM, "system", "系统")


@dataclass
class CaseFile:
    """A file that came with a mailed case (市长信箱, §17) and is not a photo: kept for staff
    only, in the private uploads bucket at ``key`` (None: over the size cap, not kept), never
    served to the public."""

    name: str
    content_type: str
    size: int
    key: str | None = None


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
    reply_started_at: datetime | None = None  # a reopen starts a new reply deadline
    # The reminder ladder (functions/domain/sla.py): rung codes done per deadline, cards per
    # deadline, and when the sweep must look at this case next (None: no deadline running).
    rungs: dict[str, list[str]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    next_check_at: datetime | None = None

    def co_handler(self, department_id: str) -> CoHandler | None:
        return next((c for c in self.co_handlers if c.department.id == department_id), None)


@dataclass
class Triage:
    """受理时限: the deadline of the platform holding a new case to accept, reject or merge it
    (a policy value of working hours), set at submission. It runs while the case waits for 受理
    (the state says so); the platform's own ladder records the rungs it reached, and when the
    sweep must look at the case next (None: no rung ahead, or the case has left 待受理)."""

    started_at: datetime
    due_at: datetime
    provisional: bool = False  # the deadline lies in a year whose calendar is not confirmed
    rungs: list[str] = field(default_factory=list)
    next_check_at: datetime | None = None


@dataclass
class InfoRequest:
    """补充材料: the lead asked the citizen for more information (the reply deadline stops
    running, 中止计时, until the citizen answers or ``due_at`` passes). ``resume_state`` is
    where the case goes back to; ``paused_seconds`` the office time the wait added to the
    reply deadline."""

    question: str
    department: DepartmentRef
    asked_at: datetime
    due_at: datetime
    resume_state: State
    answer: str | None = None
    answered_at: datetime | None = None
    expired_at: datetime | None = None
    paused_seconds: float = 0.0


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
    # 直接答复 (§16): the platform holding the case answered it itself (``department`` is the
    # platform), from a 知识库 entry (``kb_id``) or in its own words; None: a unit's reply.
    direct: bool | None = None
    kb_id: str | None = None


@dataclass
class ReplyReview:
    """答复审核 (§15): the lead's reply waiting for the review of the platform holding the case
    (``draft``: not yet the citizen's to read), or, once the platform returned it, why
    (``returned_note``), until the lead replies again. ``resume_state`` is where a returned
    reply sends the case back to (办理中, or 重办中 for a reply after a reopen); ``late`` whether
    the draft came after the reply deadline (the deadline that counts: review takes the
    platform's time, not the department's)."""

    resume_state: State
    draft: Reply | None = None
    late: bool = False
    returned_at: datetime | None = None
    returned_note: str = ""
    rounds: int = 0  # how often the platform returned a reply of this assignment


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
class Attention:
    """附议 that counts (§14, functions/domain/support.py): the level the case's supports have
    reached (1 群众关注, 2 the lead's leader told too); when each was reached, with the count
    in its window and the threshold it crossed. Written only by the crossing itself, on the
    case's version, so each level is reached once."""

    level: int
    at: datetime  # flagged 群众关注
    supports: int  # … with this many supports within ``days`` days
    threshold: int
    days: int
    leader_at: datetime | None = None  # the lead department's leader told
    leader_supports: int | None = None
    leader_threshold: int | None = None
    leader_days: int | None = None


@dataclass(frozen=True)
class Handoff:
    """市级交办 (§15): the city handed the case to county platform ``to`` at ``at``; the county
    must pass it on to one of its units by ``due_at`` (its own allowance), and the citizen's
    reply deadline, one clock across the levels, is ``reply_due_at``."""

    to: str
    at: datetime
    due_at: datetime
    reply_due_at: datetime
    provisional: bool = False


@dataclass(frozen=True)
class MergedRating:
    """The citizen of a merged case rates the primary's reply number ``reply`` (1 the first):
    on their own case, once per reply; it neither closes nor reopens the primary."""

    reply: int
    rating: Rating
    at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class Merged:
    """并件: the case follows ``into`` since ``at``, having left state ``left``; its citizen's
    ratings of the primary's replies."""

    into: str
    left: State
    at: datetime
    ratings: list[MergedRating] = field(default_factory=list)

    def rated(self, reply: int) -> MergedRating | None:
        return next((r for r in self.ratings if r.reply == reply), None)


@dataclass(frozen=True)
class MergedComplaint:
    """A flag on a primary for the coordinator: the citizen of merged case ``case_id`` is not
    satisfied with its reply number ``reply`` (reopening stays with the primary's citizen)."""

    case_id: str
    reply: int
    at: datetime
    comment: str | None = None


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
    info_requests: list[InfoRequest] = field(default_factory=list)  # 补充材料, oldest first
    # Where (§13): the place as the citizen gave it, how ``district`` was found (``point`` |
    # ``address`` | ``citizen``), and the citizen's own choice when the place says otherwise
    # (the coordinator decides at 受理).
    location: Location | None = None
    district_source: str | None = None
    district_claimed: str | None = None
    media_link: str | None = None  # Open311 media_url: a link for staff, never fetched
    # The citizen's and the replies' photos, in the order attached (functions/domain/photos.py):
    # on the case item, so a case page with photos costs no further read.
    photos: list[Photo] = field(default_factory=list)
    files: list[CaseFile] = field(default_factory=list)  # a mailed case's other attachments
    # The stored raw messages (``inbound/`` keys) it was made from or joined by: removed with
    # the files at retention (the bucket's lifecycle removes them sooner).
    mail_messages: list[str] = field(default_factory=list)
    # 并件 (§14): a duplicate follows its primary (``merged``); the primary lists the cases
    # that follow it, in the order merged.
    merged: Merged | None = None
    merged_cases: list[str] = field(default_factory=list)
    merged_complaints: list[MergedComplaint] = field(default_factory=list)  # 并件不满意
    attention: Attention | None = None  # 群众关注: the supports crossed a threshold
    # 1+8+N (§15): the platform holding the case (functions/domain/platforms.py), and the
    # city's hand-off to a county platform while the county has yet to pass it on.
    holder: str = CITY
    handoff: Handoff | None = None
    triage: Triage | None = None  # 受理时限: the platform's own deadline on the new case
    reply_review: ReplyReview | None = None  # 答复审核: a draft reply, or the note returning it

    @property
    def attention_level(self) -> int:
        return self.attention.level if self.attention else 0

    @property
    def open_info_request(self) -> InfoRequest | None:
        """The request for more information the citizen has yet to answer (the clock waits)."""
        last = self.info_requests[-1] if self.info_requests else None
        return last if last and last.answered_at is None and last.expired_at is None else None

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

    def queue_deadline(self) -> datetime | None:
        """What the coordinator's queue sorts by: the earliest deadline running, and while the
        case waits for 受理, the platform's own 受理 deadline."""
        triage = running_triage(self)
        return self.running_deadline() or (triage.due_at if triage else None)

    def running_deadline(self) -> datetime | None:
        """The earliest deadline of a department still running."""
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

    type: str  # an event type an action module declares (functions/domain/actions)
    at: datetime
    actor: Actor
    from_state: State | None
    to_state: State
    note: str = ""
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A message to send. ``audience`` is "citizen" or "department" (a department notice with
    ``link_role`` carries a fresh magic link for that department in that role), "ladder" (a
    rung of the reminder ladder), "platform" (a rung of the platform's own 受理 ladder, to the
    people of the platform holding the case), "coordinators" (every coordinator) or "leader"
    (the leader of ``department``)."""

    template: str
    audience: str
    department: DepartmentRef | None = None
    link_role: Role | None = None
    rung: Rung | None = None  # audience "ladder": the reminder rung reached
    deadline: str | None = None  # … on which deadline ("response" | "reply" | "triage")
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
    # Other cases' transitions that belong to this one (a merge writes the duplicate and its
    # primary): committed with it as one unit of work, one transaction.
    companions: list[TransitionResult] = field(default_factory=list)
    # The units co-handling the case before the transition (``co_handling``), so storage can
    # add and remove their desk entries; None: a transition that never changes them.
    co_handling_was: frozenset[str] | None = None


@dataclass(frozen=True)
class DeadlineRules:
    """What deadline arithmetic needs: the working-day calendar and the SLA policy."""

    calendar: WorkCalendar
    policy: SlaPolicy


def latest_rating(case: Case) -> Reply | None:
    """The last reply the citizen rated: what "the case's rating" means on the board and in
    the 不满意专区 (a second reply still awaiting its rating leaves the first one standing)."""
    return next((r for r in reversed(case.replies) if r.rating), None)


def month_key(instant: datetime) -> str:
    """``YYYY-MM`` of an instant in Shanghai: the month a ranking counts it in."""
    day = local_date(instant)
    return f"{day.year:04d}-{day.month:02d}"


def require_writable(case: Case) -> None:
    """An archived case is the auditors' record: nothing changes it any more (410)."""
    if case.state in READ_ONLY:
        raise Gone(
            "该诉求已归档，只能查阅，不能再办理、评价或修改",
            "the case is archived and read-only",
            "case_archived",
        )


class Checked(Protocol):
    """What ``begin`` needs of an action (an ``ActionDef`` of functions/domain/actions)."""

    def check(self, state: State, role: Role) -> None: ...


def begin(case: Case, action: Checked, actor: Actor) -> tuple[Case, State]:
    """A copy of ``case`` to change, once the actor may take ``action`` on it now."""
    require_writable(case)
    action.check(case.state, actor.role)
    return copy.deepcopy(case), case.state


RESPONSE = "response"  # the deadline from assignment to 签收
REPLY = "reply"  # the deadline from assignment (or reopen) to 答复
TRIAGE = "triage"  # the platform's own deadline from submission to 受理


@dataclass(frozen=True)
class RunningDeadline:
    name: str
    started_at: datetime
    due_at: datetime


def running_deadlines(case: Case) -> list[RunningDeadline]:
    """The deadlines running now: the response deadline until 签收, the reply one until 答复."""
    a = case.assignment
    if a is None or case.state not in WITH_DEPARTMENT:
        return []
    if case.state == State.REOPENED and case.escalated:
        return []  # the coordinator decides now; the department owes nothing
    clocks: list[RunningDeadline] = []
    if case.state == State.ASSIGNED and a.response_due_at is not None and a.signed_at is None:
        clocks.append(RunningDeadline(RESPONSE, a.assigned_at, a.response_due_at))
    clocks.append(RunningDeadline(REPLY, a.reply_started_at or a.assigned_at, a.reply_due_at))
    return clocks


def new_triage(now: datetime, rules: DeadlineRules) -> Triage:
    """The 受理 deadline of a case that starts waiting for 受理 at ``now``: the policy's
    working hours on the official calendar, in office hours."""
    due = rules.calendar.add_working_hours(now, rules.policy.triage_working_hours)
    return Triage(started_at=now, due_at=due.at, provisional=due.provisional)


def platform_must_act(case: Case) -> bool:
    """Whether the platform holding the case owes it a step on its own clock: 受理 of a new
    case, or a county's passing on of a case the city handed down to it (§15)."""
    handed_down = case.handoff is not None and case.state == State.ACCEPTED
    return case.state in AWAITING_TRIAGE or handed_down


def running_triage(case: Case) -> RunningDeadline | None:
    """The platform's own deadline (受理, or a county's passing on of a handed-down case),
    while it owes that step; None once taken (accepted, rejected, merged, assigned) or if it
    never had one."""
    t = case.triage
    if t is None or not platform_must_act(case):
        return None
    return RunningDeadline(TRIAGE, t.started_at, t.due_at)


def _overrun(case: Case, now: datetime) -> set[str]:
    """The clocks of ``case`` (as it was before a transition) running past their deadline,
    the platform's own 受理 deadline among them."""
    clocks = [*running_deadlines(case), *filter(None, [running_triage(case)])]
    return {c.name for c in clocks if now > c.due_at}


def finish(
    old: Case, new: Case, now: datetime, events: list[Event], notices: list[Notice] | None = None
) -> TransitionResult:
    # Every transition (the sweep's reminders included) notes a deadline it finds passed, so
    # the audit record keeps a breach after the clock stops, is extended or is reassigned.
    new.breaches = sorted(set(old.breaches) | _overrun(old, now))
    new.updated_at = now
    new.version = old.version + 1
    new.event_count = old.event_count + len(events)
    return TransitionResult(
        new, old.state, old.version, events, notices or [], co_handling_was=co_handling(old)
    )


def co_handling(case: Case) -> frozenset[str]:
    """The units co-handling an open case (协办单位), by id: each has it on its desk beside the
    cases it leads. None once the case is closed, merged or back with the platform."""
    if case.state in TERMINAL or case.assignment is None:
        return frozenset()
    return frozenset(c.department.id for c in case.assignment.co_handlers)


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


def new_assignment(
    case: Case,
    lead: DepartmentRef,
    co_handlers: list[DepartmentRef],
    now: datetime,
    rules: DeadlineRules,
) -> Assignment:
    if case.urgency is None:
        raise Conflict("案件尚未受理，不能交办", "case not accepted", "not_accepted")
    if any(c.id == lead.id for c in co_handlers):
        raise invalid_field("co_handlers", "牵头单位不能同时是协办单位", "lead cannot co-handle")
    if len({c.id for c in co_handlers}) != len(co_handlers):
        raise invalid_field("co_handlers", "协办单位重复", "duplicate co-handlers")
    cal, policy = rules.calendar, rules.policy
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


def assignment_notices(assignment: Assignment) -> list[Notice]:
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


def require_lead(case: Case, actor: Actor) -> Assignment:
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


# --- 列入计划: following up a promised date ----------------------------------------------------

FOLLOWUP_STATES = frozenset({State.REPLIED, State.CLOSED})


def lead_acts(case: Case, actor: Actor, *_: object) -> bool:
    """Whether ``actor`` is the lead that holds the case and may act on it (the case is not
    escalated to the coordinator): what 签收 and 答复 ask before their table row."""
    a = case.assignment
    return a is not None and a.lead.id == actor.id and not case.escalated


def lead_may_ask(case: Case, actor: Actor) -> bool:
    """Whether the lead may put a request now (延期, 退回, 补充材料): it acts on the case and
    no request of its own is pending."""
    return lead_acts(case, actor) and case.pending is None


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
