"""舆情 segmentation and burst statistics (functions/domain/hotspots.py): pure."""

from __future__ import annotations

import math

from functions.domain import hotspots as h


def test_terms_are_the_bigrams_and_trigrams_of_ideograph_runs_without_stop_words() -> None:
    found = h.terms("Ｘ小区突然停水！", "自来水公司没有通知，请尽快解决问题。")
    assert {"停水", "自来水", "突然", "通知"} <= found
    assert not found & {"问题", "解决", "尽快", "小区"}  # stop terms
    assert not any(ch in "的了请" for term in found for ch in term)  # function characters
    assert not any("没" in term for term in found if len(term) == 2)  # bigrams' stop characters
    assert all(len(t) in (2, 3) for t in found)
    assert not any(t.isascii() for t in found)  # letters and digits are not terms


def test_a_term_counts_once_per_report() -> None:
    counts: dict[str, int] = {}
    h.add_terms(counts, h.terms("停水停水停水", "又停水了"))
    h.add_terms(counts, h.terms("停水", ""))
    assert counts["停水"] == 2


def test_pruning_keeps_the_most_counted_terms() -> None:
    counts = {"停水": 9, "路灯": 3, "甲乙": 1, "丙丁": 1}
    assert h.prune(counts, limit=3) == {"停水": 9, "路灯": 3, "丙丁": 1}
    assert h.prune(counts, limit=10) == counts


def test_poisson_tail_matches_the_closed_form() -> None:
    rate = 2.0
    below = sum(math.exp(-rate) * rate**k / math.factorial(k) for k in range(5))
    assert math.isclose(h.poisson_tail(5, rate), 1 - below, rel_tol=1e-9)
    assert h.poisson_tail(0, rate) == 1.0
    assert h.poisson_tail(200, 0.25) < 1e-200  # underflows to 0, never errs


def test_a_burst_needs_the_minimum_count_the_ratio_and_the_tail() -> None:
    quiet = [0] * h.BASELINE_DAYS
    assert h.is_burst(h.score(8, quiet))
    assert not h.is_burst(h.score(7, quiet))  # below the minimum count
    busy = [3] * h.BASELINE_DAYS  # three a day usually
    assert not h.is_burst(h.score(10, busy))  # 3.3× the rate: not enough
    assert h.is_burst(h.score(20, busy))
    assert h.score(8, quiet).ratio == 8 / h.BASELINE_FLOOR  # a new term is floored, not infinite


def test_the_ngrams_of_one_phrase_fold_into_one_burst() -> None:
    today = {"停水": 40, "自来水": 30, "来水公": 9, "路灯": 12, "灯不亮": 11}
    found = h.bursts(today, {}, "binhe", "utilities")
    named = sorted(b.terms for b in found)
    assert named == [("停水", "自来水", "来水公"), ("路灯", "灯不亮")]
    water = next(b for b in found if "停水" in b.terms)
    assert water.lead == "停水" and water.count == 40


def test_a_district_total_burst_folds_into_its_category_burst() -> None:
    category = h.Burst("binhe", "utilities", ("停水",), h.score(40, []), "停水")
    total = h.Burst("binhe", "*", ("停水", "自来水"), h.score(45, []), "停水")
    elsewhere = h.Burst("binhe", "*", ("路灯",), h.score(12, []), "路灯")
    assert h.combine([category, total, elsewhere]) == [category, elsewhere]


def test_near_identical_reports_cluster_together() -> None:
    cases = [
        h.Candidate("a", "幸福路停水", "幸福路从早上开始停水"),
        h.Candidate("b", "幸福路停水了", "幸福路早上开始停水"),
        h.Candidate("c", "什么时候恢复供水", "人民路停水到现在"),
    ]
    groups = h.clusters(h.behind(["停水"], cases))
    assert [[c.case_id for c in g] for g in groups] == [["a", "b"], ["c"]]
    assert h.behind(["路灯"], cases) == []
