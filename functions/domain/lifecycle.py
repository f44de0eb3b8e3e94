"""The case lifecycle (§3) as data: states, who may act, and which action moves a case from
which states to which. Everything else asks this table; nothing re-encodes it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from functions.domain.errors import Conflict, Forbidden


class State(StrEnum):
    SUBMITTED = "submitted"  # 待受理
    ACCEPTED = "accepted"  # 已受理，待交办
    REJECTED = "rejected"  # 不予受理
    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 办理中（已签收）
    REPLIED = "replied"  # 已答复
    REOPENED = "reopened"  # 重办中
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档


@dataclass(frozen=True)
class StateInfo:
    """What a state means to everything that is not the transition table: its label, and the
    properties storage indexes, the sweep, the board and the audit decide membership by (never
    by naming states)."""

    label: str
    terminal: bool = False  # nothing more happens to the case's own handling
    with_department: bool = False  # a department holds it: its clocks may run
    publishable: bool = True  # may be on the public board (when both sides agreed)
    audited: bool = False  # in the auditors' archive indexes
    read_only: bool = False  # the auditors' record: takes nothing but anonymisation


STATES: dict[State, StateInfo] = {
    State.SUBMITTED: StateInfo("待受理", publishable=False),
    State.ACCEPTED: StateInfo("已受理"),
    State.REJECTED: StateInfo("不予受理", terminal=True, publishable=False),
    State.ASSIGNED: StateInfo("已交办", with_department=True),
    State.IN_PROGRESS: StateInfo("办理中", with_department=True),
    State.REPLIED: StateInfo("已答复"),
    State.REOPENED: StateInfo("重办中", with_department=True),
    State.CLOSED: StateInfo("已办结", terminal=True, audited=True),
    State.ARCHIVED: StateInfo("已归档", terminal=True, audited=True, read_only=True),
}

STATE_LABELS = {state: info.label for state, info in STATES.items()}

# Named subsets, derived from the properties.
TERMINAL = frozenset(s for s, i in STATES.items() if i.terminal)
WITH_DEPARTMENT = frozenset(s for s, i in STATES.items() if i.with_department)
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
    ADMIN = "admin"
    AUDITOR = "auditor"
    LEAD = "lead"  # 牵头单位
    CO_HANDLER = "co_handler"  # 协办单位
    SYSTEM = "system"


ROLE_LABELS = {
    Role.CITIZEN: "留言人",
    Role.OPERATOR: "话务员",
    Role.COORDINATOR: "总平台",
    Role.ADMIN: "管理员",
    Role.AUDITOR: "审计员",
    Role.LEAD: "牵头单位",
    Role.CO_HANDLER: "协办单位",
    Role.SYSTEM: "系统",
}

STAFF_ROLES = frozenset({Role.OPERATOR, Role.COORDINATOR, Role.ADMIN, Role.AUDITOR})


class Action(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    SIGN = "sign"  # 签收
    INPUT = "input"  # 协办意见
    REQUEST_EXTENSION = "extension"  # 申请延期
    DECIDE_EXTENSION = "extension_decision"
    REQUEST_RETURN = "return"  # 申请退回
    DECIDE_RETURN = "return_decision"
    REPLY = "reply"  # 答复
    RATE = "rate"  # 评价
    CLOSE = "close"  # 总平台办结（重办两次后）
    EXPIRE_RATING = "expire_rating"  # 评价期满未评价，自动办结
    REQUEST_FOLLOWUP = "followup"  # 列入计划的答复到期，催报落实情况
    ARCHIVE = "archive"  # 归档: a closed case becomes read-only, the auditors' record
    EDIT_PUBLIC = "public_version"  # 编辑公开版本: the text the public reads


@dataclass(frozen=True)
class Transition:
    sources: frozenset[State]
    targets: frozenset[State]  # a target equal to the source means "stays"
    actors: frozenset[Role]


def _t(sources: set[State], targets: set[State], actors: set[Role]) -> Transition:
    return Transition(frozenset(sources), frozenset(targets), frozenset(actors))


_COORD = {Role.COORDINATOR, Role.ADMIN}

TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: _t(set(), {State.SUBMITTED}, {Role.CITIZEN, Role.OPERATOR, *_COORD}),
    Action.ACCEPT: _t({State.SUBMITTED}, {State.ACCEPTED}, _COORD),
    Action.REJECT: _t({State.SUBMITTED}, {State.REJECTED}, _COORD),
    # From ``reopened`` only when the case was escalated to the coordinator.
    Action.ASSIGN: _t({State.ACCEPTED, State.REOPENED}, {State.ASSIGNED}, _COORD),
    Action.SIGN: _t({State.ASSIGNED}, {State.IN_PROGRESS}, {Role.LEAD}),
    Action.INPUT: _t(set(WITH_DEPARTMENT), set(WITH_DEPARTMENT), {Role.CO_HANDLER}),
    Action.REQUEST_EXTENSION: _t(
        {State.IN_PROGRESS, State.REOPENED}, {State.IN_PROGRESS, State.REOPENED}, {Role.LEAD}
    ),
    Action.DECIDE_EXTENSION: _t(
        {State.IN_PROGRESS, State.REOPENED}, {State.IN_PROGRESS, State.REOPENED}, _COORD
    ),
    Action.REQUEST_RETURN: _t(
        {State.ASSIGNED, State.IN_PROGRESS}, {State.ASSIGNED, State.IN_PROGRESS}, {Role.LEAD}
    ),
    Action.DECIDE_RETURN: _t(
        {State.ASSIGNED, State.IN_PROGRESS}, {State.ASSIGNED, State.IN_PROGRESS}, _COORD
    ),
    Action.REPLY: _t({State.IN_PROGRESS, State.REOPENED}, {State.REPLIED}, {Role.LEAD}),
    Action.RATE: _t({State.REPLIED}, {State.CLOSED, State.REOPENED}, {Role.CITIZEN}),
    Action.CLOSE: _t({State.REOPENED}, {State.CLOSED}, _COORD),
    Action.EXPIRE_RATING: _t({State.REPLIED}, {State.CLOSED}, {Role.SYSTEM}),
    # A promise (列入计划) stands after the case closes: the follow-up changes no state.
    Action.REQUEST_FOLLOWUP: _t(
        {State.REPLIED, State.CLOSED}, {State.REPLIED, State.CLOSED}, {Role.SYSTEM}
    ),
    Action.ARCHIVE: _t({State.CLOSED}, {State.ARCHIVED}, {Role.SYSTEM}),
    # Before 受理 (side by side with the original) and while the case is public; never on a
    # rejected case (it is never published) nor an archived one (read-only).
    Action.EDIT_PUBLIC: _t(
        set(PUBLISHABLE - {State.ARCHIVED}) | {State.SUBMITTED},
        set(PUBLISHABLE - {State.ARCHIVED}) | {State.SUBMITTED},
        _COORD,
    ),
}


def check(action: Action, state: State, actor: Role) -> Transition:
    """Raise unless ``actor`` may take ``action`` on a case in ``state``."""
    transition = TRANSITIONS[action]
    if actor not in transition.actors:
        raise Forbidden("无权执行此操作", f"{actor} may not {action}", "forbidden")
    if state not in transition.sources:
        raise Conflict(
            f"案件当前状态为“{STATE_LABELS[state]}”，不能执行此操作",
            f"cannot {action} a case in state {state}",
            "invalid_transition",
        )
    return transition


def allowed(action: Action, state: State, actor: Role) -> bool:
    transition = TRANSITIONS[action]
    return actor in transition.actors and state in transition.sources


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
    RATED = "rated"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REMINDER = "reminder"  # a rung of the SLA ladder: 提醒, 催办, 黄牌, 红牌
    FOLLOWUP_REQUESTED = "followup_requested"  # the planned date passed: 催报计划落实情况
    FEATURED = "featured"  # 精选到回音壁 (or its summary edited); internal
    UNFEATURED = "unfeatured"  # 撤下回音壁; internal
    ANONYMISED = "anonymised"  # retention: contact data removed from an archived case; internal
    PUBLIC_VERSION_EDITED = "public_version_edited"  # 编辑公开版本; internal


EVENT_LABELS = {
    EventType.SUBMITTED: "提交诉求",
    EventType.ACCEPTED: "受理",
    EventType.REJECTED: "不予受理",
    EventType.ASSIGNED: "交办",
    EventType.SIGNED: "签收",
    EventType.CO_INPUT: "协办意见",
    EventType.EXTENSION_REQUESTED: "申请延期",
    EventType.EXTENSION_APPROVED: "同意延期",
    EventType.EXTENSION_REFUSED: "不同意延期",
    EventType.RETURN_REQUESTED: "申请退回",
    EventType.REASSIGNED: "改派",
    EventType.RETURN_REFUSED: "维持交办",
    EventType.REPLIED: "答复",
    EventType.RATED: "评价",
    EventType.REOPENED: "重办",
    EventType.ESCALATED: "转总平台处理",
    EventType.CLOSED: "办结",
    EventType.ARCHIVED: "归档",
    EventType.REMINDER: "督办",
    EventType.FOLLOWUP_REQUESTED: "催报计划落实情况",
    EventType.FEATURED: "精选到回音壁",
    EventType.UNFEATURED: "撤下回音壁",
    EventType.ANONYMISED: "个人信息匿名化",
    EventType.PUBLIC_VERSION_EDITED: "编辑公开版本",
}

# Events the public sees on a public case; the rest are internal (staff, auditors).
PUBLIC_EVENTS = frozenset(
    {
        EventType.SUBMITTED,
        EventType.ACCEPTED,
        EventType.ASSIGNED,
        EventType.SIGNED,
        EventType.EXTENSION_APPROVED,
        EventType.REASSIGNED,
        EventType.REPLIED,
        EventType.RATED,
        EventType.REOPENED,
        EventType.ESCALATED,
        EventType.CLOSED,
        EventType.REMINDER,
    }
)
