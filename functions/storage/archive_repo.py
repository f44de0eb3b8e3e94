"""The archive's reads (§5): closed and archived cases through the ``audit-*`` indexes, and the
auditors' access log. A filter picks the narrowest index: with a department, one
department-month partition per month; with a district, one district-month; otherwise the
month. The rest of the filter narrows what those partitions hold, so an auditor's query
reads its department-months and nothing else; never a scan. The indexes hold a case's keys
and what the filter reads, not the case: a page's cases are then read by id, in the index's
order."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.condition import size as _untyped_size

from functions.domain.audit_filter import AuditFilter
from functions.domain.cases import Case, month_key
from functions.domain.errors import invalid_field
from functions.storage.case_items import from_model
from functions.storage.models import AccessLogModel, CaseModel
from functions.storage.paging import is_key

PAGE_SIZE = 50
# A page reads on until it is full or has read this many items: a filter that keeps few
# cases costs bounded reads per page, and empty months (one cheap Query each, at most
# MAX_MONTHS) never end a page early.
READ_BUDGET = 10 * PAGE_SIZE
EXPORT_PAGE_SIZE = 200  # two BatchGetItem requests of 100 keys a page


def _index(f: AuditFilter) -> tuple[Any, str, str]:
    """(index, partition attribute name, partition value pattern with {month})."""
    if f.department:
        return CaseModel.by_audit_department, "audit_department", f"{f.department}#{{month}}"
    if f.district:
        return CaseModel.by_audit_district, "audit_district", f"{f.district}#{{month}}"
    return CaseModel.by_audit_month, "audit_month", "{month}"


def size(attribute: Any) -> Any:
    return _untyped_size(attribute)  # type: ignore[no-untyped-call]


def _and(condition: Condition | None, clause: Condition) -> Condition:
    return clause if condition is None else condition & clause


def _condition(f: AuditFilter) -> Condition | None:
    """The filter beyond the partition, as a DynamoDB filter expression."""
    condition: Condition | None = None
    if f.department and f.district:
        condition = _and(condition, CaseModel.district == f.district)
    for name, attribute in (
        ("kind", CaseModel.kind),
        ("category", CaseModel.category),
        ("state", CaseModel.state),
    ):
        if (value := getattr(f, name)) is not None:
            condition = _and(condition, attribute == value)
    if f.breached == "any":
        condition = _and(condition, size(CaseModel.breaches) > 0)
    elif f.breached == "none":
        condition = _and(condition, size(CaseModel.breaches) == 0)
    elif f.breached is not None:
        condition = _and(condition, CaseModel.breaches.contains(f.breached))
    if f.extension is not None:
        extended = CaseModel.extensions_used > 0
        condition = _and(
            condition, extended if f.extension == "yes" else CaseModel.extensions_used == 0
        )
    if f.reopened is not None:
        reopened = CaseModel.reopen_count > 0
        condition = _and(
            condition, reopened if f.reopened == "yes" else CaseModel.reopen_count == 0
        )
    if f.rating == "none":
        condition = _and(condition, CaseModel.rating.does_not_exist())
    elif f.rating is not None:
        condition = _and(condition, CaseModel.rating == f.rating)
    return condition


# --- the cursor: the month being read and DynamoDB's key within it ---------------------------


def _encode(month: str, key: dict[str, Any] | None) -> str:
    raw = json.dumps({"m": month, "k": key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, f: AuditFilter, hash_name: str) -> tuple[str, dict[str, Any] | None]:
    bad = invalid_field("cursor", "分页参数无效", "invalid cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(data, dict) or set(data) != {"m", "k"}:
        raise bad
    month, key = data["m"], data["k"]
    if month not in f.months():
        raise bad
    if key is None:
        return month, None
    if not is_key(key, ("case_id", "created_key", hash_name)) or not all(
        v["S"] for v in key.values()
    ):
        raise bad
    return month, key


@dataclass
class AuditPage:
    cases: list[Case]
    next_cursor: str | None
    queries: int  # DynamoDB Queries this page took


def search(f: AuditFilter, cursor: str | None, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of matching cases, newest first across the months of the filter."""
    index, hash_name, pattern = _index(f)
    condition = _condition(f)
    months = f.months()
    month, key = _decode(cursor, f, hash_name) if cursor else (months[0], None)
    items: list[dict[str, Any]] = []
    queries = scanned = 0
    while scanned < READ_BUDGET and len(items) < page_size:
        results = index.query(
            pattern.format(month=month),
            scan_index_forward=False,
            filter_condition=condition,
            last_evaluated_key=key,
            page_size=page_size,
        )
        page = next(results.page_iter, None)
        queries += 1
        scanned += page.get("ScannedCount", 0) if page else 0
        items.extend(page.get("Items", []) if page else [])
        key = results.page_iter.last_evaluated_key
        if key is None:
            later = months.index(month) + 1
            if later == len(months):
                month = ""
                break
            month = months[later]
    if len(items) > page_size:
        items = items[:page_size]
        last = items[-1]
        key = {name: last[name] for name in ("case_id", "created_key", hash_name)}
        month = last[hash_name]["S"].rsplit("#", 1)[-1]
    cases = _read([item["case_id"]["S"] for item in items])
    return AuditPage(cases, _encode(month, key) if month else None, queries)


def _read(case_ids: list[str]) -> list[Case]:
    """The page's cases, whole, in the index's order: the ``audit-*`` indexes hold only the
    keys and what the filter reads (models.AUDIT_FILTERS). BatchGetItem, 100 keys a request,
    eventually consistent as the index itself is (a closed case changes only by the archive
    and retention jobs). A case gone from the table since (none is deleted) is left out."""
    found = {m.case_id: m for m in CaseModel.batch_get(case_ids)} if case_ids else {}
    return [from_model(found[case_id]) for case_id in case_ids if case_id in found]


def every(f: AuditFilter) -> Iterator[Case]:
    """Every matching case, newest first, page by page (exports): each page's ids from the
    index, its cases by BatchGetItem (a request per 100)."""
    cursor: str | None = None
    while True:
        page = search(f, cursor, page_size=EXPORT_PAGE_SIZE)
        yield from page.cases
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def count(f: AuditFilter) -> int:
    """How many cases match (the export's progress bar): a COUNT Query per month."""
    index, _, pattern = _index(f)
    condition = _condition(f)
    return sum(
        index.count(pattern.format(month=month), filter_condition=condition) for month in f.months()
    )


# --- the access log ---------------------------------------------------------------------------


def record_access(
    *,
    actor: str,
    role: str,
    action: str,
    at: datetime,
    target: str = "",
    filter: dict[str, str] | None = None,
    count: int | None = None,
) -> None:
    AccessLogModel(
        month_key(at),
        f"{at.astimezone(UTC).isoformat(timespec='microseconds')}#{secrets.token_hex(4)}",
        at=at,
        actor=actor,
        role=role,
        action=action,
        target=target,
        filter=json.dumps(filter or {}, ensure_ascii=False, sort_keys=True),
        count=count,
    ).save()


def access_log(month: str, limit: int = 200) -> list[AccessLogModel]:
    """A month's access log, newest first."""
    return list(AccessLogModel.query(month, scan_index_forward=False, limit=limit))
