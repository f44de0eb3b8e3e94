"""The SLA policy (§4): one table of time limits per kind × urgency, the reminder ladder, and
the other limits of the design. An admin edits it (stored as a JSON document); the domain only
ever receives a ``SlaPolicy`` value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.domain.errors import FieldError
from functions.domain.taxonomy import Kind, Urgency

# Who a rung of the ladder writes to.
HANDLER = "handler"  # the department's handler (经办人), by email, with a fresh link
SPOKESPERSON = "spokesperson"  # the department's spokesperson (发言人), email and SMS
LEADER = "leader"  # the department's leader (分管负责人), email
COORDINATOR = "coordinator"  # the central office (总平台): every coordinator account, email
RECIPIENTS = (HANDLER, SPOKESPERSON, LEADER, COORDINATOR)
# Who a rung of the platform's own 受理 ladder writes to: the coordinators of the platform that
# holds the case (functions/services/platforms.py ``holder_coordinators``), and the admins.
ADMIN = "admin"
TRIAGE_RECIPIENTS = (COORDINATOR, ADMIN)


@dataclass(frozen=True)
class Rung:
    """One step of the reminder ladder of a running deadline.

    ``trigger`` is ``"used"`` (``amount`` is the fraction of the deadline's working time used,
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
    Rung(
        "red", "红牌督办", "overdue", 5, (COORDINATOR, LEADER, SPOKESPERSON), sms=True, card="red"
    ),
)


# The platform's own ladder on its 受理 deadline (functions/domain/actions/triage_overdue.py):
# reminded when it is due, 催办 (the admins told too) a working day later.
DEFAULT_TRIAGE_LADDER: tuple[Rung, ...] = (
    Rung("due", "受理超时提醒", "due", 0, (COORDINATOR,)),
    Rung("urge", "受理超时催办", "overdue", 1, (COORDINATOR, ADMIN)),
)


CITY_LEVEL = "city"  # functions/domain/platforms.py CITY: the city's own platform
COUNTY_LEVEL = "county"
NO_REPLY_REVIEW: Mapping[str, frozenset[Kind]] = {
    CITY_LEVEL: frozenset(),
    COUNTY_LEVEL: frozenset(),
}


def _default_reply_days() -> dict[Kind | None, dict[Urgency, int]]:
    return {
        None: {Urgency.URGENT: 2, Urgency.GENERAL: 5, Urgency.COMPLEX: 15},
        # A question is answered faster than a problem is solved.
        Kind.CONSULTATION: {Urgency.URGENT: 1, Urgency.GENERAL: 3, Urgency.COMPLEX: 10},
    }


@dataclass(frozen=True)
class SlaPolicy:
    # 受理时限: working hours the platform holding a new case has to accept, reject or merge it
    triage_working_hours: float = 8
    response_working_hours: float = 8  # 8小时响应（签收）
    # Reply deadline per kind × urgency in working days; the ``None`` row applies to every kind
    # without a row of its own.
    reply_working_days: dict[Kind | None, dict[Urgency, int]] = field(
        default_factory=_default_reply_days
    )
    reply_cap_working_days: int = 30  # no reply deadline, extension included, runs longer
    return_window_working_days: int = 2  # 退回时限
    extension_max_working_days: int = 10  # 延期上限
    extensions_allowed: int = 1
    rating_window_days: int = 7  # 评价期（自然日）
    reopens_before_escalation: int = 2  # 重办两次后转总平台
    info_requests_allowed: int = 2  # 补充材料: how often a lead may ask the citizen
    supplement_working_days: int = 5  # … and how long the citizen has to answer
    ladder: tuple[Rung, ...] = DEFAULT_LADDER
    triage_ladder: tuple[Rung, ...] = DEFAULT_TRIAGE_LADDER  # the platform's own, on 受理
    # 答复审核 (§15): per level of the platform holding a case ("city", "county"), the kinds
    # of case whose replies go up for the platform's review before the citizen reads them.
    reply_review: Mapping[str, frozenset[Kind]] = field(
        default_factory=lambda: dict(NO_REPLY_REVIEW)
    )

    def reviews_replies(self, holder: str, kind: Kind) -> bool:
        """Whether a lead's reply to a case of ``kind`` held by ``holder`` (the city or a
        county platform id) waits for that platform's review."""
        level = CITY_LEVEL if holder == CITY_LEVEL else COUNTY_LEVEL
        return kind in self.reply_review.get(level, frozenset())

    def reply_days(self, urgency: Urgency, kind: Kind | None = None) -> int:
        row = self.reply_working_days.get(kind) or self.reply_working_days[None]
        return row.get(urgency, self.reply_working_days[None][urgency])

    def co_input_days(self, urgency: Urgency, kind: Kind | None = None) -> int:
        """Co-handlers owe their input a working day before the lead's reply is due."""
        return max(1, self.reply_days(urgency, kind) - 1)


DEFAULT_POLICY = SlaPolicy()


# -- the stored document (``sla-policy`` in the settings table) ------------------------------
#
# The policy travels as JSON: ``policy_to_dict`` writes it, ``parse_policy`` reads it back and
# checks every rule. An admin's PUT is refused with the problems as field errors; a document
# already stored is read leniently: a field with a problem keeps its default.

DEFAULT_ROW = "default"  # the ``None`` row of ``reply_working_days`` in JSON
TRIGGERS = ("used", "due", "overdue")
CARDS = ("yellow", "red")

# Bounds (inclusive) an admin may set; schemas/admin-policy.json states the same numbers.
LIMITS: dict[str, tuple[int, int]] = {
    "triage_working_hours": (1, 80),
    "response_working_hours": (1, 80),
    "reply_cap_working_days": (1, 120),
    "return_window_working_days": (0, 10),
    "extension_max_working_days": (1, 10),  # the request schemas allow at most 10
    "extensions_allowed": (0, 5),
    "rating_window_days": (1, 60),
    "reopens_before_escalation": (0, 5),
    "info_requests_allowed": (0, 5),
    "supplement_working_days": (1, 30),
}
REPLY_DAYS_LIMITS = (1, 120)  # each entry, and never above ``reply_cap_working_days``
OVERDUE_LIMITS = (0, 60)  # working days past the deadline (exclusive lower bound)
MAX_RUNGS = 12
_LABELS = {
    "triage_working_hours": "受理时限（工作小时）",
    "response_working_hours": "签收时限（工作小时）",
    "reply_cap_working_days": "答复时限上限（工作日）",
    "return_window_working_days": "退回时限（工作日）",
    "extension_max_working_days": "单次延期上限（工作日）",
    "extensions_allowed": "可延期次数",
    "rating_window_days": "评价期（自然日）",
    "reopens_before_escalation": "转总平台前的重办次数",
    "info_requests_allowed": "可请留言人补充材料次数",
    "supplement_working_days": "留言人补充材料期限（工作日）",
}


def _row_key(kind: Kind | None) -> str:
    return DEFAULT_ROW if kind is None else kind.value


def _rungs(ladder: tuple[Rung, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "label": r.label,
            "trigger": r.trigger,
            "amount": r.amount,
            "recipients": list(r.recipients),
            "sms": r.sms,
            "card": r.card,
        }
        for r in ladder
    ]


def policy_to_dict(policy: SlaPolicy) -> dict[str, Any]:
    """The policy as the JSON document admins read and write."""
    return {
        "triage_working_hours": policy.triage_working_hours,
        "response_working_hours": policy.response_working_hours,
        "reply_working_days": {
            _row_key(kind): {u.value: days for u, days in row.items()}
            for kind, row in policy.reply_working_days.items()
        },
        "reply_cap_working_days": policy.reply_cap_working_days,
        "return_window_working_days": policy.return_window_working_days,
        "extension_max_working_days": policy.extension_max_working_days,
        "extensions_allowed": policy.extensions_allowed,
        "rating_window_days": policy.rating_window_days,
        "reopens_before_escalation": policy.reopens_before_escalation,
        "info_requests_allowed": policy.info_requests_allowed,
        "supplement_working_days": policy.supplement_working_days,
        "ladder": _rungs(policy.ladder),
        "triage_ladder": _rungs(policy.triage_ladder),
        "reply_review": {
            level: [k.value for k in Kind if k in policy.reply_review.get(level, ())]
            for level in (CITY_LEVEL, COUNTY_LEVEL)
        },
    }


def _number(value: Any, *, whole: bool) -> float | None:
    """``value`` as a number (JSON has no int/float split once stored), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if whole and not float(value).is_integer():
        return None
    return int(value) if whole else float(value)


class _Problems:
    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def add(self, path: str, message: str, message_en: str) -> None:
        self.found.append(FieldError(path, message, message_en))

    def out_of_range(self, path: str, label: str, lo: float, hi: float) -> None:
        self.add(
            path, f"{label}应为 {lo:g}–{hi:g} 之间的整数", f"must be a whole number {lo:g}–{hi:g}"
        )


def _limits(data: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (lo, hi) in LIMITS.items():
        if name not in data:
            continue
        hours = name.endswith("_working_hours")
        number = _number(data[name], whole=not hours)
        if number is None or not lo <= number <= hi:
            if hours:
                problems.add(name, f"{_LABELS[name]}应为 {lo}–{hi} 之间的数", f"must be {lo}–{hi}")
            else:
                problems.out_of_range(name, _LABELS[name], lo, hi)
            continue
        values[name] = number
    return values


def _reply_table(
    raw: Any, cap: int, problems: _Problems
) -> dict[Kind | None, dict[Urgency, int]] | None:
    """The kind × urgency table, or None if it has a problem (then the default table holds)."""
    before = len(problems.found)
    if not isinstance(raw, Mapping):
        problems.add("reply_working_days", "答复时限表格式不正确", "must be an object")
        return None
    kinds = {k.value: k for k in Kind}
    urgencies = {u.value: u for u in Urgency}
    table: dict[Kind | None, dict[Urgency, int]] = {}
    lo, hi = REPLY_DAYS_LIMITS
    for key, row in raw.items():
        path = f"reply_working_days.{key}"
        if key != DEFAULT_ROW and key not in kinds:
            problems.add(path, f"未知的诉求类型：{key}", f"unknown kind {key}")
            continue
        if not isinstance(row, Mapping):
            problems.add(path, "答复时限行格式不正确", "must be an object")
            continue
        parsed: dict[Urgency, int] = {}
        for level, value in row.items():
            days = _number(value, whole=True)
            if level not in urgencies:
                problems.add(
                    f"{path}.{level}", f"未知的紧急程度：{level}", f"unknown urgency {level}"
                )
            elif days is None or not lo <= days <= hi:
                problems.out_of_range(f"{path}.{level}", "答复时限（工作日）", lo, hi)
            elif days > cap:
                problems.add(
                    f"{path}.{level}",
                    f"答复时限不能超过答复时限上限 {cap} 个工作日",
                    f"must not exceed the reply cap of {cap} working days",
                )
            else:
                parsed[urgencies[level]] = int(days)
        table[None if key == DEFAULT_ROW else kinds[key]] = parsed
    default_row = raw.get(DEFAULT_ROW, {})
    missing = [
        u.value for u in Urgency if isinstance(default_row, Mapping) and u not in default_row
    ]
    if missing:
        problems.add(
            f"reply_working_days.{DEFAULT_ROW}",
            "默认答复时限须包含紧急、一般、复杂三档",
            f"the default row needs every urgency (missing {', '.join(missing)})",
        )
    return table if len(problems.found) == before else None


@dataclass(frozen=True)
class _LadderKind:
    """What a ladder's rungs may say: a department's may card and text; the platform's own
    受理 ladder writes e-mails to its coordinators and the admins, and cards nobody."""

    field: str
    recipients: tuple[str, ...]
    cards: bool


_DEPARTMENT_LADDER = _LadderKind("ladder", RECIPIENTS, cards=True)
_TRIAGE_LADDER = _LadderKind("triage_ladder", TRIAGE_RECIPIENTS, cards=False)


def _rung(raw: Any, path: str, problems: _Problems, kind: _LadderKind) -> Rung | None:
    before = len(problems.found)
    if not isinstance(raw, Mapping):
        problems.add(path, "提醒规则格式不正确", "must be an object")
        return None
    code, label, trigger = raw.get("code"), raw.get("label"), raw.get("trigger")
    amount = _number(raw.get("amount", 0), whole=False)
    recipients, sms, card = raw.get("recipients"), raw.get("sms", False), raw.get("card")
    if not isinstance(code, str) or not code or len(code) > 32:
        problems.add(f"{path}.code", "请填写规则代码（不超过 32 个字符）", "code is required")
    if not isinstance(label, str) or not label.strip() or len(label) > 40:
        problems.add(f"{path}.label", "请填写规则名称（不超过 40 个字）", "label is required")
    if trigger not in TRIGGERS:
        problems.add(f"{path}.trigger", "触发方式应为 used、due 或 overdue", "unknown trigger")
    elif amount is None:
        problems.add(f"{path}.amount", "触发数值应为数字", "amount must be a number")
    elif trigger == "used" and not 0 < amount < 1:
        problems.add(f"{path}.amount", "已用时限比例应在 0 与 1 之间", "must be between 0 and 1")
    elif trigger == "due" and amount != 0:
        problems.add(f"{path}.amount", "到期提醒的触发数值应为 0", "must be 0 for due")
    elif trigger == "overdue" and not OVERDUE_LIMITS[0] < amount <= OVERDUE_LIMITS[1]:
        problems.add(
            f"{path}.amount",
            f"超期工作日应大于 {OVERDUE_LIMITS[0]} 且不超过 {OVERDUE_LIMITS[1]}",
            f"must be > {OVERDUE_LIMITS[0]} and <= {OVERDUE_LIMITS[1]}",
        )
    if (
        not isinstance(recipients, list)
        or not recipients
        or any(r not in kind.recipients for r in recipients)
        or len(set(recipients)) != len(recipients)
    ):
        problems.add(
            f"{path}.recipients",
            f"接收人应为 {'、'.join(kind.recipients)} 中的一个或多个",
            f"recipients must be distinct values of {kind.recipients}",
        )
    if not isinstance(sms, bool):
        problems.add(f"{path}.sms", "是否发短信应为是/否", "sms must be a boolean")
    elif sms and not kind.cards:
        problems.add(f"{path}.sms", "受理督办只发电子邮件", "the 受理 ladder sends e-mail only")
    if card is not None and not kind.cards:
        problems.add(f"{path}.card", "受理督办不设督办牌", "the 受理 ladder has no cards")
    elif card is not None and card not in CARDS:
        problems.add(
            f"{path}.card", "督办牌应为 yellow、red 或空", "card must be yellow, red or null"
        )
    if len(problems.found) != before:
        return None
    assert isinstance(code, str) and isinstance(label, str) and isinstance(trigger, str)
    assert amount is not None and isinstance(recipients, list)
    return Rung(code, label.strip(), trigger, amount, tuple(recipients), bool(sms), card)


def _ladder(raw: Any, problems: _Problems, kind: _LadderKind) -> tuple[Rung, ...] | None:
    name = kind.field
    if not isinstance(raw, list) or len(raw) > MAX_RUNGS:
        problems.add(name, f"提醒规则应为不超过 {MAX_RUNGS} 条的列表", "must be a short list")
        return None
    before = len(problems.found)
    rungs = [_rung(item, f"{name}.{i}", problems, kind) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, rung in enumerate(rungs):
        if rung is not None and rung.code in seen:
            problems.add(f"{name}.{i}.code", "规则代码重复", "duplicate rung code")
        seen.add(rung.code if rung else "")
    if len(problems.found) != before:
        return None
    return tuple(r for r in rungs if r is not None)


def _reply_review(raw: Any, problems: _Problems) -> dict[str, frozenset[Kind]] | None:
    """答复审核 per level: the kinds reviewed, a list of kind codes; a level left out reviews
    none. ``true`` or ``false`` (every kind or none) is what a document saved before the
    policy went per kind holds, and still reads."""
    levels = (CITY_LEVEL, COUNTY_LEVEL)
    if not isinstance(raw, Mapping):
        problems.add("reply_review", "答复审核设置格式不正确", "must be an object")
        return None
    before = len(problems.found)
    found: dict[str, frozenset[Kind]] = {level: frozenset() for level in levels}
    codes = {k.value for k in Kind}
    for key, value in raw.items():
        where = f"reply_review.{key}"
        if key not in levels:
            problems.add(where, f"未知的平台层级：{key}", f"unknown level {key}")
        elif isinstance(value, bool):
            found[key] = frozenset(Kind) if value else frozenset()
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(where, "审核的诉求类型应为类型列表", "must be a list of kinds")
        elif unknown := [v for v in value if v not in codes]:
            problems.add(where, f"未知的诉求类型：{'、'.join(unknown)}", "unknown kind")
        else:
            found[key] = frozenset(Kind(v) for v in value)
    if len(problems.found) != before:
        return None
    return found


def parse_policy(data: Mapping[str, Any]) -> tuple[SlaPolicy, list[FieldError]]:
    """The policy a document describes, and every problem found in it.

    A missing field keeps its default, so does a field with a problem. Unknown fields are
    ignored here (the request schema refuses them on the way in)."""
    problems = _Problems()
    values = _limits(data, problems)
    cap = values.get("reply_cap_working_days", SlaPolicy.reply_cap_working_days)
    if "reply_working_days" in data:
        table = _reply_table(data["reply_working_days"], cap, problems)
        if table is not None:
            values["reply_working_days"] = table
    in_use = values.get("reply_working_days") or _default_reply_days()
    longest = max(days for row in in_use.values() for days in row.values())
    if cap < longest:  # only when the default table holds: a custom one was checked above
        if "reply_working_days" not in data:  # else the table's own problems say it
            problems.add(
                "reply_cap_working_days",
                f"答复时限上限不能小于答复时限表中最长的 {longest} 个工作日",
                f"must be at least the longest reply deadline ({longest} working days)",
            )
        values.pop("reply_cap_working_days", None)
    if "reply_review" in data:
        review = _reply_review(data["reply_review"], problems)
        if review is not None:
            values["reply_review"] = review
    for kind in (_DEPARTMENT_LADDER, _TRIAGE_LADDER):
        if kind.field in data:
            ladder = _ladder(data[kind.field], problems, kind)
            if ladder is not None:
                values[kind.field] = ladder
    return SlaPolicy(**values), problems.found
