"""附议 that counts (§14): the thresholds that raise a case's priority, the window they count in,
and the steps the 热议 index follows. Pure: the counts come in as arguments (per Shanghai day,
from the case's support shards), the thresholds as a checked value of the settings document
``support-thresholds``.

Two levels, each crossed at most once per case:

- ``ATTENTION`` (群众关注): ``attention.supports`` supports within ``attention.days`` days flag
  the case in the queue, on the board and on its page, and tell the coordinators once;
- ``LEADER``: ``leader.supports`` within ``leader.days`` days tell the lead department's leader
  (the 黄牌 contact of the reminder ladder) once. Reaching it reaches ``ATTENTION`` too.

A category may override either threshold (``categories.<code>.attention`` / ``.leader``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from functions.domain.errors import FieldError

ATTENTION = 1  # 群众关注
LEADER = 2  # … and the lead department's leader told
LEVEL_NAMES = {ATTENTION: "attention", LEADER: "leader"}
LEVEL_LABELS = {ATTENTION: "群众关注", LEADER: "已提请承办单位负责人关注"}

# A window longer than this is not counted: the per-day counts of older days are never read.
MAX_WINDOW_DAYS = 30
SUPPORTS_LIMITS = (1, 100_000)  # schemas/admin-support-thresholds.json states the same

# The 热议 index (functions/storage/supports_repo.py) is written when a case's count reaches a
# new step, not on every support: every count up to EXACT_UP_TO, then every 10 up to 1000,
# then every 100.
EXACT_UP_TO = 100


@dataclass(frozen=True)
class Threshold:
    supports: int  # this many supports …
    days: int  # … within this many days (today, Shanghai, and the days before it)


@dataclass(frozen=True)
class SupportThresholds:
    attention: Threshold = Threshold(30, 7)
    leader: Threshold = Threshold(100, 7)
    # Per category: its own threshold for a level ("attention" / "leader"); the rest default.
    categories: Mapping[str, Mapping[str, Threshold]] = field(default_factory=dict)

    def for_category(self, category: str) -> dict[int, Threshold]:
        own = self.categories.get(category, {})
        return {
            ATTENTION: own.get("attention", self.attention),
            LEADER: own.get("leader", self.leader),
        }


DEFAULT_THRESHOLDS = SupportThresholds()


def step(total: int) -> int:
    """The 热议 step a count has reached: the count itself up to ``EXACT_UP_TO``, then rounded
    down to 10 up to 1000, to 100 above (the index is written at most ~300 times for a case of
    10 000 supports)."""
    if total <= EXACT_UP_TO:
        return max(total, 0)
    if total <= 1000:
        return total // 10 * 10
    return total // 100 * 100


def window_count(days: Mapping[date, int], today: date, window_days: int) -> int:
    """The supports of the ``window_days`` days ending with ``today`` (today included)."""
    first = today - timedelta(days=window_days - 1)
    return sum(n for day, n in days.items() if first <= day <= today)


@dataclass(frozen=True)
class Reached:
    """The highest level the counts reach, with each level's count in its own window."""

    level: int
    counts: dict[int, int]
    thresholds: dict[int, Threshold]


def reached(
    thresholds: SupportThresholds, category: str, days: Mapping[date, int], today: date
) -> Reached:
    own = thresholds.for_category(category)
    counts = {level: window_count(days, today, t.days) for level, t in own.items()}
    level = max(
        (lv for lv, t in own.items() if counts[lv] >= t.supports),
        default=0,
    )
    return Reached(level, counts, own)


# -- the stored document ---------------------------------------------------------------------

LABELS = {"attention": "群众关注阈值", "leader": "告知单位负责人阈值"}


def _threshold_dict(t: Threshold) -> dict[str, int]:
    return {"supports": t.supports, "days": t.days}


def thresholds_to_dict(value: SupportThresholds) -> dict[str, Any]:
    return {
        "attention": _threshold_dict(value.attention),
        "leader": _threshold_dict(value.leader),
        "categories": {
            code: {name: _threshold_dict(t) for name, t in sorted(own.items())}
            for code, own in sorted(value.categories.items())
        },
    }


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _threshold(raw: Any, path: str, label: str, problems: list[FieldError]) -> Threshold | None:
    if not isinstance(raw, Mapping):
        problems.append(FieldError(path, f"{label}格式不正确", "must be an object"))
        return None
    before = len(problems)
    supports, days = _whole(raw.get("supports")), _whole(raw.get("days"))
    lo, hi = SUPPORTS_LIMITS
    if supports is None or not lo <= supports <= hi:
        problems.append(
            FieldError(
                f"{path}.supports",
                f"{label}的附议人数应为 {lo}–{hi} 之间的整数",
                f"must be a whole number {lo}–{hi}",
            )
        )
    if days is None or not 1 <= days <= MAX_WINDOW_DAYS:
        problems.append(
            FieldError(
                f"{path}.days",
                f"{label}的统计天数应为 1–{MAX_WINDOW_DAYS} 之间的整数",
                f"must be a whole number 1–{MAX_WINDOW_DAYS}",
            )
        )
    if len(problems) > before or supports is None or days is None:
        return None
    return Threshold(supports, days)


def _ordered(
    attention: Threshold, leader: Threshold, path: str, problems: list[FieldError]
) -> bool:
    if leader.supports > attention.supports:
        return True
    problems.append(
        FieldError(
            f"{path}leader.supports",
            f"告知单位负责人的附议人数须多于群众关注的附议人数（{attention.supports}）",
            f"must exceed the attention threshold's supports ({attention.supports})",
        )
    )
    return False


def parse_thresholds(
    data: Mapping[str, Any], categories: Collection[str] | None = None
) -> tuple[SupportThresholds, list[FieldError]]:
    """The thresholds a document states, and its problems by field. A stored document is read
    leniently (a part with a problem keeps its default); an admin's PUT with any problem is
    refused. ``categories``: the taxonomy's codes an override may name (None: not checked)."""
    problems: list[FieldError] = []
    base = DEFAULT_THRESHOLDS
    attention = base.attention
    leader = base.leader
    if "attention" in data:
        attention = _threshold(data["attention"], "attention", LABELS["attention"], problems) or (
            base.attention
        )
    if "leader" in data:
        leader = _threshold(data["leader"], "leader", LABELS["leader"], problems) or base.leader
    if not _ordered(attention, leader, "", problems):
        attention, leader = base.attention, base.leader
    own: dict[str, dict[str, Threshold]] = {}
    raw_categories = data.get("categories", {})
    if not isinstance(raw_categories, Mapping):
        problems.append(FieldError("categories", "分类阈值格式不正确", "must be an object"))
        raw_categories = {}
    for code, raw in raw_categories.items():
        path = f"categories.{code}"
        if categories is not None and code not in categories:
            problems.append(FieldError(path, f"未知的分类：{code}", f"unknown category {code}"))
            continue
        if not isinstance(raw, Mapping):
            problems.append(FieldError(path, "分类阈值格式不正确", "must be an object"))
            continue
        parsed: dict[str, Threshold] = {}
        for name in raw:
            if name not in LABELS:
                problems.append(
                    FieldError(f"{path}.{name}", f"未知的阈值：{name}", f"unknown level {name}")
                )
                continue
            found = _threshold(raw[name], f"{path}.{name}", LABELS[name], problems)
            if found is not None:
                parsed[name] = found
        if not parsed:
            continue
        effective = {"attention": attention, "leader": leader, **parsed}
        if _ordered(effective["attention"], effective["leader"], f"{path}.", problems):
            own[code] = parsed
    return SupportThresholds(attention, leader, own), problems
