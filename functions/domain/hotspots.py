"""舆情 hotspots (§16): the terms of new reports, counted per day × district × category, and
bursts of a series well above its own baseline.

Terms. jieba is not installed and a word list would need upkeep; a report's terms are the
character bigrams and trigrams of its text (title and the start of its content, normalised
as in ``similarity``), within runs of ideographs, without any n-gram holding a function
character (的, 了, 请 …) and without the stop list of words every report has (反映, 问题, 希望 …).
A term counts once per report (how many reports say it, not how often). The n-grams of one
phrase (停水: 停水; 自来水: 自来, 来水, 自来水) rise together in a burst: ``merge_terms`` folds
the n-grams a longer one contains, and one warning names the phrase.

The statistic. A series is (district, category, term) or (district, term) over all
categories. On day D its count ``x`` is the reports of D so far; its baseline ``λ`` the mean
daily count over the ``BASELINE_DAYS`` days before D, never below ``BASELINE_FLOOR`` (a term
never seen is not infinitely surprising). A burst is a series with ``x ≥ MIN_COUNT``,
``x ≥ MIN_RATIO · λ`` and a Poisson tail ``P(X ≥ x | λ) ≤ MAX_P``: all three, so a quiet
series needs a real crowd (the minimum count), a busy one a real jump (the ratio), and the
test stays meaningful in between. Counts of a partial day are compared with whole days'
baseline: a burst is found as early as its count allows, never by extrapolation.

Pure: no storage, no clock."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from functions.domain.similarity import FUNCTION_CHARS, TEXT_CHARS, Report, compare, normalise

SCHEME = "t1"  # names the segmentation below: tallies of another scheme do not mix
NGRAMS = (2, 3)
# The start of the content a citizen says what and where in (twice similarity's: a burst's
# words may come after the place); the title is taken whole.
CONTENT_CHARS = TEXT_CHARS * 2
# Characters that end a phrase as well as the function characters: a term holding one is
# not a term (一 个 … also make poor terms).
STOP_CHARS = FUNCTION_CHARS | frozenset("一不没要能会到上下来去说过着得地中以从自于向")
# Words of nearly every report: a burst of them says nothing.
_STOP_WORDS = """
    反映 问题 希望 解决 相关 部门 尽快 处理 情况 请求 要求 投诉 咨询 建议 市民 居民 群众 政府
    领导 你好 谢谢 感谢 目前 现在 今天 昨天 最近 一直 多次 非常 严重 影响 生活 出行 附近 周边
    工作 时间 能否 是否 怎么 如何 什么 为什么 可以 没有 不能 已经 还是 这个 那个 小区 业主 街道
    社区 路段"""
STOP_TERMS = frozenset(_STOP_WORDS.split())
# 自 is a stop character for bigrams (自己, 自从) but starts the trigram of 自来水: trigrams
# only drop a function character, so the longer phrase survives.
_IDEOGRAPH_RUN = re.compile(r"[\u4e00-\u9fff]+")

BASELINE_DAYS = 28
MIN_COUNT = 8  # reports of the day
MIN_RATIO = 4.0  # times the baseline's daily rate
MAX_P = 1e-4  # Poisson tail at the baseline rate
BASELINE_FLOOR = 0.25  # reports a day: a series never seen counts as this quiet
TOP_TERMS = 5  # terms a warning names
# A shorter n-gram folds into a longer one containing it when its count is at most this much
# above the longer one's (自来 … in 自来水, not 水 of every water report).
FOLD_SLACK = 1.25
# A term kept in a day's tally item: at most this many terms per (day, district, category);
# past it, the terms seen once go first (they cannot make a burst that day).
MAX_TERMS_PER_ITEM = 1500
ALL_CATEGORIES = "*"
SAME_CASES = 0.5  # share of the reports behind two bursts that makes them one


def terms(title: str, content: str) -> frozenset[str]:
    """The terms of one report (each once)."""
    text = normalise(f"{title}。{content[:CONTENT_CHARS]}")
    found: set[str] = set()
    for run in _IDEOGRAPH_RUN.findall(text):
        for n in NGRAMS:
            stops = STOP_CHARS if n == 2 else FUNCTION_CHARS
            for i in range(len(run) - n + 1):
                gram = run[i : i + n]
                if gram in STOP_TERMS or any(ch in stops for ch in gram):
                    continue
                found.add(gram)
    return frozenset(found)


def add_terms(counts: dict[str, int], found: Iterable[str]) -> None:
    for term in found:
        counts[term] = counts.get(term, 0) + 1


def prune(counts: Mapping[str, int], limit: int = MAX_TERMS_PER_ITEM) -> dict[str, int]:
    """At most ``limit`` terms, the most counted kept (rare terms go first, then by term so
    the result does not depend on the order counts came in)."""
    if len(counts) <= limit:
        return dict(counts)
    kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return dict(kept)


# --- the statistic ---------------------------------------------------------------------


def poisson_tail(x: int, rate: float) -> float:
    """P(X ≥ x) for X ~ Poisson(rate), summed in log space (stable for large x)."""
    if x <= 0:
        return 1.0
    # 1 - P(X ≤ x-1); for the tails that matter (small), sum the upper terms directly.
    log_term = -rate + x * math.log(rate) - math.lgamma(x + 1)
    total, k, term = 0.0, x, math.exp(log_term)
    while term > 1e-300 and k < x + 1000:
        total += term
        k += 1
        term *= rate / k
        if term < total * 1e-15:
            break
    return min(1.0, total)


@dataclass(frozen=True)
class Score:
    """One series' day against its baseline."""

    count: int
    baseline: float  # reports a day over the baseline days (before the floor)
    p_value: float

    @property
    def ratio(self) -> float:
        return self.count / max(self.baseline, BASELINE_FLOOR)


def score(count: int, history: Sequence[int]) -> Score:
    """``history``: the series' daily counts over the baseline days (missing days 0)."""
    baseline = sum(history) / BASELINE_DAYS
    return Score(count, baseline, poisson_tail(count, max(baseline, BASELINE_FLOOR)))


def is_burst(t: Score) -> bool:
    return t.count >= MIN_COUNT and t.ratio >= MIN_RATIO and t.p_value <= MAX_P


@dataclass(frozen=True)
class Series:
    district: str
    category: str  # ALL_CATEGORIES: the district's reports of every category
    term: str


@dataclass(frozen=True)
class Burst:
    """One phrase's burst in one place: the series that burst, folded (``terms`` the top
    ones, most counted first) and the statistic of the strongest."""

    district: str
    category: str
    terms: tuple[str, ...]
    score: Score
    lead: str = field(default="")  # the strongest series' term: the burst's name

    @property
    def count(self) -> int:
        return self.score.count


def merge_terms(bursting: Mapping[str, int]) -> list[list[str]]:
    """Groups of bursting terms that are one phrase: terms that overlap (share a character,
    transitively) go together. Each
    group is ordered longest-first-then-most-counted, a shorter n-gram folded away when a
    longer term holding it is about as counted (FOLD_SLACK)."""
    names = sorted(bursting, key=lambda t: (-bursting[t], -len(t), t))
    parent = {t: t for t in names}

    def root(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if _overlap(a, b):
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for t in names:
        groups.setdefault(root(t), []).append(t)
    merged: list[list[str]] = []
    for members in groups.values():
        kept = [
            t
            for t in members
            if not any(
                len(o) > len(t) and t in o and bursting[t] <= bursting[o] * FOLD_SLACK
                for o in members
            )
        ]
        merged.append(sorted(kept, key=lambda t: (-bursting[t], -len(t), t)))
    merged.sort(key=lambda g: (-bursting[g[0]], g[0]))
    return merged


def _overlap(a: str, b: str) -> bool:
    """Two terms share a character: in one place and day, the n-grams of one phrase and the
    words said with it (停水, 自来水, 水压 …). Two unrelated bursts in one place on one day
    sharing a character would be named together: rare, and then still one warning to read."""
    return bool(set(a) & set(b))


def bursts(
    today: Mapping[str, int], history: Mapping[str, Sequence[int]], district: str, category: str
) -> list[Burst]:
    """The bursts of one place's day: ``today`` its terms' counts, ``history`` each term's
    daily counts over the baseline days. One ``Burst`` per phrase."""
    tested = {term: score(n, history.get(term, ())) for term, n in today.items() if n >= MIN_COUNT}
    hot = {term: t for term, t in tested.items() if is_burst(t)}
    found = []
    for group in merge_terms({term: t.count for term, t in hot.items()}):
        strongest = min(group, key=lambda term: (hot[term].p_value, -hot[term].count, term))
        found.append(Burst(district, category, tuple(group[:TOP_TERMS]), hot[strongest], strongest))
    return found


def combine(place_bursts: Iterable[Burst]) -> list[Burst]:
    """A district's bursts of one day, its categories' and its all-categories' series
    together: a phrase bursting in one category and in the district's total is one burst
    (the category's: it says more); one bursting only in the total (spread over several
    categories) stays the district's."""
    by_category = [b for b in place_bursts if b.category != ALL_CATEGORIES]
    overall = [b for b in place_bursts if b.category == ALL_CATEGORIES]
    kept = list(by_category)
    for b in overall:
        if not any(b.district == c.district and set(b.terms) & set(c.terms) for c in kept):
            kept.append(b)
    return kept


def same_burst(a_terms: Iterable[str], b_terms: Iterable[str]) -> bool:
    """Two warnings' terms name one burst when any term of one overlaps one of the other."""
    return any(_overlap(a, b) for a in a_terms for b in b_terms)


def same_cases(a: set[str], b: set[str]) -> bool:
    """Two bursts of one place are one when most reports behind the smaller are behind the
    other too (the same outage said in other words: 通知, 恢复供水 …)."""
    return bool(a and b) and len(a & b) >= SAME_CASES * min(len(a), len(b))


# --- the cases behind ------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    case_id: str
    title: str
    content: str


def behind(burst_terms: Sequence[str], cases: Iterable[Candidate]) -> list[Candidate]:
    """The reports that say one of the burst's terms."""
    wanted = set(burst_terms)
    return [c for c in cases if wanted & terms(c.title, c.content)]


def clusters(cases: Sequence[Candidate]) -> list[list[Candidate]]:
    """Near-identical reports together (the similarity of issue 11, greedy: a report joins
    the first cluster whose first report it matches), the largest cluster first."""
    groups: list[tuple[Report, list[Candidate]]] = []
    for c in cases:
        report = Report(c.title, c.content)
        for head, members in groups:
            if compare(head, report) is not None:
                members.append(c)
                break
        else:
            groups.append((report, [c]))
    return sorted((m for _, m in groups), key=lambda m: -len(m))
