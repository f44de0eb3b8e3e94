"""The directory's rules (§15), pure: what a unit or a county platform and a staff account
must satisfy beyond their JSON Schemas (each district and category known, a unit's parent
the city or an active county platform, a scope only for county coordinators), and the CSV
form of the units (the columns of the export, which the import reads back)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.domain.errors import FieldError
from functions.domain.platforms import CITY

ROLES = (
    "operator",
    "coordinator",
    "county_coordinator",
    "admin",
    "auditor",
    "supervisor",
    "leader",
)
CONTACTS = ("handler", "spokesperson", "leader")
CONTACT_FIELDS = ("name", "email", "phone")

# The CSV columns, in order (docs/OPERATIONS.md describes each). Lists are written with "|".
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "level",
    "kind",
    "parent",
    "district",
    "districts",
    "categories",
    "triage",
    "city_categories",
    *(f"{role}_{part}" for role in CONTACTS for part in CONTACT_FIELDS),
    "active",
)
LISTS = ("districts", "categories", "city_categories")
TRUE = {"true", "1", "yes", "y", "是"}
FALSE = {"false", "0", "no", "n", "否"}


@dataclass(frozen=True)
class Known:
    """What a unit may name: the taxonomy's districts and categories, the county platforms."""

    districts: frozenset[str]
    categories: frozenset[str]
    platforms: frozenset[str]  # active county platform ids


def _problem(field: str, zh: str, en: str) -> FieldError:
    return FieldError(field, zh, en)


def unit_problems(data: Mapping[str, Any], known: Known) -> list[FieldError]:
    """What is wrong with a unit (or county platform) that passed ``admin-unit.json``."""
    found: list[FieldError] = []
    county = data.get("level") == "county"
    district = str(data.get("district", ""))
    if district != CITY and district not in known.districts:
        found.append(_problem("district", f"区县代码 {district} 不存在", f"unknown {district}"))
    for n, code in enumerate(data.get("categories", [])):
        if code not in known.categories:
            found.append(
                _problem(f"categories.{n}", f"分类 {code} 不存在", f"unknown category {code}")
            )
    parent = data.get("parent")
    if county:
        if parent:
            found.append(
                _problem("parent", "分平台直属市级平台，不填上级", "a county platform has none")
            )
        if not data.get("districts"):
            found.append(_problem("districts", "请填写分平台覆盖的区县", "districts required"))
        for n, code in enumerate(data.get("districts", [])):
            if code == CITY or code not in known.districts:
                found.append(
                    _problem(f"districts.{n}", f"区县代码 {code} 不存在", f"unknown {code}")
                )
        for n, code in enumerate(data.get("city_categories", [])):
            if code not in known.categories:
                found.append(
                    _problem(f"city_categories.{n}", f"分类 {code} 不存在", f"unknown {code}")
                )
    else:
        if parent and parent != CITY and parent not in known.platforms:
            found.append(
                _problem(
                    "parent",
                    f"上级 {parent} 不是市级平台（city）或在用的分平台",
                    "parent must be city or an active county platform",
                )
            )
        for name in ("districts", "triage", "city_categories"):
            if data.get(name):
                found.append(
                    _problem(name, "只有分平台填写此项", f"{name} is for county platforms only")
                )
        if not (data.get("handler") or {}).get("email"):
            found.append(
                _problem("handler.email", "请填写承办联系人邮箱", "the handler's email is required")
            )
    return found


def staff_problems(data: Mapping[str, Any], platforms: Iterable[str]) -> list[FieldError]:
    """A county coordinator needs its county (an active county platform); no other role
    has one. A supervisor needs its public title and its kind (§16); no other role has
    them."""
    found = _supervisor_problems(data)
    county = data.get("county")
    if data.get("role") == "county_coordinator":
        if not county:
            found.append(_problem("county", "县级协调员须指定分平台", "county is required"))
        elif county not in set(platforms):
            found.append(_problem("county", f"分平台 {county} 不存在或已停用", f"unknown {county}"))
    elif county:
        found.append(
            _problem("county", "只有县级协调员有分平台范围", "county only for county_coordinator")
        )
    return found


def _supervisor_problems(data: Mapping[str, Any]) -> list[FieldError]:
    if data.get("role") == "supervisor":
        return [
            _problem(name, message, f"{name} is required for a supervisor")
            for name, message in (
                ("title", "请填写监督员的公开称谓，如“市人大代表 张某某”"),
                ("supervisor_kind", "请选择监督员类别"),
            )
            if not str(data.get(name) or "").strip()
        ]
    return [
        _problem(name, "只有监督员有此项", f"{name} only for supervisor")
        for name in ("title", "supervisor_kind")
        if data.get(name)
    ]


# --- CSV -----------------------------------------------------------------------------------


def to_row(unit: Mapping[str, Any]) -> list[str]:
    row: dict[str, str] = {}
    for column in COLUMNS:
        if column in LISTS:
            row[column] = "|".join(unit.get(column) or [])
        elif column == "active":
            row[column] = "true" if unit.get("active", True) else "false"
        elif "_" in column and column.split("_", 1)[0] in CONTACTS:
            role, part = column.split("_", 1)
            row[column] = str((unit.get(role) or {}).get(part, ""))
        else:
            row[column] = str(unit.get(column) or "")
    return [row[c] for c in COLUMNS]


def to_csv(units: Iterable[Mapping[str, Any]]) -> str:
    """The units as CSV, UTF-8 with a BOM (so a spreadsheet opens the Chinese right), CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for unit in units:
        writer.writerow(to_row(unit))
    return "\ufeff" + out.getvalue()


@dataclass(frozen=True)
class Row:
    line: int  # the row's number as a spreadsheet shows it (the header is row 1)
    data: dict[str, Any]
    problems: tuple[FieldError, ...]  # what the CSV itself gets wrong (fields as columns)


def from_csv(text: str) -> tuple[list[Row], list[FieldError]]:
    """The rows of an import (a BOM or none), each as the unit it describes (the body
    ``admin-unit.json`` checks, plus ``active``); problems of the header as a whole."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    lines = list(reader)
    if not lines:
        return [], [_problem("csv", "文件为空", "the file is empty")]
    header = [h.strip() for h in lines[0]]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        problems = [_problem(f"header.{c}", f"缺少列 {c}", f"column {c} missing") for c in missing]
        problems += [_problem(f"header.{c}", f"未知列 {c}", f"unknown column {c}") for c in unknown]
        return [], problems
    rows: list[Row] = []
    for n, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (a spreadsheet's trailing one)
        if len(cells) != len(header):
            rows.append(
                Row(n, {}, (_problem("", f"应有 {len(header)} 列", "wrong number of columns"),))
            )
            continue
        rows.append(_row(n, dict(zip(header, (c.strip() for c in cells), strict=True))))
    if not rows:
        return [], [_problem("csv", "文件中没有单位", "no units in the file")]
    return rows, []


def _row(line: int, cells: dict[str, str]) -> Row:
    data: dict[str, Any] = {}
    problems: list[FieldError] = []
    for column in ("id", "name", "level", "kind", "parent", "district", "triage"):
        if cells[column]:
            data[column] = cells[column]
    for column in LISTS:
        data[column] = [v.strip() for v in cells[column].split("|") if v.strip()]
    for role in CONTACTS:
        contact = {p: cells[f"{role}_{p}"] for p in CONTACT_FIELDS if cells[f"{role}_{p}"]}
        if contact:
            data[role] = contact
    flag = cells["active"].lower()
    if flag in TRUE or not flag:
        data["active"] = True
    elif flag in FALSE:
        data["active"] = False
    else:
        problems.append(_problem("active", "active 应为 true 或 false", "active: true|false"))
    return Row(line, data, tuple(problems))


def column_of(field: str) -> str:
    """A body field's name as the CSV column that holds it (``handler.email`` →
    ``handler_email``, ``categories.2`` → ``categories``)."""
    head, _, rest = field.partition(".")
    if head in CONTACTS and rest:
        return f"{head}_{rest.split('.')[0]}"
    return head
