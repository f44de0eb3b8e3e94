"""The SLA policy (§4): one table of time limits per urgency, with the defaults of the design.
Later an admin edits it; the domain only ever receives a ``SlaPolicy`` value."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.domain.taxonomy import Urgency


@dataclass(frozen=True)
class SlaPolicy:
    response_working_hours: float = 8  # 8小时响应（签收）
    reply_working_days: dict[Urgency, int] = field(
        default_factory=lambda: {
            Urgency.URGENT: 2,
            Urgency.GENERAL: 5,
            Urgency.COMPLEX: 15,
        }
    )
    return_window_working_days: int = 2  # 退回时限
    extension_max_working_days: int = 10  # 延期上限
    extensions_allowed: int = 1
    rating_window_days: int = 7  # 评价期（自然日）
    reopens_before_escalation: int = 2  # 重办两次后转总平台

    def reply_days(self, urgency: Urgency) -> int:
        return self.reply_working_days[urgency]

    def co_input_days(self, urgency: Urgency) -> int:
        """Co-handlers owe their input a working day before the lead's reply is due."""
        return max(1, self.reply_days(urgency) - 1)


DEFAULT_POLICY = SlaPolicy()
