"""Pages of a query: opaque cursors (the last evaluated key, checked on the way back in) and a
page filled by as many bounded queries as its filter needs."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from functions.domain.cases import (
    Case,
)
from functions.domain.errors import invalid_field
from functions.storage.case_items import from_model
from functions.storage.models import (
    CaseModel,
)

PAGE_SIZE = 20
MAX_QUERIES_PER_PAGE = 5  # bounds the read cost of a heavily filtered page


@dataclass
class Page:
    cases: list[Case]
    next_cursor: str | None


@dataclass(frozen=True)
class Card:
    """One row of a public-board index: the case's id and what the index holds of it, its
    board card and (不满意专区) rounds as stored JSON (``functions/domain/board_card.py``);
    None where the item has none yet (written before cards were)."""

    case_id: str
    card: str | None
    rounds: str | None


@dataclass
class CardPage:
    cards: list[Card]
    next_cursor: str | None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, expected: Iterable[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise invalid_field("cursor", "分页参数无效", "invalid cursor") from error
    if not is_key(key, expected):
        raise invalid_field("cursor", "分页参数无效", "invalid cursor")
    return key  # type: ignore[no-any-return]


def is_key(key: object, expected: Iterable[str]) -> bool:
    """Whether ``key`` is a DynamoDB key of exactly the ``expected`` string attributes:
    anything else would reach DynamoDB as a bad request."""
    return (
        isinstance(key, dict)
        and set(key) == set(expected)
        and all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
            for v in key.values()
        )
    )


def one_page(
    index: Any,
    hash_value: str,
    key_names: list[str],
    *,
    cursor: str | None,
    filter_condition: Condition | None,
    newest_first: bool = True,
    range_key_condition: Condition | None = None,
) -> Page:
    """One page of up to PAGE_SIZE cases: the index finds which (its entries hold the keys and
    what the filter asks about, not the case), one BatchGetItem reads them (``in_order``)."""
    items, cursor = _items(
        index,
        hash_value,
        key_names,
        cursor=cursor,
        filter_condition=filter_condition,
        newest_first=newest_first,
        range_key_condition=range_key_condition,
    )
    return Page(in_order([item["case_id"]["S"] for item in items]), cursor)


def in_order(case_ids: Sequence[str]) -> list[Case]:
    """The cases of ``case_ids`` in that order (an index's: the readers of the indexes that
    find cases without holding them), read by BatchGetItem (100 keys a request, eventually
    consistent, like the index that found them); an id whose case is gone is left out."""
    return [from_model(m) for m in models_in_order(case_ids)]


def models_in_order(
    case_ids: Sequence[str], attributes: Sequence[str] | None = None
) -> list[CaseModel]:
    """``in_order``'s items, unmapped: with ``attributes``, only those (and the id) are read."""
    keys = list(dict.fromkeys(case_ids))
    if not keys:
        return []
    wanted = list(dict.fromkeys(["case_id", *attributes])) if attributes else None
    found = {m.case_id: m for m in CaseModel.batch_get(keys, attributes_to_get=wanted)}
    return [found[i] for i in case_ids if i in found]


def card_page(
    index: Any,
    hash_value: str,
    key_names: list[str],
    *,
    cursor: str | None,
    filter_condition: Condition | None,
) -> CardPage:
    """One page of up to PAGE_SIZE board cards, newest first, from an index that holds them."""
    items, next_cursor = _items(
        index, hash_value, key_names, cursor=cursor, filter_condition=filter_condition
    )
    return CardPage(
        [
            Card(
                item["case_id"]["S"],
                item.get("pub_card", {}).get("S"),
                item.get("pub_rounds", {}).get("S"),
            )
            for item in items
        ],
        next_cursor,
    )


def _items(
    index: Any,
    hash_value: str,
    key_names: list[str],
    *,
    cursor: str | None,
    filter_condition: Condition | None,
    newest_first: bool = True,
    range_key_condition: Condition | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The raw items of one page of up to PAGE_SIZE, and the cursor after them.

    Unfiltered, that is exactly one Query. A filter is applied after DynamoDB reads, so a
    read can come back short; we read on (at most MAX_QUERIES_PER_PAGE Queries) rather than
    hand the reader an empty page with a cursor. When the reads overshoot, the page is cut
    at PAGE_SIZE and the cursor points at its last item, so nothing is skipped.
    """
    start = decode_cursor(cursor, key_names)
    if start is not None and (
        {"S": hash_value} not in start.values() or not all(v["S"] for v in start.values())
    ):
        # A cursor from another listing (e.g. the yellow list's on the red one): DynamoDB
        # would refuse it with a server error; it is the client's mistake.
        raise invalid_field("cursor", "分页参数无效", "cursor from another listing")
    items: list[dict[str, Any]] = []
    last_key: dict[str, Any] | None = start
    for _ in range(MAX_QUERIES_PER_PAGE):
        results = index.query(
            hash_value,
            range_key_condition=range_key_condition,
            scan_index_forward=not newest_first,
            filter_condition=filter_condition,
            last_evaluated_key=last_key,
            page_size=PAGE_SIZE,
        )
        page = next(results.page_iter, None)
        items.extend(page.get("Items", []) if page else [])
        last_key = results.page_iter.last_evaluated_key
        if last_key is None or len(items) >= PAGE_SIZE:
            break
    if len(items) > PAGE_SIZE:
        items = items[:PAGE_SIZE]
        last_key = {name: items[-1][name] for name in key_names}
    return items, encode_cursor(last_key)
