"""How good the similar-case suggestions are (§14, issue 16 §1): the labelled pairs in
``tests/data/similar_pairs.jsonl`` (the same problem in other words; the same place with
another problem; the same problem elsewhere; unrelated; shared boilerplate) through what
a lookup does, minus storage: a candidate shares a band key (or, with two points, a place
cell), lies in the same district, and ``similarity.compare`` accepts it. Deterministic:
the figures printed (``-s``) are the ones in docs/PERFORMANCE.md, "Similar cases"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from functions.domain import similarity
from functions.domain.similarity import Report

PAIRS = Path(__file__).resolve().parents[1] / "data" / "similar_pairs.jsonl"


def _report(r: dict[str, Any]) -> Report:
    return Report(r["title"], r["content"], r.get("lat"), r.get("lng"))


def _keys(report: Report, *, lookup: bool) -> set[str]:
    keys = set(similarity.keys_of(report.title, report.content))
    if report.point is not None:
        if lookup:
            keys |= set(similarity.place_keys_around(*report.point))
        else:
            keys.add(similarity.place_key(*report.point))
    return keys


def suggested(pair: dict[str, Any]) -> bool:
    """Whether a lookup for ``b`` would offer ``a`` (filed earlier)."""
    a, b = pair["a"], pair["b"]
    if a["district"] != b["district"]:
        return False
    first, typed = _report(a), _report(b)
    if not _keys(first, lookup=False) & _keys(typed, lookup=True):
        return False
    return similarity.compare(typed, first) is not None


def test_suggestions_are_precise_on_the_labelled_pairs() -> None:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    assert len(pairs) >= 200
    outcome: Counter[tuple[str, bool]] = Counter((p["kind"], suggested(p)) for p in pairs)
    same = sum(1 for p in pairs if p["label"] == "same")
    hits = sum(n for (kind, offered), n in outcome.items() if offered and kind == "paraphrase")
    wrong = sum(n for (kind, offered), n in outcome.items() if offered and kind != "paraphrase")
    precision, recall = hits / max(1, hits + wrong), hits / same
    print(
        f"\n{len(pairs)} pairs ({same} the same problem): precision {precision:.2f}, "
        f"recall {recall:.2f}; offered wrongly: "
        + ", ".join(
            f"{kind} {n}"
            for (kind, offered), n in sorted(outcome.items())
            if offered and kind != "paraphrase"
        )
    )
    assert precision >= 0.9
    assert recall >= 0.6
