"""The auditors' question (§2): which closed and archived cases, by department, district,
kind, category, month range, state, breached deadline, extension, rating and reopening.
Parsing the filter and deciding whether a case matches it are pure; the storage turns the
same filter into index queries (functions/storage/archive_repo.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from functions.domain import lifecycle
from functions.domain.cases import Case, month_key
from functions.domain.errors import FieldError, invalid_fields
from functions.domain.rankings import is_month, previous_month
from functions.domain.taxonomy import Kind, Rating

AUDITED = tuple(s for s in lifecycle.State if s in lifecycle.AUDITED)
MAX_MONTHS = 60  # five years per query; a longer look is several queries or an export
DEFAULT_MONTHS = 12

_CHOICES: dict[str, tuple[str, ...]] = {
    "kind": tuple(k.value for k in Kind),
    "state": tuple(s.value for s in AUDITED),
    "breached": ("any", "none", "triage", "response", "reply"),
    "extension": ("yes", "no"),
    "rating": (*(r.value for r in Rating), "none"),
    "reopened": ("yes", "no"),
}
FIELDS = ("from", "to", "department", "district", "category", *_CHOICES)


@dataclass(frozen=True)
class AuditFilter:
    month_from: str
    month_to: str
    department: str | None = None
    district: str | None = None
    kind: str | None = None
    category: str | None = None
    state: str | None = None
    breached: str | None = None
    extension: str | None = None
    rating: str | None = None
    reopened: str | None = None

    def months(self) -> list[str]:
        """The months of the range, newest first (the order results come in)."""
        found, month = [], self.month_to
        while month >= self.month_from:
            found.append(month)
            month = previous_month(month)
        return found

    def as_dict(self) -> dict[str, str]:
        """The filter as an auditor gave it (``from``/``to`` and the filters set)."""
        out = {"from": self.month_from, "to": self.month_to}
        for name, value in asdict(self).items():
            if value is not None and name not in ("month_from", "month_to"):
                out[name] = value
        return out


def _months_back(month: str, n: int) -> str:
    for _ in range(n):
        month = previous_month(month)
    return month


def parse_filter(
    params: Mapping[str, object],
    *,
    now: datetime,
    departments: Collection[str],
    districts: Collection[str],
    categories: Collection[str],
) -> AuditFilter:
    """Check every parameter and name each bad one (400); unknown names are refused too, so
    a misspelt filter never silently widens an audit."""
    bad: list[FieldError] = []
    values: dict[str, str] = {}
    for name, raw in params.items():
        if name not in FIELDS:
            bad.append(FieldError(name, "不支持的筛选条件", f"unknown filter {name}"))
            continue
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            bad.append(FieldError(name, "应为文本", "must be a string"))
            continue
        values[name] = raw
    this_month = month_key(now)
    month_to = values.pop("to", this_month)
    month_from = values.pop("from", None)
    for name, month in (("to", month_to), ("from", month_from)):
        if month is not None and not is_month(month):
            bad.append(FieldError(name, "月份格式应为 YYYY-MM", "must be YYYY-MM"))
    if month_from is None and is_month(month_to):
        month_from = _months_back(month_to, DEFAULT_MONTHS - 1)
    if is_month(month_from) and is_month(month_to):
        assert month_from is not None
        if month_from > month_to:
            bad.append(FieldError("from", "起始月份不能晚于截止月份", "from is after to"))
        elif month_from < _months_back(month_to, MAX_MONTHS - 1):
            bad.append(
                FieldError(
                    "from",
                    f"一次最多查询 {MAX_MONTHS} 个月",
                    f"at most {MAX_MONTHS} months per query",
                )
            )
    for name, choices in _CHOICES.items():
        if name in values and values[name] not in choices:
            bad.append(FieldError(name, "取值无效", f"must be one of {', '.join(choices)}"))
    known = {"department": departments, "district": districts, "category": categories}
    for name, allowed in known.items():
        if name in values and values[name] not in allowed:
            bad.append(FieldError(name, "没有这个选项", f"unknown {name}"))
    if bad:
        raise invalid_fields(bad)
    assert month_from is not None
    return AuditFilter(month_from, month_to, **values)


def rating_of(case: Case) -> str:
    last = case.last_reply
    return last.rating.value if last and last.rating else "none"


def matches(case: Case, f: AuditFilter) -> bool:
    """Whether a case answers the filter: the definition the index queries must agree with."""
    if case.state not in AUDITED:
        return False
    if not f.month_from <= month_key(case.created_at) <= f.month_to:
        return False
    lead = case.lead.id if case.lead else None
    plain = {
        "department": lead,
        "district": case.district,
        "kind": case.kind.value,
        "category": case.category,
        "state": case.state.value,
        "rating": rating_of(case),
    }
    if any(getattr(f, name) not in (None, value) for name, value in plain.items()):
        return False
    if f.breached == "any" and not case.breaches:
        return False
    if f.breached == "none" and case.breaches:
        return False
    if f.breached in ("triage", "response", "reply") and f.breached not in case.breaches:
        return False
    if f.extension is not None and (case.extensions_used > 0) != (f.extension == "yes"):
        return False
    return f.reopened is None or (case.reopen_count > 0) == (f.reopened == "yes")
