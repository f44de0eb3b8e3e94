"""The SLA policy (§4): one table of time limits per kind × urgency, the reminder ladder, and
the other limits of the design. An admin edits it (stored as a JSON document); the domain only
ever receives a ``SlaPolicy`` value."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.domain.taxonomy import Kind, Urgency

# Who a rung of the ladder writes to.
HANDLER = "handler"  # the department's handler (经办人), by email, with a fresh link
SPOKESPERSON = "spokesperson"  # the department's spokesperson (发言人), email and SMS
LEADER = "leader"  # the department's leader (分管负责人), email
COORDINATOR = "coordinator"  # the central office (总平台): every coordinator account, email
RECIPIENTS = (HANDLER, SPOKESPERSON, LEADER, COORDINATOR)


@dataclass(frozen=True)
class Rung:
    """One step of the reminder ladder of a running clock.

    ``trigger`` is ``"used"`` (``amount`` is the fraction of the clock's working time used,
    0 < amount < 1), ``"due"`` (the deadline itself) or ``"overdue"`` (``amount`` working days
    past the deadline; a working day counts as one office day of working hours)."""

    code: str
    label: str
    trigger: str
    amount: float
    recipients: tuple[str, ...]
    sms: bool = False  # also an SMS to recipients with a phone number
    card: str | None = None  # "yellow" (黄牌) | "red" (红牌): listed for coordinators/public


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung("half", "时限过半提醒", "used", 0.5, (HANDLER,)),
    Rung("late", "时限将至提醒", "used", 0.8, (HANDLER,)),
    Rung("due", "到期催办", "due", 0, (HANDLER, SPOKESPERSON), sms=True),
    Rung("yellow", "黄牌督办", "overdue", 1, (COORDINATOR, LEADER), card="yellow"),
    Rung("red", "红牌督办", "overdue", 5, (COORDINATOR, LEADER, SPOKESPERSON), sms=True,
         card="red"),
)


def _default_reply_days() -> dict[Kind | None, dict[Urgency, int]]:
    return {
        None: {Urgency.URGENT: 2, Urgency.GENERAL: 5, Urgency.COMPLEX: 15},
        # A question is answered faster than a problem is solved.
        Kind.CONSULTATION: {Urgency.URGENT: 1, Urgency.GENERAL: 3, Urgency.COMPLEX: 10},
    }


@dataclass(frozen=True)
class SlaPolicy:
    response_working_hours: float = 8  # 8小时响应（签收）
    # Reply clock per kind × urgency in working days; the ``None`` row applies to every kind
    # without a row of its own.
    reply_working_days: dict[Kind | None, dict[Urgency, int]] = field(
        default_factory=_default_reply_days
    )
    reply_cap_working_days: int = 30  # no reply clock, extension included, runs longer
    return_window_working_days: int = 2  # 退回时限
    extension_max_working_days: int = 10  # 延期上限
    extensions_allowed: int = 1
    rating_window_days: int = 7  # 评价期（自然日）
    reopens_before_escalation: int = 2  # 重办两次后转总平台
    ladder: tuple[Rung, ...] = DEFAULT_LADDER

    def reply_days(self, urgency: Urgency, kind: Kind | None = None) -> int:
        row = self.reply_working_days.get(kind) or self.reply_working_days[None]
        return row.get(urgency, self.reply_working_days[None][urgency])

    def co_input_days(self, urgency: Urgency, kind: Kind | None = None) -> int:
        """Co-handlers owe their input a working day before the lead's reply is due."""
        return max(1, self.reply_days(urgency, kind) - 1)


DEFAULT_POLICY = SlaPolicy()
