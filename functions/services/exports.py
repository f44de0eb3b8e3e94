"""Audit exports (§2): a query's result as JSON Lines and CSV in S3, with a manifest holding
the filter, the count and the SHA-256 of each file, and the check of an export against the
archive (files unchanged, every case still there with the same head hash, none missing).

No contact data goes into an export (§8), and texts go out scrubbed. Each line carries the
case's head hash: the whole history it commits to can be verified in the archive later."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from functions.domain import integrity
from functions.domain.audit_filter import AuditFilter
from functions.domain.cases import Case, public_text
from functions.domain.errors import Conflict, NotFound, invalid_field
from functions.domain.taxonomy import OUTCOME_LABELS
from functions.services import presenters
from functions.services.auditing import audit_filter, record
from functions.services.staff_auth import StaffSession
from functions.storage import archive_repo, cases_repo, directory, export_store
from functions.storage.codec import iso

API_LIMIT = 20_000  # what one API request exports inside API Gateway's 29 s; the CLI has none
# Codes for machines, and beside each coded value its Chinese label for the auditor reading
# the sheet (the JSON Lines file carries both as well).
CSV_COLUMNS = (
    "case_id",
    "created_at",
    "closed_at",
    "archived_at",
    "state",
    "state_label",
    "kind",
    "kind_label",
    "category",
    "category_label",
    "district",
    "district_label",
    "lead_id",
    "lead_name",
    "breaches",
    "breach_labels",
    "extensions_used",
    "reopen_count",
    "outcome",
    "outcome_label",
    "rating",
    "rating_label",
    "anonymised",
    "event_count",
    "head_hash",
)
Progress = Callable[[int], None]


def _line(case: Case, tax: directory.Taxonomy) -> dict[str, Any]:
    row = presenters.audit_row(case, tax)
    row["content"] = public_text(case, case.content)
    row["replies"] = [
        {
            "at": iso(r.at),
            "department": r.department.id,
            "outcome": r.outcome.value,
            "outcome_label": OUTCOME_LABELS[r.outcome],
            "text": public_text(case, r.text),
            "rating": r.rating.value if r.rating else None,
        }
        for r in case.replies
    ]
    return row


def _csv_row(line: Mapping[str, Any]) -> list[str]:
    lead = line["lead"] or {}
    last = line["replies"][-1] if line["replies"] else None
    values = {
        **line,
        "lead_id": lead.get("id", ""),
        "lead_name": lead.get("name", ""),
        "breaches": ";".join(line["breaches"]),
        "breach_labels": "；".join(line["breach_labels"]),
        "outcome": last["outcome"] if last else "",
        "outcome_label": last["outcome_label"] if last else "",
        "rating": line["rating"] or "",
        "anonymised": "yes" if line["anonymised_at"] else "no",
    }
    return ["" if values.get(c) is None else str(values[c]) for c in CSV_COLUMNS]


def _new_id(now: datetime) -> str:
    return f"EX{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3).upper()}"


def write_export(
    f: AuditFilter,
    cases: Iterable[Case],
    *,
    actor: str,
    now: datetime,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the files and the manifest; returns the manifest."""
    tax = directory.taxonomy()
    export_id = _new_id(now)
    jsonl = io.BytesIO()
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for case in cases:
        count += 1
        if limit is not None and count > limit:
            raise Conflict(
                f"结果超过 {limit} 件，请缩小查询范围，或用命令行导出",
                f"more than {limit} cases; narrow the filter or use the CLI",
                "export_too_large",
            )
        line = _line(case, tax)
        jsonl.write(json.dumps(line, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        writer.writerow(_csv_row(line))
        if progress is not None:
            progress(1)
    files = []
    for name, body, kind in (
        ("cases.jsonl", jsonl.getvalue(), "application/x-ndjson"),
        ("cases.csv", table.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"),
    ):
        object_key = export_store.key(export_id, name)
        export_store.put(object_key, body, kind)
        files.append(
            {
                "name": name,
                "key": object_key,
                "sha256": hashlib.sha256(body).hexdigest(),
                "bytes": len(body),
                "rows": count,
            }
        )
    manifest = {
        "export_id": export_id,
        "created_at": iso(now),
        "created_by": actor,
        "filter": f.as_dict(),
        "count": count,
        "files": files,
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    export_store.put(export_store.key(export_id, "manifest.json"), body, "application/json")
    return manifest


def with_links(manifest: dict[str, Any]) -> dict[str, Any]:
    eid = manifest["export_id"]
    files = [
        {**f, "url": export_store.download_url(f["key"], f"{eid}-{f['name']}")}
        for f in manifest["files"]
    ]
    manifest_key = export_store.key(eid, "manifest.json")
    return {
        **manifest,
        "files": files,
        "manifest_url": export_store.download_url(manifest_key, f"{eid}-manifest.json"),
    }


def run_export(
    f: AuditFilter,
    session: StaffSession,
    now: datetime,
    *,
    limit: int | None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Export the filter's cases, record it in the access log, answer the manifest with
    download links."""
    manifest = write_export(
        f, archive_repo.every(f), actor=session.email, now=now, limit=limit, progress=progress
    )
    record(
        session,
        "export",
        now,
        target=manifest["export_id"],
        filter=f.as_dict(),
        count=manifest["count"],
    )
    return with_links(manifest)


def export(params: Mapping[str, object], session: StaffSession, now: datetime) -> dict[str, Any]:
    """The API's export: at most ``API_LIMIT`` cases."""
    return run_export(audit_filter(params, now), session, now, limit=API_LIMIT)


def read_manifest(export_id: str) -> dict[str, Any]:
    if not export_id.startswith("EX") or len(export_id) > 40 or "/" in export_id:
        raise invalid_field("export_id", "导出编号无效", "invalid export id")
    raw = export_store.get(export_store.key(export_id, "manifest.json"))
    if raw is None:
        raise NotFound("没有这个导出", "no such export", "export_not_found")
    return json.loads(raw)  # type: ignore[no-any-return]


def manifest(export_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    found = read_manifest(export_id)
    record(session, "export-manifest", now, target=export_id)
    return with_links(found)


def _extends(case: Case, line: Mapping[str, Any]) -> bool:
    """Whether the case's history now is the exported one with events appended (say, the
    retention job's anonymisation): the exported head is still in a whole chain."""
    links = cases_repo.history(case.case_id)
    n = int(line["event_count"])
    return (
        len(links) >= n
        and links[n - 1].hash == line["head_hash"]
        and integrity.verify(case, links).broken is None
    )


def check_export(export_id: str, now: datetime) -> dict[str, Any]:
    """An export against its manifest and the archive now. ``valid`` when each file has the
    manifest's hash and row count, every exported case is still in the archive with the same
    head hash (its history unchanged since, or only appended to), and no case that answers
    the filter is missing. Cases that answer the filter but closed after the export are
    listed, not counted against it."""
    found = read_manifest(export_id)
    problems: list[str] = []
    bodies: dict[str, bytes] = {}
    for f in found["files"]:
        body = export_store.get(f["key"]) or b""
        bodies[f["name"]] = body
        if hashlib.sha256(body).hexdigest() != f["sha256"]:
            problems.append(f"{f['name']}: SHA-256 与清单不符")
    lines = [json.loads(x) for x in bodies.get("cases.jsonl", b"").splitlines() if x.strip()]
    if len(lines) != found["count"]:
        problems.append(f"cases.jsonl: {len(lines)} 行，清单记 {found['count']} 件")
    csv_rows = max(0, len(bodies.get("cases.csv", b"").decode("utf-8-sig").splitlines()) - 1)
    if csv_rows != found["count"]:
        problems.append(f"cases.csv: {csv_rows} 行，清单记 {found['count']} 件")
    exported = {line["case_id"]: line for line in lines}
    now_in_archive = cases_repo.get_many(list(exported))
    changed: list[str] = []
    extended: list[str] = []
    for case_id, line in exported.items():
        case = now_in_archive.get(case_id)
        if case is None:
            problems.append(f"{case_id}: 档案中已不存在")
        elif (case.head_hash, case.event_count) != (line["head_hash"], line["event_count"]):
            (extended if _extends(case, line) else changed).append(case_id)
    f = audit_filter(found["filter"], now)
    created = found["created_at"]
    missing: list[str] = []
    later: list[str] = []
    for case in archive_repo.every(f):
        if case.case_id in exported:
            continue
        closed = iso(case.closed_at) if case.closed_at else ""
        (later if closed > created else missing).append(case.case_id)
    if changed:
        problems.append(f"{len(changed)} 件诉求的记录在导出后有变化（链头哈希不同）")
    if missing:
        problems.append(f"{len(missing)} 件符合条件的诉求未被导出")
    return {
        "export_id": export_id,
        "valid": not problems,
        "count": found["count"],
        "problems": problems,
        "changed": changed,
        "extended": extended,
        "missing": missing,
        "closed_since": later,
    }


def verify_export(export_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    result = check_export(export_id, now)
    record(session, "export-verify", now, target=export_id, count=result["count"])
    return result
