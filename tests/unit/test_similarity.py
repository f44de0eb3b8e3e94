"""Similar reports (§14), the pure part: the characters of normalised Chinese text, MinHash
signatures, LSH band keys and place keys, and the exact comparison that decides a
suggestion."""

from __future__ import annotations

import random

from functions.domain import similarity
from functions.domain.similarity import Report


def test_normalising_keeps_ideographs_letters_and_digits_only() -> None:
    assert similarity.normalise("Ｋ１２路　公交车：晚点！！") == "k12路公交车晚点"
    assert similarity.shingles("路灯", "") == frozenset("路灯")
    assert similarity.shingles("", "") == frozenset()
    assert similarity.keys_of("", "！！") == []


def test_function_characters_say_nothing_about_a_report() -> None:
    assert similarity.shingles("请您尽快修一下路灯吧", "") == frozenset("尽快修一下路灯")


def test_signatures_estimate_the_jaccard_index() -> None:
    """With 32 hashes one estimate is off by up to ~0.25 (2.8 standard deviations); over 20
    pairs the estimates are unbiased and close on average."""
    rng = random.Random(3)
    pool = [f"{a}{b}" for a in "一二三四五六七八九十" for b in "甲乙丙丁戊己庚辛壬癸"]
    errors = []
    for _ in range(20):
        a = frozenset(rng.sample(pool, 60))
        b = frozenset(sorted(a)[:40] + rng.sample(pool, 20))
        agree = zip(similarity.signature(a), similarity.signature(b), strict=True)
        estimate = sum(x == y for x, y in agree) / similarity.NUM_HASHES
        errors.append(estimate - similarity.jaccard(a, b))
    assert max(map(abs, errors)) < 0.35
    assert sum(map(abs, errors)) / len(errors) < 0.12
    assert abs(sum(errors) / len(errors)) < 0.1


def test_band_keys_are_stable_and_shared_by_identical_texts_only() -> None:
    keys = similarity.keys_of("解放路路灯不亮", "晚上一片漆黑")
    assert len(keys) == similarity.BANDS and len(set(keys)) == similarity.BANDS
    assert keys == similarity.keys_of("解放路路灯不亮", "晚上一片漆黑")
    assert all(k.startswith(f"{similarity.SCHEME}.") for k in keys)
    assert not set(keys) & set(similarity.keys_of("滨江小区物业乱收停车费", "没有公示"))


def test_collision_probability_rises_with_similarity() -> None:
    low, high = similarity.collision_probability(0.05), similarity.collision_probability(0.5)
    assert 0 <= low < 0.05 and high > 0.95


def test_a_match_needs_similar_words_and_a_near_place() -> None:
    light = Report("解放路路灯不亮", "解放路翠湖街口路灯一周不亮，晚上很黑", 30.0101, 114.0101)
    again = Report(
        "解放路路灯不亮", "解放路翠湖街口的路灯一周都不亮了，晚上很黑", 30.0105, 114.0108
    )
    match = similarity.compare(light, again)
    assert match is not None and match.similarity > 0.5 and 0 < (match.distance_m or 0) < 150
    far = Report(again.title, again.content, 30.0301, 114.0101)
    assert similarity.compare(light, far) is None
    pointless = Report(again.title, again.content)
    found = similarity.compare(light, pointless)
    assert found is not None and found.distance_m is None
    assert similarity.compare(light, Report("滨江小区物业乱收停车费", "没有公示")) is None


def test_the_four_cells_around_a_point_hold_every_point_near_it() -> None:
    rng = random.Random(11)
    for _ in range(200):
        lat, lng = 30 + rng.random() * 0.3, 113.7 + rng.random() * 0.6
        around = set(similarity.place_keys_around(lat, lng))
        assert similarity.place_key(lat, lng) in around and len(around) == 4
        # Anything within half a cell (about 300 m) is in one of them.
        dy, dx = (rng.uniform(-0.5, 0.5) * similarity.CELL_DEGREES for _ in range(2))
        assert similarity.place_key(lat + dy, lng + dx) in around
