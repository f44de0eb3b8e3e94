"""知识库 (§16): entries that answer common 咨询, their search, and units' reply templates.

An entry is a question and its answer, with a category, the unit the answer comes from, the
dates it holds (``valid_from`` … ``valid_until``, Shanghai dates, both inclusive, either open)
and whether the public may read it (``public``) or only staff (internal: a draft, or wording
for staff answering by phone). Entries are never deleted: an outdated one is retired.

Search ranks entries by shared character bigrams of the normalised text (the same
normalisation as the similar cases of issue 11), each bigram weighted by its inverse document
frequency over the entries searched, a bigram of the question counting three times one of
the answer. Bigrams rather than single characters: a question names a thing in two or more
characters (公积金, 医保, 落户), and single characters match nearly every entry. A query of one
character is searched as that character. The set searched is small (hundreds to a few
thousand entries: a city's FAQ), read whole from one partition and kept for a minute by the
service; ranking 3 000 entries takes a few milliseconds (docs/ARCHITECTURE.md).

Reply templates: a unit's stock replies with placeholders ({编号} {标题} {受理日期} {交办日期}
{答复期限} {今天}) filled from the case on the handling page; the filled text is the unit's
draft, which the reply's own rules (minimum length, 答复审核) then judge like any other.

Pure: no storage, no clock."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from functions.domain.calendar import local_date
from functions.domain.errors import invalid_field
from functions.domain.similarity import normalise

QUESTION_WEIGHT = 3.0  # a bigram of the question counts this many times one of the answer
MAX_RESULTS = 10
SNIPPET_CHARS = 80
MIN_SCORE_SHARE = 0.34  # an entry must match at least this share of the query's weight


@dataclass
class Entry:
    """One 知识库 entry; ``version`` counts its changes (the condition of every write)."""

    kb_id: str
    question: str
    answer: str
    category: str
    source_unit: str  # the unit the answer comes from (its name: may be outside the directory)
    public: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 1
    valid_from: date | None = None
    valid_until: date | None = None
    retired_at: datetime | None = None
    retired_by: str | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def live(self, now: datetime) -> bool:
        """Not retired and valid today (Shanghai)."""
        return not self.retired and self.valid_on(local_date(now))

    def shown_publicly(self, now: datetime) -> bool:
        return self.shown_on(local_date(now))

    def shown_on(self, day: date) -> bool:
        """What the public may read on ``day``: public, not retired, valid that day."""
        return self.public and not self.retired and self.valid_on(day)


EDITABLE = ("question", "answer", "category", "source_unit", "public", "valid_from", "valid_until")


def dates(body: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """``valid_from``/``valid_until`` of a request body: calendar dates, from ≤ until."""
    out: list[date | None] = []
    for name in ("valid_from", "valid_until"):
        raw = body.get(name)
        if not raw:
            out.append(None)
            continue
        try:
            out.append(date.fromisoformat(raw))
        except ValueError:
            raise invalid_field(
                name, f"日期无效：{raw}", "must be a real date YYYY-MM-DD"
            ) from None
    start, end = out
    if start and end and end < start:
        raise invalid_field("valid_until", "失效日期不能早于生效日期", "valid_until < valid_from")
    return start, end


def gram_set(text: str) -> frozenset[str]:
    """The distinct bigrams of the normalised text (as :func:`bigrams`, without counting)."""
    plain = normalise(text)
    return frozenset(plain) if len(plain) < 2 else frozenset(map(str.__add__, plain, plain[1:]))


def bigrams(text: str) -> Counter[str]:
    """The character bigrams of the normalised text (a one-character text: that character)."""
    plain = normalise(text)
    if len(plain) < 2:
        return Counter(plain)
    return Counter(plain[i : i + 2] for i in range(len(plain) - 1))


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    snippet: str


@dataclass
class Index:
    """The entries searched with their bigrams (the question's counted, the answer's as a
    set), made once per set (the service keeps it). A query checks its few bigrams against
    each entry: a few milliseconds for 3 000 entries, where an inverted index cost several
    times more to build (once a minute per process) than it saved (docs/ARCHITECTURE.md)."""

    entries: Sequence[Entry]
    grams: list[tuple[Counter[str], frozenset[str]]] = field(default_factory=list)
    df: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Index:
        kept = list(entries)
        index = cls(kept)
        for e in kept:
            q, a = bigrams(e.question), gram_set(e.answer)
            index.grams.append((q, a))
            index.df.update(a.union(q))
        return index

    def idf(self, gram: str) -> float:
        n = len(self.entries)
        return math.log(1 + (n + 1) / (self.df.get(gram, 0) + 0.5))

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        keep: Callable[[Entry], bool] | None = None,
        limit: int = MAX_RESULTS,
    ) -> list[Hit]:
        """The entries matching ``query`` best first (ties: the newer change first), of
        ``category`` when given, among those ``keep(entry)`` admits. An empty query lists
        the kept entries of the category, newest first."""

        def wanted_entry(e: Entry) -> bool:
            return (category is None or e.category == category) and (keep is None or keep(e))

        wanted = [(g, self.idf(g)) for g in set(bigrams(query)) if g in self.df]
        if not query.strip() or not bigrams(query):
            kept = sorted(
                (e for e in self.entries if wanted_entry(e)),
                key=lambda e: e.updated_at,
                reverse=True,
            )
            return [Hit(e, 0.0, snippet(e.answer, "")) for e in kept[:limit]]
        # A bigram no entry holds still counts in the whole: 天气预报 matches nothing.
        total = sum(self.idf(g) for g in set(bigrams(query)))
        hits = []
        for e, (q, a) in zip(self.entries, self.grams, strict=True):
            matched = score = 0.0
            for g, w in wanted:
                in_q = q.get(g, 0)
                if in_q or g in a:
                    matched += w
                    score += w * (QUESTION_WEIGHT * min(in_q, 2) + (g in a))
            if matched and matched >= MIN_SCORE_SHARE * total and wanted_entry(e):
                hits.append(Hit(e, round(score / total, 3), ""))
        hits.sort(key=lambda h: (-h.score, -h.entry.updated_at.timestamp(), h.entry.kb_id))
        return [Hit(h.entry, h.score, snippet(h.entry.answer, query)) for h in hits[:limit]]


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first place the query's first bigram found occurs
    (else its start), with an ellipsis where cut."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= width:
        return flat
    at = -1
    for gram in bigrams(query):
        at = flat.lower().find(gram)
        if at >= 0:
            break
    start = max(0, min(at - width // 4, len(flat) - width)) if at >= 0 else 0
    cut = flat[start : start + width]
    return ("…" if start else "") + cut + ("…" if start + width < len(flat) else "")


# --- reply templates -------------------------------------------------------------------------

PLACEHOLDERS = ("编号", "标题", "受理日期", "交办日期", "答复期限", "今天")
MAX_TEMPLATES = 20
_PLACEHOLDER = re.compile(r"\{([^{}]{1,8})\}")


@dataclass(frozen=True)
class Template:
    name: str
    text: str


def check_templates(raw: Sequence[Mapping[str, str]]) -> list[Template]:
    """A unit's templates from a request body: unique names, only known placeholders."""
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw):
        name, text = item["name"].strip(), item["text"].strip()
        if name in seen:
            raise invalid_field(f"templates[{i}].name", "模板名称重复", "duplicate name")
        seen.add(name)
        unknown = [p for p in _PLACEHOLDER.findall(text) if p not in PLACEHOLDERS]
        known = "、".join("{" + p + "}" for p in PLACEHOLDERS)
        if unknown:
            raise invalid_field(
                f"templates[{i}].text",
                f"未知的占位符：{{{unknown[0]}}}（可用：{known}）",
                f"unknown placeholder {unknown[0]}",
            )
        out.append(Template(name, text))
    return out


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value (unknown ones are left)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _day(instant: datetime | None) -> str:
    if instant is None:
        return ""
    d = local_date(instant)
    return f"{d.year}年{d.month}月{d.day}日"


def case_values(
    case_id: str,
    title: str,
    accepted_at: datetime | None,
    assigned_at: datetime | None,
    reply_due_at: datetime | None,
    now: datetime,
) -> dict[str, str]:
    """The placeholders' values for one case (dates as 2026年3月5日, Shanghai)."""
    return {
        "编号": case_id,
        "标题": title,
        "受理日期": _day(accepted_at),
        "交办日期": _day(assigned_at),
        "答复期限": _day(reply_due_at),
        "今天": _day(now),
    }
