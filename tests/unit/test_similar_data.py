"""The data the similar-cases detector (DESIGN §14) is tuned and benchmarked on: the labelled
pairs in tests/data/similar_pairs.jsonl and the corpus of tests/similar_corpus.py. Both
speak of the demo city (infra/demo): its districts, its categories, points inside the
district they name."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from functions.domain import geo
from tests.similar_corpus import reports

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "data" / "similar_pairs.jsonl"
CITY = json.loads((ROOT / "infra" / "demo" / "city.json").read_text())
BOUNDS = geo.boundaries(json.loads((ROOT / "infra" / "demo" / "districts.geojson").read_text()))
DISTRICTS = {d["code"] for d in CITY["districts"]}
CATEGORIES = {c["code"] for c in CITY["categories"]}
KINDS = {  # kind: (label, at least this many pairs)
    "paraphrase": ("same", 90),
    "same_place_other_problem": ("different", 50),
    "same_problem_other_place": ("different", 50),
    "unrelated": ("different", 40),
    "template": ("different", 20),
}
REPORT_KEYS = {"title", "content", "district", "category", "lat", "lng"}


def _pairs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


def _point(report: dict[str, Any]) -> tuple[float, float] | None:
    return None if report["lat"] is None else (report["lat"], report["lng"])


def _check_report(report: dict[str, Any], where: str) -> None:
    assert set(report) >= REPORT_KEYS, where
    assert 8 <= len(report["title"]) <= 40, (where, report["title"])
    assert 30 <= len(report["content"]) <= 300, (where, len(report["content"]))
    assert report["district"] in DISTRICTS, where
    assert report["category"] in CATEGORIES, where
    assert (report["lat"] is None) == (report["lng"] is None), where
    point = _point(report)
    if point is not None:  # 市本级 has no boundary: a city-level report has no point
        assert geo.district_at(BOUNDS, *point) == report["district"], (where, point)


def test_every_labelled_pair_is_two_valid_reports_of_the_demo_city() -> None:
    pairs = _pairs()
    assert len(pairs) >= 260
    assert len({p["id"] for p in pairs}) == len(pairs)
    for pair in pairs:
        assert set(pair) == {"id", "label", "kind", "a", "b"}, pair["id"]
        assert pair["label"] == KINDS[pair["kind"]][0], pair["id"]
        _check_report(pair["a"], f"{pair['id']}.a")
        _check_report(pair["b"], f"{pair['id']}.b")
        assert pair["a"] != pair["b"], pair["id"]


def test_each_kind_of_pair_is_there_in_the_numbers_tuning_needs() -> None:
    counts = Counter(p["kind"] for p in _pairs())
    assert set(counts) == set(KINDS)
    for kind, (_label, least) in KINDS.items():
        assert counts[kind] >= least, (kind, counts[kind])


def test_a_paraphrase_is_near_its_pair_and_the_same_problem_elsewhere_is_far() -> None:
    for pair in _pairs():
        a, b = _point(pair["a"]), _point(pair["b"])
        if pair["kind"] == "paraphrase":
            assert pair["a"]["district"] == pair["b"]["district"], pair["id"]
            if a and b:
                assert geo.distance_m(a, b) <= 150, pair["id"]
        elif pair["kind"] == "same_problem_other_place" and a and b:
            assert geo.distance_m(a, b) >= 1500, pair["id"]


def test_the_corpus_is_the_same_for_a_seed_and_another_for_another() -> None:
    first = list(reports(2000))
    assert first == list(reports(2000))
    assert first != list(reports(2000, seed=8))
    assert list(reports(50)) == first[:50]


def test_the_corpus_holds_valid_mostly_distinct_reports_and_some_paraphrases() -> None:
    corpus = list(reports(2000))
    assert len(corpus) == 2000
    for n, report in enumerate(corpus):
        assert set(report) == {*REPORT_KEYS, "paraphrase_of"}
        _check_report(report, f"report {n}")
    assert len({r["title"] for r in corpus}) >= 0.9 * len(corpus)
    retold = [(n, r) for n, r in enumerate(corpus) if r["paraphrase_of"] is not None]
    assert 0.02 * len(corpus) <= len(retold) <= 0.08 * len(corpus)
    for n, report in retold:
        original = corpus[report["paraphrase_of"]]
        assert report["paraphrase_of"] < n and original["paraphrase_of"] is None
        assert (original["district"], original["category"]) == (
            report["district"],
            report["category"],
        )
        assert report["content"] != original["content"]
        a, b = _point(report), _point(original)
        if a and b:
            assert geo.distance_m(a, b) <= 150


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_keep_the_titles_mostly_distinct(seed: int) -> None:
    corpus = list(reports(2000, seed=seed))
    assert len({r["title"] for r in corpus}) >= 0.9 * len(corpus)
