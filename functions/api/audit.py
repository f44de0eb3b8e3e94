"""Audit routes (§2, §9): the auditor role only, and read-only over cases. Every route names
its roles in ``ROUTE_ROLES`` (walked by the authorisation test); every answer is recorded in
the access log by the service before it is returned. Services load on first use (cold start)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, query, route
from functions.api.spec import CURSOR, MONTH_PATTERN, STAFF, Spec, answer, page, query_param
from functions.domain.lifecycle import Role

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

audit = Blueprint(__name__)

AUDITORS = frozenset({Role.AUDITOR})
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/audit/cases"): AUDITORS,
    ("GET", "/api/audit/cases/{case_id}"): AUDITORS,
    ("GET", "/api/audit/cases/{case_id}/verify"): AUDITORS,
    ("POST", "/api/audit/exports"): AUDITORS,
    ("GET", "/api/audit/exports/{export_id}"): AUDITORS,
    ("GET", "/api/audit/exports/{export_id}/verify"): AUDITORS,
    ("GET", "/api/audit/log"): AUDITORS,
    # The directory's change records (§15): auditors, and the admins who make the changes.
    ("GET", "/api/audit/directory-changes"): frozenset({Role.AUDITOR, Role.ADMIN}),
}


def _session() -> StaffSession:
    from functions.services import staff_auth

    return staff_auth.authenticate(header(audit, "authorization"), now(), AUDITORS)


def _params() -> dict[str, str]:
    """Every query parameter (unknown ones too, so the filter can refuse them by name)."""
    raw = dict(audit.current_request.query_params or {})
    return {name: str(value)[:200] for name, value in raw.items() if name != "cursor"}


@route(
    audit,
    "/api/audit/cases",
    spec=Spec(
        summary="查询档案",
        operation_id="auditSearch",
        tags=("audit",),
        security=STAFF,
        description=(
            "已办结与已归档的诉求，最新在前，每页 50 件。按单位、区县或月份的索引读取：一个单位-"
            "月份的查询只读该单位-月份。未知或无效的筛选条件返回 400 并逐项指明。"
        ),
        parameters=(
            query_param(
                "from",
                "起始月份（提交月份，Asia/Shanghai）YYYY-MM；缺省为截止月份前 11 个月",
                MONTH_PATTERN,
            ),
            query_param("to", "截止月份 YYYY-MM；缺省为本月；一次最多 60 个月", MONTH_PATTERN),
            query_param("department", "牵头单位 id（按单位-月份索引查询）"),
            query_param("district", "区县代码"),
            query_param(
                "kind",
                "类型",
                {"enum": ["consultation", "suggestion", "complaint", "help", "praise"]},
            ),
            query_param("category", "分类代码"),
            query_param("state", "状态", {"enum": ["closed", "archived"]}),
            query_param(
                "breached",
                "曾超时：任意 / 未超时 / 受理超时 / 签收超时 / 答复超时",
                {"enum": ["any", "none", "triage", "response", "reply"]},
            ),
            query_param("extension", "是否延期", {"enum": ["yes", "no"]}),
            query_param(
                "rating",
                "最后一次答复的评价",
                {"enum": ["satisfied", "basically_satisfied", "unsatisfied", "none"]},
            ),
            query_param("reopened", "是否重办过", {"enum": ["yes", "no"]}),
            CURSOR,
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "filter": {"type": "object"},
                        "cases": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/AuditRow"},
                        },
                        "next_cursor": {"type": ["string", "null"]},
                    },
                    "required": ["filter", "cases", "next_cursor"],
                }
            )
        },
        errors=(400, 401, 403, 503),
    ),
)
def search() -> dict[str, Any]:
    """Closed and archived cases: ``from``/``to`` (YYYY-MM), ``department``, ``district``,
    ``kind``, ``category``, ``state``, ``breached``, ``extension``, ``rating``, ``reopened``,
    ``cursor``."""
    from functions.services import auditing as service

    session = _session()
    return service.search(_params(), query(audit, "cursor").get("cursor"), session, now())


@route(
    audit,
    "/api/audit/cases/{case_id}",
    spec=Spec(
        summary="诉求档案与完整记录",
        operation_id="auditCase",
        tags=("audit",),
        security=STAFF,
        description=(
            "全部记录（含内部记录），每条附 SHA-256 哈希及前一条的哈希，并附校验结果。"
            "未办结的诉求 404 `not_in_archive`。"
        ),
        responses={200: answer("AuditCase")},
        errors=(400, 401, 403, 404, 503),
    ),
)
def case_record(case_id: str) -> dict[str, Any]:
    from functions.services import auditing as service

    return service.case_record(case_id, _session(), now())


@route(
    audit,
    "/api/audit/cases/{case_id}/verify",
    spec=Spec(
        summary="校验哈希链",
        operation_id="auditVerify",
        tags=("audit",),
        security=STAFF,
        description=(
            "重新计算哈希链，报告第一处断开（修改、删除、插入、调换顺序、截断），"
            "并核对案件记录中的原文、联系方式与答复。"
        ),
        responses={200: answer("Verification")},
        errors=(400, 401, 403, 404, 503),
    ),
)
def verify(case_id: str) -> dict[str, Any]:
    from functions.services import auditing as service

    return service.verify(case_id, _session(), now())


@route(
    audit,
    "/api/audit/exports",
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="导出查询结果",
        operation_id="auditExport",
        tags=("audit",),
        security=STAFF,
        description=(
            "把查询结果写成 JSON Lines 与 CSV（不含联系方式，文本已脱敏）存入 S3，附清单"
            "（条件、件数、每个文件的 SHA-256）。一次最多 20000 件（409 `export_too_large`），"
            "更多请用命令行 `python -m functions.audit_cli export`。"
        ),
        request="audit-export",
        responses={201: answer("ExportManifest")},
        errors=(400, 401, 403, 409, 413, 415, 503),
    ),
)
def export() -> dict[str, Any]:
    from functions.services import exports

    session = _session()
    return exports.export(body(audit, "audit-export"), session, now())


@route(
    audit,
    "/api/audit/exports/{export_id}",
    spec=Spec(
        summary="导出清单",
        operation_id="auditExportManifest",
        tags=("audit",),
        security=STAFF,
        description="清单与新的下载链接。",
        responses={200: answer("ExportManifest")},
        errors=(400, 401, 403, 404, 503),
    ),
)
def export_manifest(export_id: str) -> dict[str, Any]:
    from functions.services import exports

    return exports.manifest(export_id, _session(), now())


@route(
    audit,
    "/api/audit/exports/{export_id}/verify",
    spec=Spec(
        summary="核对导出",
        operation_id="auditExportVerify",
        tags=("audit",),
        security=STAFF,
        description=(
            "文件哈希与清单是否一致、每件诉求的链头哈希与档案是否一致（只追加的记录如匿名化"
            "不算改动）、是否有符合条件却未导出的诉求。"
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "export_id": {"type": "string"},
                        "valid": {"type": "boolean"},
                        "count": {"type": "integer"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                        "changed": {"type": "array", "items": {"type": "string"}},
                        "extended": {"type": "array", "items": {"type": "string"}},
                        "missing": {"type": "array", "items": {"type": "string"}},
                        "closed_since": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["export_id", "valid", "count", "problems"],
                }
            )
        },
        errors=(400, 401, 403, 404, 503),
    ),
)
def verify_export(export_id: str) -> dict[str, Any]:
    from functions.services import exports

    return exports.verify_export(export_id, _session(), now())


@route(
    audit,
    "/api/audit/log",
    spec=Spec(
        summary="访问记录",
        operation_id="auditLog",
        tags=("audit",),
        security=STAFF,
        description="谁在何时以什么条件查询、查看、校验、导出了档案（某月，最新在前）。",
        parameters=(query_param("month", "YYYY-MM；缺省为本月"),),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "month": {"type": "string"},
                        "entries": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "at": {"type": "string", "format": "date-time"},
                                    "actor": {"type": "string"},
                                    "role": {"type": "string"},
                                    "action": {"type": "string"},
                                    "target": {"type": "string"},
                                    "filter": {"type": "string", "description": "JSON"},
                                    "count": {"type": ["integer", "null"]},
                                },
                            },
                        },
                    },
                    "required": ["month", "entries"],
                }
            )
        },
        errors=(400, 401, 403, 503),
    ),
)
def access_log() -> dict[str, Any]:
    from functions.services import auditing as service

    session = _session()
    return service.access_log(query(audit, "month").get("month"), session, now())


@route(
    audit,
    "/api/audit/directory-changes",
    spec=Spec(
        summary="目录变更记录",
        operation_id="auditDirectoryChanges",
        tags=("audit",),
        security=STAFF,
        description=(
            "谁在何时如何修改了单位目录与工作人员账号（修改前、修改后），最新在前，每页 50 条。"
            "审计员与管理员可读。"
        ),
        parameters=(CURSOR,),
        responses={200: answer(page("DirectoryChange"))},
        errors=(400, 401, 403, 503),
    ),
)
def directory_changes() -> dict[str, Any]:
    from functions.services import directory_admin, staff_auth

    staff_auth.authenticate(
        header(audit, "authorization"),
        now(),
        ROUTE_ROLES[("GET", "/api/audit/directory-changes")],
    )
    return directory_admin.changes(query(audit, "cursor").get("cursor"))
