"""The platform's fixed vocabulary: kinds of 诉求, urgencies, reply outcomes, ratings,
rejection reasons. Codes are stored; labels are shown. Districts and categories belong to a
deployment and live in its settings (``functions.storage.settings_store``)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"
    HELP = "help"
    PRAISE = "praise"


KIND_LABELS = {
    Kind.CONSULTATION: "咨询",
    Kind.SUGGESTION: "建议",
    Kind.COMPLAINT: "投诉",
    Kind.HELP: "求助",
    Kind.PRAISE: "感谢",
}

KIND_HINTS = {
    Kind.CONSULTATION: "想了解政策规定、办事流程或办理条件",
    Kind.SUGGESTION: "对城市管理和公共服务提出改进意见",
    Kind.COMPLAINT: "反映单位或个人损害您权益、违反规定的问题",
    Kind.HELP: "生活中遇到困难，需要政府部门帮助解决",
    Kind.PRAISE: "对部门或工作人员的工作表示感谢",
}


class Urgency(StrEnum):
    URGENT = "urgent"
    GENERAL = "general"
    COMPLEX = "complex"


URGENCY_LABELS = {Urgency.URGENT: "紧急", Urgency.GENERAL: "一般", Urgency.COMPLEX: "复杂"}


class Outcome(StrEnum):
    RESOLVED = "resolved"
    EXPLAINED = "explained"
    SCHEDULED = "scheduled"


OUTCOME_LABELS = {
    Outcome.RESOLVED: "已解决",
    Outcome.EXPLAINED: "已解释说明",
    Outcome.SCHEDULED: "列入计划",
}


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


RATING_LABELS = {
    Rating.SATISFIED: "满意",
    Rating.BASICALLY_SATISFIED: "基本满意",
    Rating.UNSATISFIED: "不满意",
}


class RejectReason(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    DUPLICATE = "duplicate"
    ABUSIVE = "abusive"
    SPAM = "spam"
    INSUFFICIENT = "insufficient"


REJECT_REASON_LABELS = {
    RejectReason.OUT_OF_SCOPE: "不属于受理范围",
    RejectReason.DUPLICATE: "重复诉求",
    RejectReason.ABUSIVE: "含辱骂等不当内容",
    RejectReason.SPAM: "垃圾信息",
    RejectReason.INSUFFICIENT: "诉求内容不清",
}


class Channel(StrEnum):
    WEB = "web"
    HOTLINE = "hotline"
    MAILBOX = "mailbox"
    OPEN311 = "open311"
    MAIL = "mail"  # 市长信箱 by e-mail (functions/services/mailbox.py)


CHANNEL_LABELS = {
    Channel.WEB: "网站留言",
    Channel.HOTLINE: "热线电话",
    Channel.MAILBOX: "信箱来信",
    Channel.OPEN311: "开放接口",
    Channel.MAIL: "市长信箱（邮件）",
}


def pairs(labels: dict[StrEnum, str]) -> list[dict[str, str]]:
    return [{"code": str(code), "label": label} for code, label in labels.items()]
