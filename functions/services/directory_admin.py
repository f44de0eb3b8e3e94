"""The directory in the browser (§15, issue 17 §4): the admin lists, creates, updates,
disables and enables units, county platforms and staff accounts, and imports units from CSV.
No hard delete. A unit (or county platform) with open cases is not disabled (409 listing
them) until they are reassigned. Every change is written with its record (who, when,
before, after), which auditors read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.domain import directory as rules
from functions.domain.errors import Conflict, FieldError, InvalidRequest, NotFound
from functions.domain.platforms import CITY
from functions.storage import directory, directory_admin
from functions.storage.directory_admin import Change
from functions.validation import check

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

OPEN_CASES_LISTED = 50  # the 409 names at most this many open cases (and says if more)


def _refuse(problems: list[FieldError]) -> InvalidRequest:
    return InvalidRequest(
        "请求内容有误，请检查标出的字段", "The request is invalid", "validation_failed", problems
    )


def _known() -> rules.Known:
    tax = directory.taxonomy()
    return rules.Known(
        frozenset(code for code, _ in tax.districts),
        frozenset(code for code, _ in tax.categories),
        frozenset(p.id for p in directory.platforms()),
    )


def _no_unit(unit_id: str) -> NotFound:
    return NotFound(f"没有单位 {unit_id}", f"no unit {unit_id}", "no_such_unit")


def _view(unit: dict[str, Any]) -> dict[str, Any]:
    """The stored unit, with the platform it belongs to (a unit's)."""
    if unit["level"] == "county":
        return unit
    found = directory.department(unit["id"])
    if found is not None:
        return {**unit, "platform": found.platform}
    return {**unit, "platform": unit.get("parent") or CITY}


# --- units ---------------------------------------------------------------------------------


def list_units() -> dict[str, Any]:
    return {"items": [_view(directory_admin.unit_dict(m)) for m in directory_admin.units()]}


def _normalise(body: dict[str, Any], unit_id: str) -> dict[str, Any]:
    data = {k: v for k, v in body.items() if v not in (None, "", [], {})}
    data["id"] = unit_id
    data.setdefault("level", "unit")
    if data["level"] == "county":
        data["kind"] = "platform"
        data.setdefault("triage", "county_triage")
        if "district" not in data and data.get("districts"):
            data["district"] = data["districts"][0]
    else:
        data.setdefault("kind", "department")
        if data["kind"] == "platform":
            data["kind"] = "department"
    for role in rules.CONTACTS:
        data[role] = {k: v for k, v in (data.get(role) or {}).items() if v}
    data.setdefault("categories", [])
    return data


def _checked_unit(body: dict[str, Any], unit_id: str, known: rules.Known) -> dict[str, Any]:
    data = _normalise(body, unit_id)
    problems = rules.unit_problems(data, known)
    if "district" not in data:
        problems.insert(0, FieldError("district", "请填写所在区县", "district is required"))
    if problems:
        raise _refuse(problems)
    return data


def create_unit(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    unit_id = body.get("id")
    if not unit_id:
        raise _refuse([FieldError("id", "请填写单位编号", "id is required")])
    data = _checked_unit(body, unit_id, _known())
    if directory_admin.unit(unit_id) is not None:
        raise Conflict(f"单位编号 {unit_id} 已存在", f"unit {unit_id} exists", "unit_exists")
    data["active"] = True
    directory_admin.write([Change("unit", "unit.create", unit_id, None, data)], session.email, now)
    return _stored_view(unit_id)


def _stored(unit_id: str) -> dict[str, Any]:
    found = directory_admin.unit(unit_id)
    if found is None:
        raise _no_unit(unit_id)
    return directory_admin.unit_dict(found)


def _stored_view(unit_id: str) -> dict[str, Any]:
    return _view(_stored(unit_id))


def update_unit(
    unit_id: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    before = _stored(unit_id)
    if body.get("id") not in (None, unit_id):
        raise _refuse([FieldError("id", "单位编号不能修改", "the id is the path's")])
    data = _checked_unit(body, unit_id, _known())
    if data["level"] != before["level"]:
        raise _refuse([FieldError("level", "层级不能修改", "the level cannot change")])
    data["active"] = before["active"]
    if _same(before, data):
        return _view(before)
    directory_admin.write(
        [Change("unit", "unit.update", unit_id, before, data)], session.email, now
    )
    return _stored_view(unit_id)


def _same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = set(before) | set(after)
    empty: tuple[Any, ...] = (None, "", [], {})
    return all(
        (before.get(k) in empty and after.get(k) in empty) or before.get(k) == after.get(k)
        for k in keys
    )


def open_cases(unit_id: str, level: str) -> tuple[list[str], bool]:
    """Ids of the unit's open cases (as lead: one Query of the sparse ``desk`` index; as
    co-handler: one of its co-handling entries) and, for a county platform, the open cases it
    holds (its coordinator queue, filtered by holder); at most ``OPEN_CASES_LISTED``, and
    whether there were more."""
    from functions.domain.desk import role_on
    from functions.domain.lifecycle import Role
    from functions.storage import cases_repo

    found, more = cases_repo.on_desk(unit_id, OPEN_CASES_LISTED)
    co, more_co = cases_repo.co_handled(unit_id, OPEN_CASES_LISTED)
    ids = [c.case_id for c in found]
    ids += [c.case_id for c in co if role_on(c, unit_id) == Role.CO_HANDLER]
    more = more or more_co
    if level == "county":
        cursor: str | None = None
        for _ in range(5):  # a page is 50 cases: enough to say "these, and more"
            page = cases_repo.queue(
                {"holder": unit_id}, sort="created", bucket="open", cursor=cursor
            )
            ids += [c.case_id for c in page.cases if c.case_id not in ids]
            cursor = page.next_cursor
            if not cursor or len(ids) > OPEN_CASES_LISTED:
                break
        more = more or bool(cursor) or len(ids) > OPEN_CASES_LISTED
    return sorted(ids)[:OPEN_CASES_LISTED], more


def disable_unit(unit_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    before = _stored(unit_id)
    if not before["active"]:
        return _view(before)
    ids, more = open_cases(unit_id, before["level"])
    if ids:
        listed = "、".join(ids) + ("等" if more else "")
        raise Conflict(
            f"该单位还有 {len(ids)}{'+' if more else ''} 件未办结的诉求（{listed}），"
            "请先改派后再停用",
            f"the unit has open cases ({', '.join(ids)}{', …' if more else ''}): reassign them",
            "unit_has_open_cases",
            cases=ids,
        )
    if before["level"] == "county":
        units = sorted(d.id for d in directory.departments().values() if d.platform == unit_id)
        if units:
            raise Conflict(
                f"该分平台下还有在用的单位（{'、'.join(units)}），请先停用或改挂",
                f"the platform still has active units ({', '.join(units)})",
                "platform_has_units",
                cases=[],
            )
    after = {**before, "active": False}
    directory_admin.write(
        [Change("unit", "unit.disable", unit_id, before, after)], session.email, now
    )
    return _stored_view(unit_id)


def enable_unit(unit_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    before = _stored(unit_id)
    if before["active"]:
        return _view(before)
    parent = before.get("parent")
    active = {p.id for p in directory.platforms()}
    if before["level"] != "county" and parent and parent != CITY and parent not in active:
        raise Conflict(
            f"上级分平台 {parent} 已停用，请先启用它或改挂",
            f"its platform {parent} is disabled",
            "platform_disabled",
        )
    after = {**before, "active": True}
    directory_admin.write(
        [Change("unit", "unit.enable", unit_id, before, after)], session.email, now
    )
    return _stored_view(unit_id)


# --- CSV -----------------------------------------------------------------------------------


def export_csv() -> str:
    return rules.to_csv(directory_admin.unit_dict(m) for m in directory_admin.units())


def import_csv(text: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    """Every row checked (the unit's schema, then its rules, platforms named by the file
    itself counting as known); 400 ``import_invalid`` naming each bad row and column, and
    nothing written, unless all are valid. Then each new or changed unit is written with its
    record, 50 to a transaction."""
    rows, problems = rules.from_csv(text)
    if problems:
        raise _import_refused(problems)
    stored = {m.id: directory_admin.unit_dict(m) for m in directory_admin.units()}
    base = _known()
    platforms = {p for p in base.platforms}
    platforms |= {
        r.data["id"]
        for r in rows
        if r.data.get("level") == "county" and r.data.get("active", True) and r.data.get("id")
    }
    known = rules.Known(base.districts, base.categories, frozenset(platforms))
    report: list[FieldError] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    unchanged = 0
    for row in rows:
        bad = [_at_row(row.line, p) for p in row.problems]
        data: dict[str, Any] = {}
        if not bad:
            body = {k: v for k, v in row.data.items() if k != "active"}
            try:
                check("admin-unit", body)
                if not body.get("id"):
                    raise _refuse([FieldError("id", "请填写单位编号", "id is required")])
                data = _checked_unit(body, body["id"], known)
            except InvalidRequest as error:
                bad = [_at_row(row.line, p) for p in error.fields]
        unit_id = row.data.get("id", "")
        if unit_id and unit_id in seen:
            bad.append(
                _at_row(
                    row.line,
                    FieldError(
                        "id",
                        f"单位编号与第 {seen[unit_id]} 行重复",
                        f"same id as row {seen[unit_id]}",
                    ),
                )
            )
        seen.setdefault(unit_id, row.line)
        before = stored.get(unit_id)
        if not bad and before is not None and before["level"] != data["level"]:
            bad.append(
                _at_row(row.line, FieldError("level", "层级不能修改", "level cannot change"))
            )
        if not bad:
            data["active"] = bool(row.data.get("active", True))
            if before is not None and before["active"] and not data["active"]:
                ids, _ = open_cases(unit_id, before["level"])
                if ids:
                    bad.append(
                        _at_row(
                            row.line,
                            FieldError(
                                "active",
                                f"有未办结的诉求（{'、'.join(ids)}），不能停用",
                                f"open cases: {', '.join(ids)}",
                            ),
                        )
                    )
        report += bad
        if bad:
            continue
        if before is None:
            changes.append(Change("unit", "unit.import", unit_id, None, data))
        elif _same(before, data):
            unchanged += 1
        else:
            changes.append(Change("unit", "unit.import", unit_id, before, data))
    if report:
        raise _import_refused(report)
    directory_admin.write(changes, session.email, now)
    created = sum(1 for c in changes if c.before is None)
    return {
        "rows": len(rows),
        "created": created,
        "updated": len(changes) - created,
        "unchanged": unchanged,
    }


def _at_row(line: int, problem: FieldError) -> FieldError:
    column = rules.column_of(problem.field)
    where = f"rows.{line}.{column}" if column else f"rows.{line}"
    label = f"第 {line} 行" + (f" {column}" if column else "")
    return FieldError(
        where, f"{label}：{problem.message}", f"row {line} {column}: {problem.message_en}"
    )


def _import_refused(problems: list[FieldError]) -> InvalidRequest:
    return InvalidRequest(
        f"导入文件有 {len(problems)} 处错误，未写入任何单位，请改正后重新导入",
        f"{len(problems)} problems in the file: nothing was written",
        "import_invalid",
        problems,
    )


# --- staff ---------------------------------------------------------------------------------


def list_staff() -> dict[str, Any]:
    return {"items": [directory_admin.staff_dict(m) for m in directory_admin.staff()]}


def _checked_staff(body: dict[str, Any], email: str) -> dict[str, Any]:
    data = {
        "email": email,
        "role": body["role"],
        "name": str(body.get("name", "")).strip(),
    }
    for optional in ("county", "title", "supervisor_kind"):
        if str(body.get(optional) or "").strip():
            data[optional] = str(body[optional]).strip()
    problems = rules.staff_problems(data, (p.id for p in directory.platforms()))
    if problems:
        raise _refuse(problems)
    return data


def _no_account(email: str) -> NotFound:
    return NotFound(f"没有账号 {email}", f"no account {email}", "no_such_account")


def _account(email: str) -> dict[str, Any]:
    found = directory_admin.account(email.strip().lower())
    if found is None:
        raise _no_account(email)
    return directory_admin.staff_dict(found)


def _fields(account: dict[str, Any]) -> dict[str, Any]:
    """The account's own fields, as its change records keep them (not its second factor's
    state, which ``reset_second_factor`` records on its own)."""
    return {k: v for k, v in account.items() if not k.startswith("second_factor")}


def create_staff(body: dict[str, Any], session: StaffSession, now: datetime) -> dict[str, Any]:
    if not body.get("email"):
        raise _refuse([FieldError("email", "请填写电子邮箱", "email is required")])
    email = str(body["email"]).strip().lower()
    data = {**_checked_staff(body, email), "active": True}
    if directory_admin.account(email) is not None:
        raise Conflict(f"账号 {email} 已存在", f"account {email} exists", "account_exists")
    directory_admin.write([Change("staff", "staff.create", email, None, data)], session.email, now)
    return _account(email)


def update_staff(
    email: str, body: dict[str, Any], session: StaffSession, now: datetime
) -> dict[str, Any]:
    before = _fields(_account(email))
    email = before["email"]
    if body.get("email") and str(body["email"]).strip().lower() != email:
        raise _refuse([FieldError("email", "电子邮箱不能修改", "the email is the path's")])
    data = {**_checked_staff(body, email), "active": before["active"]}
    if email == session.email and data["role"] != before["role"]:
        raise Conflict("不能修改自己的角色", "you cannot change your own role", "own_account")
    if _same(before, data):
        return _account(email)
    directory_admin.write(
        [Change("staff", "staff.update", email, before, data)], session.email, now
    )
    return _account(email)


def set_staff_active(
    email: str, active: bool, session: StaffSession, now: datetime
) -> dict[str, Any]:
    before = _account(email)
    if before["email"] == session.email and not active:
        raise Conflict("不能停用自己的账号", "you cannot disable your own account", "own_account")
    if before["active"] == active:
        return before
    action = "staff.enable" if active else "staff.disable"
    fields = _fields(before)
    after = {**fields, "active": active}
    directory_admin.write(
        [Change("staff", action, before["email"], fields, after)], session.email, now
    )
    return _account(before["email"])


def reset_second_factor(email: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    """重置动态验证码: the account's TOTP secret, recovery codes and any lock are removed (its
    next sign-in enrols afresh); recorded as ``staff.reset-totp`` with who and when. The
    record keeps the factor's state before and after, never a secret."""
    before = _account(email)
    state = {k: v for k, v in before.items() if k == "email" or k.startswith("second_factor")}
    after = {"email": before["email"], "second_factor": "none"}
    directory_admin.write(
        [Change("staff-factor", "staff.reset-totp", before["email"], state, after)],
        session.email,
        now,
    )
    return _account(before["email"])


# --- the record ----------------------------------------------------------------------------


def changes(cursor: str | None) -> dict[str, Any]:
    items, next_cursor = directory_admin.changes(cursor)
    return {"items": items, "next_cursor": next_cursor}
