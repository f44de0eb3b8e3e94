"""附议 that counts (§14): a support, the threshold it may cross, and the board's lists that
read the counts (newest with counts, 热议 by supports, the 不满意专区).

Where the threshold check runs: in the request of the support itself, from what the support's
own write reads back. The support is one transaction (mark + shard ADD, never the case item);
its answer already needed the count, so the case's N shard items and its tally are read back
in one strongly consistent Query, and with them the supports per Shanghai day. Only when that
count reaches a level the case item does not hold yet is the case written: the crossing
transition (event, flag, the coordinators' or the leader's e-mail in its outbox) on the
version the support read the case at. Two supports racing over a threshold both try; one
writes, the other's condition fails, it reads the case again and finds the level reached. A
crossing that could not be written (storage trouble) is written by the next support, which
reads the same or a higher count back. docs/ARCHITECTURE.md ("附议 that counts") weighs this
against a periodic job."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException

from functions.domain import board_card
from functions.domain.actions.attention import raise_attention
from functions.domain.calendar import local_date
from functions.domain.cases import Case, latest_rating, require_writable
from functions.domain.errors import Conflict, FieldError, NotFound, Unavailable, invalid_fields
from functions.domain.lifecycle import READ_ONLY
from functions.domain.support import ATTENTION, EXACT_UP_TO, reached, step
from functions.domain.taxonomy import Rating
from functions.services import presenters
from functions.services.common import commit
from functions.storage import cases_repo, config_repo, directory, supports_repo
from functions.storage.paging import MAX_QUERIES_PER_PAGE, PAGE_SIZE

log = logging.getLogger("wenzheng.supports")

CROSSING_ATTEMPTS = 3  # a stale read (another support, a staff action) is read again
SORTS = ("newest", "supports")
RATINGS = ("unsatisfied",)
_NOT_PUBLIC = NotFound("未找到该诉求，或该诉求未公开", "no such public case", "case_not_found")


def support(case_id: str, client: str, now: datetime) -> dict[str, Any]:
    """附议 ("我也遇到"): one per client, case and (Shanghai) day on a public case that is not
    archived. A repeat is not an error: it answers the unchanged count with ``already``."""
    from functions.settings import settings

    case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    if case is None or not case.is_public:
        raise _NOT_PUBLIC
    require_writable(case)  # archived: the auditors' record (410)
    added = supports_repo.add(
        case_id,
        client,
        local_date(now),
        shards=settings().support_shards,
        expires_at=now + timedelta(days=2),
    )
    if not added.already:
        counted(case, added, now)
    return {"case_id": case_id, "supports": added.count, "already": added.already}


def counted(case: Case, added: supports_repo.Added, now: datetime) -> None:
    """What a counted support's read-back may have crossed: the next 热议 step and a 附议
    threshold. The support is counted whatever happens here: storage trouble is logged and
    left to the next support, which reads the same or a higher count back."""
    try:
        if step(added.count) > added.tally:
            supports_repo.raise_tally(case.case_id, added.count)
        cross(case, added, now)
    except (Unavailable, PynamoDBException) as error:
        log.warning(
            "support_followup_failed",
            extra={"case_id": case.case_id, "error": type(error).__name__},
        )


def cross(case: Case, added: supports_repo.Added, now: datetime) -> bool:
    """Write the level the supports per day reach today, once: on the version of the case as
    read, again on a fresh read when someone wrote it first. Whether this support wrote it."""
    thresholds = config_repo.support_thresholds()
    today = local_date(now)
    for _attempt in range(CROSSING_ATTEMPTS):
        if reached(thresholds, case.category, added.days, today).level <= case.attention_level:
            return False  # nothing new (the usual support), or another one wrote it
        result = raise_attention(case, thresholds=thresholds, days=added.days, today=today, now=now)
        try:
            commit(result, now)
        except Conflict:
            fresh = cases_repo.get(case.case_id)
            if fresh is None or not fresh.is_public or fresh.state in READ_ONLY:
                return False
            case = fresh
            continue
        log.info(
            "attention_raised",
            extra={"case_id": case.case_id, "level": result.case.attention_level},
        )
        return True
    return False


# --- the board's lists ----------------------------------------------------------------------


def _check(filters: dict[str, str]) -> tuple[str, str | None]:
    sort = filters.pop("sort", None) or "newest"
    rating = filters.pop("rating", None)
    problems = []
    if sort not in SORTS:
        problems.append(
            FieldError("sort", "排序方式应为 newest 或 supports", "sort must be newest or supports")
        )
    if rating is not None and rating not in RATINGS:
        problems.append(
            FieldError("rating", "评价筛选只能为 unsatisfied", "rating must be unsatisfied")
        )
    if problems:  # name each bad parameter
        raise invalid_fields(problems)
    return sort, rating


def _matches(case: Case, filters: dict[str, str], rating: str | None) -> bool:
    values = {
        "state": case.state.value,
        "kind": case.kind.value,
        "category": case.category,
        "district": case.district,
        "department": case.lead.id if case.lead else None,
    }
    if any(filters.get(name) and values.get(name) != filters[name] for name in values):
        return False
    if rating is not None:
        last = latest_rating(case)
        return last is not None and last.rating == Rating(rating)
    return True


def _hot(
    filters: dict[str, str], rating: str | None, cursor: str | None
) -> tuple[list[tuple[Case, int]], str | None]:
    """热议: public cases by their count as of its last step, most first. A page of the
    sparse ``hot`` index and one BatchGetItem of its cases; the board's filters are applied to
    the cases read, reading on (at most MAX_QUERIES_PER_PAGE pages) while the page is short."""
    found: list[tuple[Case, int]] = []
    for _ in range(MAX_QUERIES_PER_PAGE):
        listed, cursor = supports_repo.hot_page(cursor, PAGE_SIZE)
        cases = cases_repo.get_many([case_id for case_id, _ in listed])
        for case_id, total in listed:
            case = cases.get(case_id)
            if case is not None and case.is_public and _matches(case, filters, rating):
                found.append((case, total))
        if cursor is None or len(found) >= PAGE_SIZE:
            break
    if len(found) > PAGE_SIZE:
        found = found[:PAGE_SIZE]
        last, total = found[-1]
        cursor = supports_repo.hot_cursor(last.case_id, total)
    return found, cursor


def listing(filters: dict[str, str], cursor: str | None, now: datetime) -> dict[str, Any]:
    """``GET /api/cases``: public cases, newest first (``sort=newest``, the board's indexes)
    or most supported first (``sort=supports``, 热议); ``rating=unsatisfied`` keeps those
    whose latest rating is 不满意 (the 不满意专区's sparse index when newest first) and tells
    what happened next. Every card carries its 附议 count (the tallies of the page's cases,
    one BatchGetItem) and its category's 群众关注 threshold."""
    filters = dict(filters)  # the caller's stay as given: sort and rating are taken out here
    sort, rating = _check(filters)
    tax = directory.taxonomy()
    shown: list[tuple[str, str, dict[str, Any]]] = []  # (case id, category, card)
    if sort == "supports":
        pairs, next_cursor = _hot(filters, rating, cursor)
        shown = [_shown(case, tax, now, rating) for case, _ in pairs]
        counts = {case.case_id: total for case, total in pairs}
    else:
        shown, next_cursor = _board(filters, cursor, rating, tax, now)
        counts = supports_repo.tallies([case_id for case_id, _, _ in shown])
    thresholds = config_repo.support_thresholds()
    items = []
    for case_id, category, item in shown:
        total = counts.get(case_id, 0)
        own = thresholds.for_category(category)[ATTENTION]
        story = item.pop("unsatisfied", None)
        item.update(
            supports=total,
            supports_rounded=total > EXACT_UP_TO,
            support_threshold={"supports": own.supports, "days": own.days},
        )
        if rating:
            item["unsatisfied"] = story
        items.append(item)
    return {"items": items, "next_cursor": next_cursor}


def _shown(
    case: Case, tax: directory.Taxonomy, now: datetime, rating: str | None
) -> tuple[str, str, dict[str, Any]]:
    item = presenters.summary(case, tax, now)
    if rating:
        item["unsatisfied"] = presenters.unsatisfied(case)
    return case.case_id, case.category, item


def _board(
    filters: dict[str, str],
    cursor: str | None,
    rating: str | None,
    tax: directory.Taxonomy,
    now: datetime,
) -> tuple[list[tuple[str, str, dict[str, Any]]], str | None]:
    """A page of the board (or of the 不满意专区) from the cards its index holds: one Query,
    no read of the cases. A row without a card of this version (written before cards were, or
    before their last change) is read from the case (one BatchGetItem for those rows)."""
    page = cases_repo.unsatisfied(filters, cursor) if rating else cases_repo.board(filters, cursor)
    stored: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for row in page.cards:
        card, rounds = board_card.loads(row.card), board_card.loads(row.rounds)
        if card is not None and (rounds is not None or not rating):
            stored[row.case_id] = (card, rounds)
    missing = cases_repo.get_many([r.case_id for r in page.cards if r.case_id not in stored])
    shown = []
    for row in page.cards:
        if row.case_id in stored:
            card, rounds = stored[row.case_id]
            item = presenters.from_card(row.case_id, card, tax, now)
            if rating and rounds is not None:
                item["unsatisfied"] = presenters.from_rounds(rounds)
            shown.append((row.case_id, str(card["category"]), item))
        elif (case := missing.get(row.case_id)) is not None:
            shown.append(_shown(case, tax, now, rating))
    return shown, page.next_cursor


def threshold_of(case: Case) -> dict[str, int]:
    """The 群众关注 threshold of the case's category (the case page: 附议 N / 阈值 T)."""
    own = config_repo.support_thresholds().for_category(case.category)[ATTENTION]
    return {"supports": own.supports, "days": own.days}
