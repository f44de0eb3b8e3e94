"""The public board and the 不满意专区 answer from the cards their indexes hold (one Query a
page, no read of the cases) exactly what they answered when the indexes held whole cases and
every card was made from the case: the same JSON, byte for byte, over the demo city's cases in
every state (merged, carded, rated, reopened, with a place, past 群众关注), archived and
anonymised, at two moments, under every filter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


# --- the old way: a page's cases read whole, each card made from its case ------------------
# A verbatim copy of presenters.summary / presenters.unsatisfied as they were when the board's
# indexes held the whole case (and of the two helpers that moved to functions/domain/board_card).


def _old_excerpt(case: Any) -> str:
    from functions.domain.cases import content_to_publish, public_text

    text = content_to_publish(case)
    masked = public_text(case, text[: 120 + 200])
    if len(text) > 120 + 200 and len(masked) < 120 + 100:
        masked = public_text(case, text)
    return masked[:120] + ("…" if len(masked) > 120 else "")


def _old_point(case: Any) -> dict[str, float] | None:
    from functions.domain import geo

    loc = case.location
    rounded = geo.public_point(loc.lat, loc.lng) if loc else None
    return {"lat": rounded[0], "lng": rounded[1]} if rounded else None


def _old_summary(case: Any, tax: Any, now: datetime) -> dict[str, Any]:
    from functions.domain import sla
    from functions.domain.cases import public_title
    from functions.domain.lifecycle import PUBLIC_STATE_LABELS, PUBLIC_STATES
    from functions.domain.privacy import mask_name
    from functions.services.presenters import (
        CARD_LABELS,
        _coded,
        _deadlines,
        _overdue_working_days,
        _rating,
        _ref,
        attention,
    )
    from functions.storage.codec import iso

    a = case.assignment
    running = case.running_deadline()
    last_rated = next((r for r in reversed(case.replies) if r.rating), None)
    return {
        "case_id": case.case_id,
        **_coded(case, tax),
        "title": public_title(case),
        "excerpt": _old_excerpt(case),
        "name_masked": mask_name(case.contact.name),
        "state": PUBLIC_STATES[case.state].value,
        "state_label": PUBLIC_STATE_LABELS[case.state],
        "created_at": iso(case.created_at),
        "lead": _ref(a.lead) if a else None,
        "co_handlers": [_ref(c.department) for c in a.co_handlers] if a else [],
        **_deadlines(a),
        "overdue": bool(running and running < now),
        "overdue_working_days": _overdue_working_days(running, now),
        "card": (card := sla.active_card(case)),
        "card_label": CARD_LABELS.get(card or ""),
        "rating": _rating(last_rated, with_comment=False),
        "reopen_count": case.reopen_count,
        "location": _old_point(case),
        "merged_into": case.merged.into if case.merged else None,
        "merged_count": len(case.merged_cases),
        "attention": attention(case),
    }


def _old_unsatisfied(case: Any) -> dict[str, Any]:
    from functions.domain.cases import public_text
    from functions.domain.lifecycle import State
    from functions.domain.taxonomy import OUTCOME_LABELS, RATING_LABELS
    from functions.services.presenters import _iso, _ref
    from functions.storage.codec import iso

    def short(text: str) -> str:
        return text[:120] + ("…" if len(text) > 120 else "")

    a = case.assignment
    redoing = case.state == State.REOPENED and not case.escalated and a is not None
    return {
        "rounds": [
            {
                "n": n,
                "at": iso(r.at),
                "department": _ref(r.department),
                "outcome": r.outcome.value,
                "outcome_label": OUTCOME_LABELS[r.outcome],
                "text": short(public_text(case, r.text)),
                "rating": r.rating.value if r.rating else None,
                "rating_label": RATING_LABELS[r.rating] if r.rating else None,
                "rating_comment": short(public_text(case, r.rating_comment or "")) or None,
                "rated_at": _iso(r.rated_at),
            }
            for n, r in enumerate(case.replies, start=1)
        ],
        "reopen_count": case.reopen_count,
        "redo_due_at": _iso(a.reply_due_at) if redoing and a else None,
        "escalated": case.escalated,
    }


def _old_items(case_ids: list[str], rating: str | None, now: datetime) -> list[dict[str, Any]]:
    """The listing's items as they were built: the cases read whole (BatchGetItem, as the
    ALL-projected index gave them), each card made from its case, then the 附议 fields."""
    from functions.domain.support import ATTENTION, EXACT_UP_TO
    from functions.storage import cases_repo, config_repo, directory, supports_repo

    cases = cases_repo.get_many(case_ids)
    counts = supports_repo.tallies(case_ids)
    tax = directory.taxonomy()
    thresholds = config_repo.support_thresholds()
    items = []
    for case_id in case_ids:
        case = cases[case_id]
        item = _old_summary(case, tax, now)
        total = counts.get(case_id, 0)
        own = thresholds.for_category(case.category)[ATTENTION]
        item.update(
            supports=total,
            supports_rounded=total > EXACT_UP_TO,
            support_threshold={"supports": own.supports, "days": own.days},
        )
        if rating:
            item["unsatisfied"] = _old_unsatisfied(case)
        items.append(item)
    return items


# --- the new way, and the comparison -----------------------------------------------------------


_LISTING = {"on": False}  # whether a read of cases is the listing's (not the old way's)


def _every_page(filters: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    from functions.services import supports

    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        _LISTING["on"] = True
        try:
            answer = supports.listing(filters, cursor, now)
        finally:
            _LISTING["on"] = False
        items += answer["items"]
        cursor = answer["next_cursor"]
        if not cursor:
            return items


def _public_cases() -> list[Any]:
    from functions.storage.case_items import from_model
    from functions.storage.models import CaseModel

    cases = [from_model(m) for m in CaseModel.scan(consistent_read=True)]
    return [c for c in cases if c.is_public]


def _filters(cases: list[Any]) -> list[dict[str, str]]:
    """Every filter the board offers, with every value the cases hold, alone and with the
    不满意专区; and two filters together (one picks the index, the other filters it)."""
    from functions.domain.lifecycle import PUBLIC_STATES

    values = {
        "state": {PUBLIC_STATES[c.state].value for c in cases},
        "kind": {c.kind.value for c in cases},
        "category": {c.category for c in cases},
        "district": {c.district for c in cases},
        "department": {c.lead.id for c in cases if c.lead},
    }
    found: list[dict[str, str]] = [{}, {"rating": "unsatisfied"}]
    for name, seen in values.items():
        for value in sorted(seen):
            found += [{name: value}, {name: value, "rating": "unsatisfied"}]
    found += [{"district": d, "state": s} for d in values["district"] for s in values["state"]]
    return found


def _same_answers(now: datetime) -> int:
    """Every listing answered the new way equals the old way's, byte for byte; returns how
    many cards were compared."""
    from functions.domain.lifecycle import PUBLIC_STATES
    from functions.domain.taxonomy import Rating

    cases = _public_cases()
    compared = 0
    for filters in _filters(cases):
        rating = filters.get("rating")
        new = _every_page(filters, now)
        ids = [item["case_id"] for item in new]
        old = _old_items(ids, rating, now)
        assert json.dumps(new, ensure_ascii=False) == json.dumps(old, ensure_ascii=False), filters
        # ... and it lists exactly the public cases the filters select, newest first.
        wanted = [
            c
            for c in cases
            if all(
                filters.get(name) in (None, value)
                for name, value in {
                    "state": PUBLIC_STATES[c.state].value,
                    "kind": c.kind.value,
                    "category": c.category,
                    "district": c.district,
                    "department": c.lead.id if c.lead else None,
                }.items()
            )
            and (not rating or _latest_unsatisfied(c, Rating.UNSATISFIED))
        ]
        if not rating:
            wanted.sort(key=lambda c: (c.created_at, c.case_id), reverse=True)
            assert ids == [c.case_id for c in wanted], filters
        else:
            assert sorted(ids) == sorted(c.case_id for c in wanted), filters
        compared += len(new)
    return compared


def _latest_unsatisfied(case: Any, unsatisfied: Any) -> bool:
    from functions.domain.cases import latest_rating

    last = latest_rating(case)
    return last is not None and last.rating == unsatisfied


def _no_case_read(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records every read of whole cases the listing makes (``cases_repo.get_many``)."""
    from functions.storage import cases_repo

    reads: list[list[str]] = []
    real = cases_repo.get_many

    def recording(case_ids: Any) -> Any:
        if _LISTING["on"]:
            reads.append(list(case_ids))
        return real(case_ids)

    monkeypatch.setattr(cases_repo, "get_many", recording)
    return reads


def _load_demo() -> None:
    from infra import bootstrap
    from infra.demo_loader import load_demo

    bootstrap.load_city()
    load_demo(now=NOW)


def test_the_board_from_its_cards_answers_as_it_did_from_whole_cases(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.domain.lifecycle import State
    from functions.services import supports, sweeps

    _load_demo()
    cases = _public_cases()
    states = {c.state for c in cases}
    assert {State.REOPENED, State.CLOSED, State.REPLIED, State.IN_PROGRESS} <= states
    assert any(c.merged_cases for c in cases) and any(c.location for c in cases)
    assert any(c.attention for c in cases) and any(c.reopen_count for c in cases)
    from functions.domain import sla

    assert any(sla.active_card(c) for c in cases)
    reads = _no_case_read(monkeypatch)
    compared = 0
    for now in (NOW, NOW + timedelta(days=12)):  # later, more cases are overdue
        compared += _same_answers(now)
    # The new way read no case: every row came with its card.
    assert compared > 500 and not [r for r in reads if r], reads
    asked = {"rating": "unsatisfied", "sort": "newest"}
    assert supports.listing(asked, None, NOW)["items"]
    assert asked == {"rating": "unsatisfied", "sort": "newest"}  # the caller's filters unchanged

    # Archived, then anonymised (the contact data gone, the text kept as scrubbed).
    later = NOW + timedelta(days=60)
    assert sweeps.archive(later)["archived"]
    assert _same_answers(later)
    gone = later.replace(year=later.year + 4)
    assert sweeps.anonymise(gone)["anonymised"]
    assert any(c.anonymised_at for c in _public_cases())
    assert _same_answers(gone)


def test_a_row_without_a_card_is_read_from_its_case(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item written before cards were (or with a card of another version) is still on the
    board, the same: its case is read (one BatchGetItem for such rows of the page)."""
    from functions.domain import board_card
    from functions.services import supports
    from functions.storage.models import CaseModel

    _load_demo()
    before = [
        (f, json.dumps(_every_page(f, NOW), ensure_ascii=False))
        for f in ({}, {"rating": "unsatisfied"})
    ]
    items = [m for m in CaseModel.scan() if m.pub_card]
    stale = json.dumps({**json.loads(items[1].pub_card or "{}"), "v": board_card.VERSION + 1})
    CaseModel(items[0].case_id).update(
        actions=[CaseModel.pub_card.remove(), CaseModel.pub_rounds.remove()]
    )
    CaseModel(items[1].case_id).update(actions=[CaseModel.pub_card.set(stale)])
    reads = _no_case_read(monkeypatch)
    for filters, answer in before:
        assert json.dumps(_every_page(filters, NOW), ensure_ascii=False) == answer
    read = {i for r in reads for i in r}
    assert read <= {items[0].case_id, items[1].case_id} and items[0].case_id in read
    assert supports.listing({}, None, NOW)["items"]
    # infra.recard writes the missing and stale cards (and only those): no case read after.
    from infra.recard import recard

    assert recard()[0] == 2 and recard()[0] == 0
    reads.clear()
    for filters, answer in before:
        assert json.dumps(_every_page(filters, NOW), ensure_ascii=False) == answer
    assert not [r for r in reads if r]
