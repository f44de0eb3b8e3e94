"""The directory as the admin edits it (§15): every unit and county platform and every staff
account, active or not, read whole; a change written together with its record (who, when,
before, after) in one transaction; the records read back newest first for auditors. The
units and staff tables hold tens to hundreds of items: listing them is a scan of a small
reference table, as ``directory`` does."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from functions.domain.errors import Conflict
from functions.storage import directory, second_factor
from functions.storage.models import DepartmentModel, DirectoryChangeModel, StaffModel
from functions.storage.paging import decode_cursor, encode_cursor

LOG = "directory"
PAGE_SIZE = 50
MAX_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems
CONTACTS = ("handler", "spokesperson", "leader")


@dataclass(frozen=True)
class Change:
    """One write of the directory: the item after (``after``; a unit's or an account's dict
    as ``unit_dict`` / ``staff_dict`` answer it), what it was (``before``: None when new)."""

    kind: str  # "unit" | "staff" | "staff-factor" (an admin's reset of the second factor)
    action: str  # e.g. "unit.create", "staff.disable"
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any]


def _plain(raw: Any) -> dict[str, Any]:
    data = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw or {})
    return {k: str(v) for k, v in data.items() if v not in (None, "")}


def unit_dict(m: DepartmentModel) -> dict[str, Any]:
    """A stored unit or county platform as the admin API answers it (``parent``: as stored,
    absent when derived from the district)."""
    found: dict[str, Any] = {
        "id": m.id,
        "name": m.name,
        "level": m.level or "unit",
        "kind": m.kind or "department",
        "district": m.district,
        "categories": list(m.categories or []),
        **{role: _plain(getattr(m, role)) for role in CONTACTS},
        "active": bool(m.active),
    }
    if m.parent:
        found["parent"] = m.parent
    if found["level"] == "county":
        found["districts"] = list(m.districts or [m.district])
        found["triage"] = m.triage or "county_triage"
        found["city_categories"] = list(m.city_categories or [])
    return found


def staff_dict(m: StaffModel) -> dict[str, Any]:
    """An account as the admin API answers it: its second factor's state, never its secret."""
    found: dict[str, Any] = {
        "email": m.email,
        "role": m.role,
        "name": m.name or "",
        "active": bool(m.active),
        "second_factor": "enrolled" if m.totp_secret else "none",
    }
    if m.totp_locked_until is not None:
        found["second_factor_locked_until"] = m.totp_locked_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    if m.county:
        found["county"] = m.county
    if m.title:
        found["title"] = m.title
    if m.supervisor_kind:
        found["supervisor_kind"] = m.supervisor_kind
    return found


def units() -> list[DepartmentModel]:
    return sorted(DepartmentModel.scan(), key=lambda m: (m.level != "county", m.id))


def unit(unit_id: str) -> DepartmentModel | None:
    try:
        return DepartmentModel.get(unit_id)
    except DepartmentModel.DoesNotExist:
        return None


def staff() -> list[StaffModel]:
    return sorted(StaffModel.scan(), key=lambda m: (m.role, m.email))


def account(email: str) -> StaffModel | None:
    try:
        return StaffModel.get(email)
    except StaffModel.DoesNotExist:
        return None


def _unit_model(data: dict[str, Any], stored: DepartmentModel | None) -> DepartmentModel:
    marks = directory._map(stored.unreachable) if stored is not None else {}
    in_use = {str((data.get(k) or {}).get("email", "")).strip().lower() for k in CONTACTS}
    county = data.get("level") == "county"
    return DepartmentModel(
        data["id"],
        name=data["name"],
        district=data["district"],
        categories=list(data.get("categories", [])),
        handler=dict(data.get("handler") or {}),
        spokesperson=dict(data.get("spokesperson") or {}),
        leader=dict(data.get("leader") or {}),
        # A broken address stays marked while in use; a corrected one starts clean.
        unreachable={e: at for e, at in marks.items() if e in in_use},
        active=bool(data.get("active", True)),
        level="county" if county else "unit",
        kind="platform" if county else data.get("kind", "department"),
        parent=data.get("parent") or None,
        districts=list(data.get("districts", [])) if county else [],
        triage=data.get("triage") if county else None,
        city_categories=list(data.get("city_categories", [])) if county else [],
    )


def _staff_model(data: dict[str, Any]) -> StaffModel:
    return StaffModel(
        data["email"],
        role=data["role"],
        name=data.get("name", ""),
        active=bool(data.get("active", True)),
        county=data.get("county") or None,
        title=data.get("title") or None,
        supervisor_kind=data.get("supervisor_kind") or None,
    )


def _staff_actions(data: dict[str, Any]) -> list[Any]:
    county = data.get("county") or None
    return [
        StaffModel.role.set(data["role"]),
        StaffModel.name.set(data.get("name", "")),
        StaffModel.active.set(bool(data.get("active", True))),
        StaffModel.county.set(county) if county else StaffModel.county.remove(),
    ]


def _record(change: Change, by: str, at: datetime) -> DirectoryChangeModel:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return DirectoryChangeModel(
        LOG,
        f"{stamp}#{secrets.token_hex(4)}",
        at=at,
        actor=by,
        action=change.action,
        target=change.target,
        before=json.dumps(change.before, ensure_ascii=False, sort_keys=True),
        after=json.dumps(change.after, ensure_ascii=False, sort_keys=True),
    )


def write(changes: Sequence[Change], by: str, at: datetime) -> None:
    """Write the changes with their records: one transaction per 50 changes (two items each),
    so up to 50 in one piece. Each write holds its invariant: a new item must not exist, a
    changed one must (a conflicting write in between answers 409 ``directory_changed``)."""
    step = MAX_ITEMS // 2
    try:
        for start in range(0, len(changes), step):
            with TransactWrite(
                connection=DepartmentModel._get_connection().connection,
                client_request_token=uuid.uuid4().hex,
            ) as tx:
                for change in changes[start : start + step]:
                    if change.kind == "unit":
                        stored = unit(change.target) if change.before is not None else None
                        tx.save(
                            _unit_model(change.after, stored),
                            condition=DepartmentModel.id.exists()
                            if change.before is not None
                            else DepartmentModel.id.does_not_exist(),
                        )
                    elif change.kind == "staff-factor":
                        tx.update(
                            StaffModel(change.target),
                            actions=second_factor.reset_actions(),
                            condition=StaffModel.email.exists(),
                        )
                    elif change.before is None:
                        tx.save(
                            _staff_model(change.after),
                            condition=StaffModel.email.does_not_exist(),
                        )
                    else:
                        # The account's own fields only: its second factor stays as it is.
                        tx.update(
                            StaffModel(change.target),
                            actions=_staff_actions(change.after),
                            condition=StaffModel.email.exists(),
                        )
                    tx.save(_record(change, by, at))
    except PynamoDBException as error:
        from functions.storage import failures

        if failures.unavailable(error) is not None:
            raise
        raise Conflict(
            "目录已被他人修改，请刷新后重试",
            "the directory changed meanwhile: reload and try again",
            "directory_changed",
        ) from error
    finally:
        forget_cached()


def forget_cached() -> None:
    """This process's cached directory (units, platforms, staff addresses) is stale now;
    other processes see the change within the cache's five minutes."""
    for key in list(directory._cache):
        if key in {"units", "departments", "platforms", "staff-emails"} or key.startswith(
            "coordinators:"
        ):
            directory.forget(key)


def changes(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the change records, newest first."""
    start = decode_cursor(cursor, ["log", "entry_key"])
    results = DirectoryChangeModel.query(
        LOG, scan_index_forward=False, limit=PAGE_SIZE, last_evaluated_key=start
    )
    items = [
        {
            "at": m.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "by": m.actor,
            "action": m.action,
            "target": m.target,
            "before": json.loads(m.before),
            "after": json.loads(m.after),
        }
        for m in results
    ]
    return items, encode_cursor(results.last_evaluated_key)
