"""The case lifecycle's vocabulary (§3): the states with their properties, the roles, and the
names of the events other modules reason about. The actions, and the transition table they
make, are the modules of ``functions.domain.actions``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    SUBMITTED = "submitted"  # 待受理
    ACCEPTED = "accepted"  # 已受理，待交办
    REJECTED = "rejected"  # 不予受理
    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 办理中（已签收）
    AWAITING_CITIZEN = "awaiting_citizen"  # 待补充材料: the reply deadline waits for the citizen
    REPLY_REVIEW = "reply_review"  # 答复待审核: the lead's reply waits for its platform's review
    REPLIED = "replied"  # 已答复
    REOPENED = "reopened"  # 重办中
    MERGED = "merged"  # 已并件: follows its primary (``merged_into``), no clock of its own
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档


@dataclass(frozen=True)
class StateInfo:
    """What a state means to everything that is not the transition table: its label, and the
    properties storage indexes, the sweep, the board and the audit decide membership by (never
    by naming states)."""

    label: str
    terminal: bool = False  # nothing more happens to the case's own handling
    with_department: bool = False  # a department holds it: its deadlines may run
    triage: bool = False  # waiting for 受理: the platform's own 受理 deadline runs
    publishable: bool = True  # may be on the public board (when both sides agreed)
    audited: bool = False  # in the auditors' archive indexes
    read_only: bool = False  # the auditors' record: takes nothing but anonymisation
    public_label: str | None = None  # what the public pages call it, when not ``label``
    next_step: str = ""  # what the citizen's tracking page says comes next
    public_as: State | None = None  # the state the public and the citizen see, when not this

    @property
    def shown(self) -> str:
        return self.public_label or self.label


STATES: dict[State, StateInfo] = {
    State.SUBMITTED: StateInfo(
        "待受理",
        triage=True,
        publishable=False,
        next_step="您的诉求正在等待总平台受理。",  # + its 受理 deadline (services/presenters.py)
    ),
    State.ACCEPTED: StateInfo(
        "已受理",
        next_step="您的诉求已受理，正在确定承办单位。",
    ),
    State.REJECTED: StateInfo(
        "不予受理",
        terminal=True,
        publishable=False,
        next_step="您的诉求不予受理，原因见下方说明。如有疑问可重新提交。",
    ),
    State.ASSIGNED: StateInfo(
        "已交办",
        with_department=True,
        next_step="您的诉求已交承办单位，等待签收办理。",
    ),
    State.IN_PROGRESS: StateInfo(
        "办理中",
        with_department=True,
        next_step="承办单位正在办理，将在答复时限前答复您。",
    ),
    State.AWAITING_CITIZEN: StateInfo(
        "待补充材料",
        public_label="待补充",
        next_step="承办单位请您补充材料，请在下方期限内补充；补充前答复时限暂停计时，逾期未补充的，承办单位将依现有材料办理。",
    ),
    # 答复审核 (§15): the lead has replied (its reply deadline no longer runs) and the platform
    # holding the case reviews the reply before the citizen reads it; the public still sees the
    # case being handled.
    State.REPLY_REVIEW: StateInfo(
        "答复待审核",
        public_label="办理中",
        public_as=State.IN_PROGRESS,
        next_step="承办单位正在办理，将在答复时限前答复您。",
    ),
    State.REPLIED: StateInfo(
        "已答复",
        next_step="承办单位已答复，请阅读答复并在评价期内评价。",
    ),
    State.REOPENED: StateInfo(
        "重办中",
        with_department=True,
        next_step="您对答复不满意，诉求已退回承办单位重新办理，请留意新的答复。",
    ),
    State.MERGED: StateInfo(
        "已并件",
        terminal=True,
        public_label="已并件办理",
        next_step="您的诉求与反映同一问题的诉求合并办理（并件），主件答复后将同时通知您，您可以在本页查看答复。",
    ),
    State.CLOSED: StateInfo(
        "已办结",
        terminal=True,
        audited=True,
        next_step="您的诉求已办结，感谢您的参与。",
    ),
    State.ARCHIVED: StateInfo(
        "已归档",
        terminal=True,
        audited=True,
        read_only=True,
        next_step="您的诉求已办结归档。",
    ),
}

STATE_LABELS = {state: info.label for state, info in STATES.items()}
PUBLIC_STATE_LABELS = {state: info.shown for state, info in STATES.items()}
# What the public pages and the citizen's tracking page call each state (and the board files it
# under): a state of the platform's own (答复待审核) shows as the state it stands for.
PUBLIC_STATES = {state: info.public_as or state for state, info in STATES.items()}

# Named subsets, derived from the properties.
TERMINAL = frozenset(s for s, i in STATES.items() if i.terminal)
WITH_DEPARTMENT = frozenset(s for s, i in STATES.items() if i.with_department)
AWAITING_TRIAGE = frozenset(s for s, i in STATES.items() if i.triage)
OPEN = frozenset(State) - TERMINAL
# A case is on the public board once a coordinator has accepted it (and both the citizen and
# the coordinator agreed to publish it).
PUBLISHABLE = frozenset(s for s, i in STATES.items() if i.publishable)
AUDITED = frozenset(s for s, i in STATES.items() if i.audited)
READ_ONLY = frozenset(s for s, i in STATES.items() if i.read_only)


class Role(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"  # enters hotline/mailbox cases for callers
    COORDINATOR = "coordinator"  # 总平台
    COUNTY_COORDINATOR = "county_coordinator"  # 分平台: scoped to one county platform (§15)
    ADMIN = "admin"
    AUDITOR = "auditor"
    LEADER = "leader"  # 市领导/分管领导: reads the dashboard (§16), changes nothing
    LEAD = "lead"  # 牵头单位
    CO_HANDLER = "co_handler"  # 协办单位
    SUPERVISOR = "supervisor"  # 人大代表, 政协委员, 特约监督员, media: 评议 closed cases (§16)
    SYSTEM = "system"


ROLE_LABELS = {
    Role.CITIZEN: "留言人",
    Role.OPERATOR: "话务员",
    Role.COORDINATOR: "总平台",
    Role.COUNTY_COORDINATOR: "分平台",
    Role.ADMIN: "管理员",
    Role.AUDITOR: "审计员",
    Role.LEADER: "领导",
    Role.LEAD: "牵头单位",
    Role.CO_HANDLER: "协办单位",
    Role.SUPERVISOR: "监督员",
    Role.SYSTEM: "系统",
}

STAFF_ROLES = frozenset({Role.OPERATOR, Role.COORDINATOR, Role.ADMIN, Role.AUDITOR, Role.LEADER})


class EventType(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    SIGNED = "signed"
    CO_INPUT = "co_input"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    RETURN_REQUESTED = "return_requested"
    REASSIGNED = "reassigned"
    RETURN_REFUSED = "return_refused"
    REPLIED = "replied"
    REPLY_SUBMITTED = "reply_submitted"  # 答复审核: the lead's reply goes up for review
    REPLY_APPROVED = "reply_approved"  # … the platform approves it (and it is published)
    REPLY_RETURNED = "reply_returned"  # … or returns it to the lead with a note
    RATED = "rated"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REMINDER = "reminder"  # a rung of the SLA ladder: 提醒, 催办, 黄牌, 红牌
    TRIAGE_REMINDER = "triage_reminder"  # a rung of the platform's own 受理 ladder
    FOLLOWUP_REQUESTED = "followup_requested"  # the planned date passed: 催报计划落实情况
    FEATURED = "featured"  # 精选到回音壁 (or its summary edited); internal
    UNFEATURED = "unfeatured"  # 撤下回音壁; internal
    ANONYMISED = "anonymised"  # retention: contact data removed from an archived case; internal
    PUBLIC_VERSION_EDITED = "public_version_edited"  # 编辑公开版本; internal
    PHOTO_HIDDEN = "photo_hidden"  # 隐藏照片 (faces, licence plates); internal
    MERGED = "merged"  # 并件: this case follows a primary
    MERGED_IN = "merged_in"  # … and the primary's side: a duplicate now follows it
    UNMERGED = "unmerged"  # 撤销并件: the case is handled on its own again
    UNMERGED_OUT = "unmerged_out"  # … and the primary's side
    HANDED_DOWN = "handed_down"  # 市级交办: the city hands a case to a county platform
    COUNTY_ASSIGNED = "county_assigned"  # 县级交办: a county platform assigns it to its unit
    RETURNED_TO_CITY = "returned_to_city"  # a county platform gives a case back to the city
    MERGED_RATED = "merged_rated"  # a merged case's citizen rated the primary's reply
    MERGED_UNSATISFIED = "merged_unsatisfied"  # … not satisfied: a flag on the primary
    ATTENTION = "attention"  # 群众关注: the supports crossed the first threshold
    ATTENTION_LEADER = "attention_leader"  # … the second: the lead's leader is told
    TRACKING_CODE_REISSUED = "tracking_code_reissued"  # 我的诉求: a new code; internal
