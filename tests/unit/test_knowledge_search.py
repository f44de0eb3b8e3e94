"""知识库 search and reply templates, pure (functions/domain/knowledge.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.domain.errors import InvalidRequest
from functions.domain.knowledge import Entry, Index, case_values, check_templates, fill, snippet

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def entry(kb_id: str, question: str, answer: str, **more: object) -> Entry:
    return Entry(
        kb_id,
        question,
        answer,
        more.pop("category", "urban"),
        "市住建局",
        True,  # type: ignore[arg-type]
        NOW,
        "a",
        more.pop("updated_at", NOW),
        "a",
        **more,  # type: ignore[arg-type]
    )


ENTRIES = [
    entry(
        "kb-1",
        "公积金贷款额度怎么计算？",
        "住房公积金贷款额度按缴存余额的十五倍计算，最高六十万元。",
    ),
    entry(
        "kb-2",
        "公租房如何申请？",
        "携身份证到街道政务服务中心申请公共租赁住房，也可咨询公积金中心。",
    ),
    entry(
        "kb-3",
        "电动自行车如何上牌？",
        "携购车发票、合格证和身份证到车管所登记上牌。",
        category="transport",
    ),
]


def test_the_question_weighs_more_than_the_answer() -> None:
    hits = Index.of(ENTRIES).search("公积金")
    assert [h.entry.kb_id for h in hits] == ["kb-1", "kb-2"]
    assert hits[0].score > hits[1].score


def test_a_query_sharing_too_little_matches_nothing() -> None:
    index = Index.of(ENTRIES)
    assert index.search("台风天气预报") == []
    assert [h.entry.kb_id for h in index.search("电动车 上牌")] == ["kb-3"]
    assert index.search("上牌", category="urban") == []


def test_validity_dates_are_inclusive_shanghai_days() -> None:
    e = entry("kb-4", "q", "a", valid_from=date(2026, 11, 2), valid_until=date(2026, 11, 2))
    assert e.shown_publicly(NOW)  # 10:00 in Shanghai on the 2nd
    assert not e.shown_publicly(NOW + timedelta(hours=14))  # 00:00 on the 3rd in Shanghai
    assert not e.shown_publicly(NOW - timedelta(hours=11))  # 23:00 on the 1st in Shanghai


def test_a_snippet_is_cut_around_the_match() -> None:
    text = "前言" * 60 + "公积金贷款按余额十五倍计算" + "后记" * 60
    cut = snippet(text, "十五倍")
    assert "十五倍" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) <= 82


def test_templates_fill_the_case_and_refuse_unknown_placeholders() -> None:
    values = case_values("WZ20261102-ABC123", "路灯不亮", NOW, NOW, NOW + timedelta(days=10), NOW)
    filled = fill("编号{编号}「{标题}」于{受理日期}收到，期限{答复期限}。", values)
    assert filled == "编号WZ20261102-ABC123「路灯不亮」于2026年11月2日收到，期限2026年11月12日。"
    with pytest.raises(InvalidRequest) as refused:
        check_templates([{"name": "a", "text": "{电话}"}])
    assert refused.value.fields[0].field == "templates[0].text"
    with pytest.raises(InvalidRequest):
        check_templates([{"name": "a", "text": "x"}, {"name": "a", "text": "y"}])
