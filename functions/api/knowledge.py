"""知识库 routes (§16): the public search (``GET /api/kb``), the staff's list and changes
(``/api/staff/kb``: coordinators and admins write, operators read too), and a unit's reply
templates through its desk link (``/api/desk/templates``)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from functions.api.http import body, header, now, query, route
from functions.api.spec import DESK, PUBLIC, STAFF, Spec, answer, path_param, query_param
from functions.domain.lifecycle import Role

knowledge = Blueprint(__name__)

WRITERS = frozenset({Role.COORDINATOR, Role.COUNTY_COORDINATOR, Role.ADMIN})
READERS = WRITERS | {Role.OPERATOR}  # the hotline answers from it too

KB = "/api/staff/kb"
ENTRY = "/api/staff/kb/{kb_id}"
RETIRE = "/api/staff/kb/{kb_id}/retire"
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", KB): READERS,
    ("POST", KB): WRITERS,
    ("GET", ENTRY): READERS,
    ("PUT", ENTRY): WRITERS,
    ("POST", RETIRE): WRITERS,
}
KB_ID = path_param("kb_id", "a 知识库 entry's id", example="kb-1a2b3c4d")
Q = query_param("q", "words to search for (characters of the question and the answer)")
CATEGORY = query_param("category", "a category code (`GET /api/taxonomy`)")


def _session(method: str, path: str) -> Any:
    from functions.services import staff_auth

    return staff_auth.authenticate(
        header(knowledge, "authorization"), now(), ROUTE_ROLES[(method, path)]
    )


@route(
    knowledge,
    "/api/kb",
    cache_seconds=60,
    spec=Spec(
        summary="知识库检索（公开）",
        operation_id="kbSearch",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The public entries valid today, best match first (character bigrams of the "
            "question and the answer, weighted by rarity; the question counts three times), "
            "each with a snippet of its answer; at most 10. Without `q`: the newest. Internal "
            "and retired entries and those outside their dates never appear."
        ),
        parameters=(Q, CATEGORY),
        responses={200: answer("KbSearch")},
        errors=(400, 503),
    ),
)
def search() -> dict[str, Any]:
    from functions.services import knowledge as kb

    found = query(knowledge, "q", "category")
    return kb.public_search(found.get("q", ""), found.get("category"), now())


@route(
    knowledge,
    KB,
    spec=Spec(
        summary="知识库条目列表",
        operation_id="staffKbList",
        tags=("staff",),
        security=STAFF,
        description=(
            "Every entry, internal ones too, matching `q` (best first; without it newest "
            "first): `retired=true` includes retired ones, `live=true` keeps only those valid "
            "today. At most 500."
        ),
        parameters=(
            Q,
            CATEGORY,
            query_param("retired", "`true`: retired entries too"),
            query_param("live", "`true`: only entries valid today"),
        ),
        responses={200: answer("KbEntries")},
        errors=(401, 403, 503),
    ),
)
def staff_list() -> dict[str, Any]:
    from functions.services import knowledge as kb

    _session("GET", KB)
    return kb.staff_list(query(knowledge, "q", "category", "retired", "live"), now())


@route(
    knowledge,
    KB,
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="新建知识库条目",
        operation_id="staffKbCreate",
        tags=("staff",),
        security=STAFF,
        description="A new entry; the change is recorded (who, when, the entry after).",
        request="kb-entry",
        responses={201: answer("KbEntry", "the entry created")},
        errors=(400, 401, 403, 413, 415, 503),
    ),
)
def create() -> dict[str, Any]:
    from functions.services import knowledge as kb

    s = _session("POST", KB)
    return kb.create(body(knowledge, "kb-entry"), s, now())


@route(
    knowledge,
    ENTRY,
    spec=Spec(
        summary="知识库条目及修改记录",
        operation_id="staffKbEntry",
        tags=("staff",),
        security=STAFF,
        description="One entry with every change to it (who, when, before, after), newest first.",
        parameters=(KB_ID,),
        responses={200: answer("KbEntry")},
        errors=(401, 403, 404, 503),
    ),
)
def entry(kb_id: str) -> dict[str, Any]:
    from functions.services import knowledge as kb

    _session("GET", ENTRY)
    return kb.detail(kb_id, now())


@route(
    knowledge,
    ENTRY,
    methods=("PUT",),
    spec=Spec(
        summary="修改知识库条目",
        operation_id="staffKbUpdate",
        tags=("staff",),
        security=STAFF,
        description=(
            "Replaces the entry's fields; the change is recorded with the entry before and "
            "after. 409 `stale_entry` when `version` is not the stored one (someone changed "
            "it meanwhile), `kb_retired` for a retired entry."
        ),
        parameters=(KB_ID,),
        request="kb-entry",
        responses={200: answer("KbEntry", "the entry after the change")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def update(kb_id: str) -> dict[str, Any]:
    from functions.services import knowledge as kb

    s = _session("PUT", ENTRY)
    return kb.update(kb_id, body(knowledge, "kb-entry"), s, now())


@route(
    knowledge,
    RETIRE,
    methods=("POST",),
    spec=Spec(
        summary="停用知识库条目",
        operation_id="staffKbRetire",
        tags=("staff",),
        security=STAFF,
        description=(
            "停用: the entry leaves every search and can no longer be answered from; it and "
            "its history stay (entries are never deleted). 409 `kb_retired` when it already is."
        ),
        parameters=(KB_ID,),
        request="empty",
        responses={200: answer("KbEntry", "the retired entry")},
        errors=(400, 401, 403, 404, 409, 413, 415, 503),
    ),
)
def retire(kb_id: str) -> dict[str, Any]:
    from functions.services import knowledge as kb

    s = _session("POST", RETIRE)
    body(knowledge, "empty")
    return kb.retire(kb_id, s, now())


# --- a unit's reply templates, through its desk link -------------------------------------------

TEMPLATES = "/api/desk/templates"
_DESK_ERRORS = (401, 410, 503)


def _templates(unit_id: str) -> dict[str, Any]:
    from functions.domain.knowledge import PLACEHOLDERS
    from functions.services import knowledge as kb

    return {"templates": kb.unit_templates(unit_id), "placeholders": list(PLACEHOLDERS)}


@route(
    knowledge,
    TEMPLATES,
    spec=Spec(
        summary="单位工作台：答复模板",
        operation_id="deskTemplates",
        tags=("department",),
        security=DESK,
        description=(
            "The unit's reply templates and the placeholders they may hold ({编号} {标题} "
            "{受理日期} {交办日期} {答复期限} {今天}), which the handling page fills from the "
            "case. Errors as `GET /api/desk`."
        ),
        responses={200: answer("ReplyTemplates")},
        errors=_DESK_ERRORS,
    ),
)
def templates() -> dict[str, Any]:
    from functions.services import desk as desks

    unit = desks.unit_of(header(knowledge, "x-link-token"), now())
    return _templates(unit.id)


@route(
    knowledge,
    TEMPLATES,
    methods=("PUT",),
    spec=Spec(
        summary="单位工作台：保存答复模板（整份替换）",
        operation_id="deskPutTemplates",
        tags=("department",),
        security=DESK,
        description=(
            "Replaces the unit's templates (at most 20, unique names, only known "
            "placeholders: 400 naming the field). A template is only a draft: the reply it "
            "fills is checked like any reply (minimum length, 答复审核)."
        ),
        request="desk-templates",
        responses={200: answer("ReplyTemplates")},
        errors=(400, 401, 410, 413, 415, 503),
    ),
)
def put_templates() -> dict[str, Any]:
    from functions.services import desk as desks
    from functions.services import knowledge as kb

    at = now()
    unit = desks.unit_of(header(knowledge, "x-link-token"), at)
    kb.put_unit_templates(unit.id, body(knowledge, "desk-templates"), f"desk:{unit.id}", at)
    return _templates(unit.id)
