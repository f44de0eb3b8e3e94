"""The API document's operations of the lifecycle actions, by the action's path suffix: the
coordinator's case actions (one route, ``POST /api/staff/cases/{case_id}/{action}``, documented
as one path per action, ``under``), the department's (``POST /api/handle/<action>``) and the
citizen's rating (``POST /api/cases/{case_id}/rating``)."""

from __future__ import annotations

from collections.abc import Iterable

from functions.api.spec import LINK, PUBLIC, STAFF, Spec, answer

STAFF_CASE_ACTION = "/api/staff/cases/{case_id}/{action}"
_STAFF_ERRORS = (400, 401, 403, 404, 409, 413, 415, 503)
_DEPARTMENT_ERRORS = (400, 401, 403, 409, 410, 413, 415, 503)
_STALE = "409 when the case's state does not allow it or the case changed meanwhile (`stale_case`)."
_DEPARTMENT_NOTE = (
    "403 when the link's role may not do this (lead vs co-handler); 409 when the case's state "
    "does not allow it."
)


def _case_action(suffix: str, summary: str, operation_id: str, request: str, note: str) -> Spec:
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("staff",),
        security=STAFF,
        description=(
            f"One of the case actions served by `POST {STAFF_CASE_ACTION}` (action `{suffix}`). "
            + note
        ),
        request=request,
        responses={200: answer("StaffCase", "the case after the action")},
        errors=_STAFF_ERRORS,
    )


def _department_action(summary: str, operation_id: str, request: str) -> Spec:
    return Spec(
        summary=summary,
        operation_id=operation_id,
        tags=("department",),
        security=LINK,
        description=_DEPARTMENT_NOTE,
        request=request,
        responses={200: answer("HandleView", "the view after the action")},
        errors=_DEPARTMENT_ERRORS,
    )


ACTION_SPECS: dict[str, Spec] = {
    # The coordinator's, under /api/staff/cases/{case_id}/
    "accept": _case_action("accept", "受理", "staffAccept", "accept", _STALE),
    "reject": _case_action("reject", "不予受理", "staffReject", "reject", _STALE),
    "assign": _case_action("assign", "交办（牵头单位、协办单位）", "staffAssign", "assign", _STALE),
    "return-decision": _case_action(
        "return-decision",
        "处理退回申请（改派或坚持）",
        "staffReturnDecision",
        "return-decision",
        _STALE,
    ),
    "extension-decision": _case_action(
        "extension-decision",
        "审批延期申请",
        "staffExtensionDecision",
        "extension-decision",
        _STALE,
    ),
    "close": _case_action("close", "办结（重办两次后升级的诉求）", "staffClose", "close", _STALE),
    "public-version": _case_action(
        "public-version",
        "编辑公开版本",
        "staffEditPublicVersion",
        "public-version",
        "The coordinator edits the title and text the public reads (公开版本); the server "
        "scrubs the edit again with the case's contact names and records an internal "
        "`public_version_edited` event whose digest seals it in the hash chain. The original "
        "stays for the department and the auditors. 409 when the citizen did not consent to "
        "publish, the case is rejected or archived (410), or the case changed meanwhile "
        "(`stale_case`).",
    ),
    "feature": _case_action(
        "feature", "精选到回音壁（或修改摘要）", "staffFeature", "feature", _STALE
    ),
    "unfeature": _case_action("unfeature", "撤下回音壁", "staffUnfeature", "empty", _STALE),
    # The department's, /api/handle/<action>
    "sign": _department_action("签收", "handleSign", "empty"),
    "reply": _department_action("答复", "handleReply", "handle-reply"),
    "extension": _department_action("申请延期", "handleExtension", "handle-extension"),
    "return": _department_action("申请退回（退单）", "handleReturn", "handle-return"),
    "input": _department_action("协办单位提交办理意见", "handleInput", "handle-input"),
    # The citizen's, /api/cases/{case_id}/rating
    "rating": Spec(
        summary="评价答复（满意 / 基本满意 / 不满意）",
        operation_id="rate",
        tags=("public",),
        security=PUBLIC,
        description=(
            "409 when already rated or the case is not in `replied`. 不满意 reopens the case "
            "(重办)."
        ),
        request="rating",
        responses={200: answer("PrivateCase")},
        errors=(400, 404, 409, 413, 415, 429, 503),
    ),
}


def under(prefix: str, suffixes: Iterable[str]) -> dict[str, Spec]:
    """The operations of a route dispatching on its last path segment: concrete path → spec
    (``under("/api/staff/cases/{case_id}/", ["accept"])``)."""
    return {prefix + suffix: ACTION_SPECS[suffix] for suffix in suffixes}
