"""Public routes: taxonomy, departments, schemas, submission, board, case page, tracking,
rating. No contact data ever leaves through these except to the tracking-code holder."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.action_specs import lifecycle_specs
from functions.api.http import (
    DOCX_TYPE,
    body,
    header,
    ip,
    json_headers,
    now,
    query,
    route,
)
from functions.api.spec import (
    CASE_FILTERS,
    CURSOR,
    DEPARTMENT,
    IDEMPOTENCY_KEY,
    MONTH_PATTERN,
    PUBLIC,
    RANKING_FIGURE,
    Spec,
    answer,
    error_answer,
    page,
    path_param,
    query_param,
    schema_of,
)
from functions.domain.errors import NotFound
from functions.domain.lifecycle import STATE_LABELS
from functions.domain.taxonomy import (
    KIND_HINTS,
    KIND_LABELS,
    OUTCOME_LABELS,
    RATING_LABELS,
    URGENCY_LABELS,
    pairs,
)
from functions.settings import settings

public = Blueprint(__name__)

BOARD_FILTERS = ("state", "kind", "category", "district", "department")
MONTH = query_param("month", "`YYYY-MM`; default last month", MONTH_PATTERN)
COUNTY = query_param(
    "county",
    "a county platform's id (`GET /api/departments` lists them): that county's own ranking of "
    "its units instead of the city's",
)


@route(
    public,
    "/api/taxonomy",
    cache_seconds=60,
    spec=Spec(
        summary="分类与代码表（诉求类型、分类、区县、状态…）",
        operation_id="taxonomy",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The codes and their Chinese labels that forms and filters use: the platform's and "
            "the city's names, kinds (each with a hint), categories, districts, states, "
            "urgencies, outcomes and ratings."
        ),
        responses={200: answer("Taxonomy")},
        errors=(503,),
    ),
)
def taxonomy() -> dict[str, Any]:
    from functions.services.common import deadline_rules
    from functions.services.presenters import time_limits
    from functions.storage import directory

    tax = directory.taxonomy()
    return {
        "platform_name": tax.platform_name,
        "city_name": tax.city_name,
        "kinds": [
            {"code": str(k), "label": v, "hint": KIND_HINTS[k]} for k, v in KIND_LABELS.items()
        ],
        "categories": [
            {"code": c, "label": label, "needs_place": c in tax.place_categories}
            for c, label in tax.categories
        ],
        "districts": [{"code": c, "label": label} for c, label in tax.districts],
        "states": pairs(dict(STATE_LABELS)),  # type: ignore[arg-type]
        "urgencies": pairs(dict(URGENCY_LABELS)),  # type: ignore[arg-type]
        "outcomes": pairs(dict(OUTCOME_LABELS)),  # type: ignore[arg-type]
        "ratings": pairs(dict(RATING_LABELS)),  # type: ignore[arg-type]
        "time_limits": time_limits(deadline_rules().policy),  # the figures pages state
    }


@route(
    public,
    "/api/geo/districts",
    cache_seconds=300,
    spec=Spec(
        summary="区县边界（GeoJSON）",
        operation_id="districtBoundaries",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The districts' boundaries as a GeoJSON FeatureCollection in WGS-84, each "
            "feature's `properties` naming the district's `code` and `name`: what the pages "
            "draw the map from and what a submission's point is placed in. Empty where the "
            "deployment has none. Admins replace it (`PUT /api/admin/geo/districts`). Where "
            "the deployment names the city's own tile server, the collection also carries "
            "`tiles` (`url` template with `{z}`/`{x}`/`{y}`, `attribution`, `max_zoom`), which "
            "the map draws under the districts."
        ),
        responses={200: answer("DistrictBoundaries")},
        errors=(503,),
    ),
)
def district_boundaries() -> Response:
    from functions.domain import geo
    from functions.storage import boundaries

    _, text = boundaries.current()
    config = settings()
    tiles = geo.tile_layer(
        config.map_tiles, config.map_tiles_attribution, config.map_tiles_max_zoom
    )
    if tiles is not None:
        text = geo.with_member(text, "tiles", tiles)
    headers = {**json_headers(), "Cache-Control": "public, max-age=300"}
    return Response(body=text, status_code=200, headers=headers)


@route(
    public,
    "/api/lifecycle",
    cache_seconds=300,
    spec=Spec(
        summary="办理流程（状态、操作、事件）",
        operation_id="lifecycle",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The states with their labels and properties, every action (label, from/to states, "
            "who takes it, its path and request schema) and every event type (label, public or "
            "internal), derived from the registry of action modules: what the pages render "
            "menus, forms and labels from."
        ),
        responses={200: answer("Lifecycle")},
        errors=(503,),
    ),
)
def lifecycle() -> dict[str, Any]:
    """The lifecycle as the pages render it: states, actions (label, from/to, who, where) and
    event labels, all derived from the registry of action modules."""
    from functions.domain import actions

    return actions.describe()


@route(
    public,
    "/api/departments",
    cache_seconds=60,
    spec=Spec(
        summary="承办单位列表",
        operation_id="departments",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Every handling unit of the directory: id, name, its district (code and label), the "
            "categories it handles, its kind (department, town, enterprise) and the platform it "
            "belongs to (`city` or a county platform's id); and the county platforms (分平台, "
            "§15) with the districts each covers."
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Department"},
                        },
                        "platforms": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "name", "districts"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "districts": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                    "required": ["items", "platforms"],
                }
            )
        },
        errors=(503,),
    ),
)
def departments() -> dict[str, Any]:
    from functions.storage import directory

    tax = directory.taxonomy()
    return {
        "items": [
            {
                "id": d.id,
                "name": d.name,
                "district": d.district,
                "district_label": tax.district_label(d.district),
                "categories": list(d.categories),
                "kind": d.kind,
                "platform": d.platform,
            }
            for d in directory.departments().values()
        ],
        "platforms": [
            {"id": p.id, "name": p.name, "districts": list(p.districts)}
            for p in directory.platforms()
        ],
    }


@route(
    public,
    "/api/schemas/{name}",
    cache_seconds=300,
    spec=Spec(
        summary="请求体的 JSON Schema（表单读取其长度限制）",
        operation_id="schema",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The JSON Schema (Draft 2020-12) a request body is validated against, as in "
            "`schemas/<name>.json`; the forms read their limits from it. 404 "
            "`schema_not_found` for any other name."
        ),
        parameters=(
            path_param(
                "name",
                "schema name without `.json`, e.g. `case-submission`",
                example="case-submission",
            ),
        ),
        responses={
            200: answer(
                {
                    "type": "object",
                    "description": "a JSON Schema (Draft 2020-12) from `schemas/<name>.json`",
                }
            )
        },
        errors=(404,),
    ),
)
def schema(name: str) -> dict[str, Any]:
    import schemas

    try:
        return schemas.load(name)
    except KeyError:
        raise NotFound("没有这个数据格式", "no such schema", "schema_not_found") from None


@route(
    public,
    "/api/cases",
    methods=("POST",),
    status=201,
    spec=Spec(
        summary="提交诉求",
        operation_id="submit",
        tags=("public",),
        security=PUBLIC,
        description=(
            "`channel` is ignored here (only staff enter hotline or mailbox cases). 409 "
            "`idempotency_mismatch` when the key was used for a different body."
        ),
        parameters=(IDEMPOTENCY_KEY,),
        request="case-submission",
        responses={
            201: answer(
                "Created",
                "Created (or, for a repeated Idempotency-Key with the same body, the first answer)",
            )
        },
        errors=(400, 409, 413, 415, 429, 503),
    ),
)
def submit() -> dict[str, Any]:
    from functions.domain.rate_limits import contact_subjects
    from functions.services import citizen, rate_limits

    data = body(public, "case-submission")
    data.pop("channel", None)  # only staff enter hotline or mailbox cases
    at, contact, client = now(), data.get("contact") or {}, ip(public)

    def limits() -> None:  # counted only for a new submission, never for a replay
        rate_limits.hit("submit_ip", client, at, route="/api/cases")
        subjects = contact_subjects(contact.get("phone"), contact.get("email"))
        rate_limits.hit_all("submit_contact", subjects, at, route="/api/cases")

    return citizen.submit(
        data, idempotency_key=header(public, "idempotency-key"), now=at, limits=limits
    )


@route(
    public,
    "/api/uploads",
    methods=("POST",),
    spec=Spec(
        summary="申请上传照片（S3 直传）",
        operation_id="uploads",
        tags=("public",),
        security=PUBLIC,
        description=(
            "One slot per file (1–6; JPEG, PNG or WebP as claimed; 1 byte to 10 MB): an S3 "
            "presigned POST, good for 15 minutes, whose conditions hold the file to the "
            "claimed `Content-Type` and exactly the claimed size. Post the `fields` and then "
            "the `file`; the submission's `photos` lists the `upload_id`s. Nothing claimed is "
            "trusted: the file is decoded after upload, and one that is not a picture is "
            "refused. Counted per file against `upload_ip`."
        ),
        request="uploads",
        responses={200: answer("Uploads")},
        errors=(400, 413, 415, 429, 503),
    ),
)
def uploads() -> dict[str, Any]:
    from functions.services import photos

    return photos.slots(body(public, "uploads")["files"], ip(public), now())


@route(
    public,
    "/api/cases/similar",
    cache_seconds=60,
    spec=Spec(
        summary="相似诉求（提交前查重）",
        operation_id="similarCases",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Up to five public cases like the report being typed, most similar first: the "
            "same district (named, or the one the point lies in) and filed within 90 days, "
            "open or closed, their text similar by character n-grams (MinHash with LSH bands; "
            'docs/ARCHITECTURE.md, "Similar cases") and, when both have a point, within '
            "1 km. The submit page offers to support one (附议) instead of filing again. "
            "Without a district or a point the list is empty."
        ),
        parameters=(
            query_param("title", "the title typed so far", {"type": "string"}, required=True),
            query_param("content", "the content typed so far (its first 200 characters count)"),
            query_param("district", "district code"),
            query_param("category", "category code (accepted; not a filter)"),
            query_param("lat", "latitude (WGS-84), with lng", {"type": "number"}),
            query_param("lng", "longitude (WGS-84), with lat", {"type": "number"}),
        ),
        responses={200: answer("SimilarCases")},
        errors=(400, 429, 503),
    ),
)
def similar_cases() -> dict[str, Any]:
    from functions.services import rate_limits, similar

    rate_limits.hit("similar_ip", ip(public), now(), route="/api/cases/similar")
    return similar.public(query(public, *similar.QUERY_FIELDS), now())


@route(
    public,
    "/api/cases",
    spec=Spec(
        summary="留言板：公开诉求列表（最新或热议，每页最多 20 件；不满意专区）",
        operation_id="board",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Public cases (the citizen consented and a coordinator approved), newest first or "
            "most supported first (`sort=supports`, 热议: only cases with 附议); the filters "
            "combine. `rating=unsatisfied` keeps the cases whose latest rating is 不满意 (the "
            "不满意专区), each with `unsatisfied`: what happened next. Every card carries its 附议 "
            "count and its category's 群众关注 threshold; 400 naming `sort` or `rating` for a "
            "value not listed."
        ),
        parameters=(
            *CASE_FILTERS,
            query_param("sort", "order (default `newest`)", {"enum": ["newest", "supports"]}),
            query_param("rating", "latest rating", {"enum": ["unsatisfied"]}),
            CURSOR,
        ),
        responses={200: answer(page("PublicCaseSummary"))},
        errors=(400, 503),
    ),
)
def board() -> dict[str, Any]:
    from functions.services import citizen

    filters = query(public, *BOARD_FILTERS, "sort", "rating", "cursor")
    cursor = filters.pop("cursor", None)
    return citizen.board(filters, cursor, now())


@route(
    public,
    "/api/overdue",
    # A minute's cache: each answer counts every platform's 受理 delays (up to 1,000 index
    # items a platform), which a busy public page must not pay per visitor.
    cache_seconds=60,
    spec=Spec(
        summary="超期红牌件（公开）",
        operation_id="publicOverdue",
        tags=("public",),
        security=PUBLIC,
        description=(
            "红牌: public cases 5 working days past a deadline and still not answered, "
            "optionally of one `department`; and `platforms`: each platform's own delays "
            "(平台受理超时: how many cases wait for 受理 past its deadline, and how long the "
            "oldest has waited past it; no case's text or id)."
        ),
        parameters=(DEPARTMENT, CURSOR),
        responses={
            200: answer(
                page(
                    "PublicCaseSummary",
                    card={"const": "red"},
                    card_label={"type": "string"},
                    platforms={"type": "array", "items": schema_of("PlatformDelay")},
                )
            )
        },
        errors=(400, 503),
    ),
)
def overdue() -> dict[str, Any]:
    """红牌: public cases past a deadline by the policy's red rung and still not answered; and
    the platforms' own delays."""
    from functions.services import sla

    filters = query(public, "department", "cursor")
    cursor = filters.pop("cursor", None)
    return sla.overdue("red", filters, cursor, now(), public=True)


@route(
    public,
    "/api/showcase",
    spec=Spec(
        summary="回音壁（精选案例，每页 10 件）",
        operation_id="showcase",
        tags=("public",),
        security=PUBLIC,
        description="回音壁: featured closed cases with their outcome, newest first, 10 a page.",
        parameters=(CURSOR,),
        responses={200: answer(page("ShowcaseItem"))},
        errors=(400, 503),
    ),
)
def showcase() -> dict[str, Any]:
    """回音壁: featured closed cases, newest first, 10 a page (``cursor``)."""
    from functions.services import showcase as service

    return service.wall(query(public, "cursor").get("cursor"))


@route(
    public,
    "/api/cases/{case_id}",
    spec=Spec(
        summary="公开诉求详情",
        operation_id="publicCase",
        tags=("public",),
        security=PUBLIC,
        description="404 when the case does not exist or is not public.",
        responses={200: answer("PublicCase")},
        errors=(404, 503),
    ),
)
def case(case_id: str) -> dict[str, Any]:
    from functions.services import citizen

    return citizen.public_case(case_id, now())


@route(
    public,
    "/api/cases/{case_id}/track",
    methods=("POST",),
    spec=Spec(
        summary="凭查询码查看本人诉求",
        operation_id="track",
        tags=("public",),
        security=PUBLIC,
        description="404 for a wrong case id or tracking code (same message).",
        request="tracking",
        responses={200: answer("PrivateCase")},
        errors=(400, 404, 413, 415, 429, 503),
    ),
)
def track(case_id: str) -> dict[str, Any]:
    from functions.services import citizen, rate_limits

    code, at = body(public, "tracking")["tracking_code"], now()
    with rate_limits.code_attempt(case_id, ip(public), at, route="/api/cases/{case_id}/track"):
        return citizen.track(case_id, code, at)


@route(
    public,
    "/api/cases/{case_id}/{action}",
    methods=("POST",),
    spec=lifecycle_specs("citizen"),
)
def act(case_id: str, action: str) -> dict[str, Any]:
    """The citizen's lifecycle action with the tracking code (评价, 补充材料, …, as its module
    declares it), counted like every attempt with a code. An unknown one is a 404."""
    from functions.domain import actions
    from functions.services import citizen, rate_limits

    declared = actions.by_suffix("citizen", action)
    assert declared.route is not None
    data, at = body(public, declared.route.schema), now()
    route_path = f"/api/cases/{{case_id}}/{action}"
    with rate_limits.code_attempt(case_id, ip(public), at, route=route_path):
        return citizen.act(action, case_id, data, at)


@route(
    public,
    "/api/rankings",
    cache_seconds=60,
    spec=Spec(
        summary="亮晒比：月度单位排名（全市或某区县）",
        operation_id="rankings",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The city's ranking (`Ranking`: city departments one by one, each county as the "
            "sum of its units) or, with `county`, that county platform's own ranking of its "
            "units (`CountyRanking`). A month the `rankings` job has frozen is served as "
            "published; the current month is computed month to date. 404 "
            "`month_not_started` for a future month; 400 naming `county` for an unknown one."
        ),
        parameters=(MONTH, COUNTY),
        responses={
            200: answer(
                {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Ranking"},
                        {"$ref": "#/components/schemas/CountyRanking"},
                    ]
                }
            )
        },
        errors=(400, 404, 503),
    ),
)
def rankings() -> dict[str, Any]:
    """亮晒比: ``month=YYYY-MM`` (default: last month), departments and counties ranked, or
    with ``county`` that county's units."""
    from functions.services import rankings as service

    q = query(public, "month", "county")
    return service.ranking(q.get("month"), now(), q.get("county"))


@route(
    public,
    "/api/rankings/cases",
    cache_seconds=60,
    spec=Spec(
        summary="亮晒比：某项数字背后的公开诉求",
        operation_id="rankingCases",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The public cases among those a unit-month figure counts (`total` counts them all), "
            "newest first, at most 200."
        ),
        parameters=RANKING_FIGURE,
        responses={200: answer("RankingCases")},
        errors=(400, 503),
    ),
)
def ranking_cases() -> dict[str, Any]:
    """The public cases behind a ranking figure: ``month``, ``unit``, ``metric``."""
    from functions.services import rankings as service

    q = query(public, "month", "unit", "metric")
    return service.cases_behind(q.get("month"), q.get("unit"), q.get("metric"), now(), public=True)


@route(
    public,
    "/api/rankings.csv",
    cache_seconds=60,
    spec=Spec(
        summary="亮晒比 CSV 下载",
        operation_id="rankingsCsv",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The ranking `GET /api/rankings` answers for `month` (and `county`), as a CSV file "
            "to download. 404 `month_not_started` for a future month."
        ),
        parameters=(MONTH, COUNTY),
        responses={
            200: answer(
                {"type": "string"},
                "UTF-8 CSV with a BOM, one row per unit (分组, 名次, 单位…)",
                media="text/csv",
                headers={
                    "Content-Disposition": (
                        '`attachment; filename="rankings-YYYY-MM.csv"` '
                        "(`rankings-YYYY-MM-<county>.csv` for a county)"
                    )
                },
            )
        },
        errors=(400, 404, 503),
    ),
)
def rankings_csv() -> Response:
    from functions.services import rankings as service

    q = query(public, "month", "county")
    document = service.ranking(q.get("month"), now(), q.get("county"))
    county = document["county"]["id"] if "county" in document else None
    name = f"rankings-{document['month']}{f'-{county}' if county else ''}.csv"
    return Response(
        body=service.as_csv(document),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "public, max-age=60",
        },
    )


BULLETIN_MONTH = path_param(
    "month", "`YYYY-MM`: a month the `rankings` job has frozen", MONTH_PATTERN
)


@route(
    public,
    "/api/rankings/{month}/bulletin",
    cache_seconds=300,
    spec=Spec(
        summary="月度通报（打印页内容）",
        operation_id="bulletin",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The month's 通报 as the `rankings` job made it when it froze the month: headline "
            "figures and their month-on-month change, the top and bottom units at each level "
            "(city departments, counties, each county platform's units), the 约谈 flags and "
            "records, the month's hotspots and a few 回音壁 cases. `bulletin.html?month=` prints "
            "it. 404 `bulletin_not_found` for a month not frozen (or frozen before 通报 were "
            "made); 400 naming `month` for a malformed one."
        ),
        parameters=(BULLETIN_MONTH,),
        responses={200: answer("Bulletin")},
        errors=(400, 404, 503),
    ),
)
def bulletin(month: str) -> dict[str, Any]:
    from functions.services import bulletin as service

    return service.content(month)


@route(
    public,
    "/api/rankings/{month}/bulletin.docx",
    cache_seconds=300,
    spec=Spec(
        summary="月度通报 Word 文档下载",
        operation_id="bulletinDocx",
        tags=("public",),
        security=PUBLIC,
        description=(
            "The month's 通报 as a Word document (.docx), made by the `rankings` job when it "
            "froze the month; A4, East Asian font names in its styles (仿宋, 黑体, 宋体: the "
            "reader's machine supplies the fonts). The file name is Chinese, sent as "
            "`filename*=UTF-8''…` with an ASCII `filename=` beside it. 404 "
            "`bulletin_not_found` as `GET /api/rankings/{month}/bulletin`."
        ),
        parameters=(BULLETIN_MONTH,),
        responses={
            200: answer(
                {"type": "string", "format": "binary"},
                "The .docx file",
                media=DOCX_TYPE,
                headers={
                    "Content-Disposition": (
                        "`attachment; filename*=UTF-8''%E7%BD%91…-YYYY-MM.docx; "
                        'filename="bulletin-YYYY-MM.docx"` (网络问政月度通报-YYYY-MM.docx)'
                    )
                },
            )
        },
        errors=(400, 404, 503),
    ),
)
def bulletin_docx(month: str) -> Response:
    from urllib.parse import quote

    from functions.services import bulletin as service

    data, name = service.docx(month)
    ascii_name = f"bulletin-{month}.docx"
    return Response(
        body=data,
        status_code=200,
        headers={
            "Content-Type": DOCX_TYPE,
            "Content-Disposition": (
                # filename* first: RFC 6266 readers prefer it wherever it stands, and
                # readers that take the first filename (Python's email) get it too.
                f"attachment; filename*=UTF-8''{quote(name)}; filename=\"{ascii_name}\""
            ),
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


@route(
    public,
    "/api/cases/{case_id}/support",
    methods=("POST",),
    spec=Spec(
        summary="附议（我也遇到）",
        operation_id="support",
        tags=("public",),
        security=PUBLIC,
        description=(
            "Adds the caller's voice to a public case: one per client address (the viewer "
            "address CloudFront names, else the source IP), case and Shanghai day. A repeat "
            "answers 200 with the unchanged count and `already: true`. 404 when the case does "
            "not exist or is not public; 410 `case_archived` once archived. The count is a "
            "sharded counter; the case itself is written only by the support that crosses a "
            "附议 threshold (群众关注, `GET /api/admin/support-thresholds`), once per level."
        ),
        request="empty",
        responses={
            200: answer("Support"),
            410: error_answer("The case is archived (`case_archived`)"),
        },
        errors=(400, 404, 413, 415, 503),
    ),
)
def support(case_id: str) -> dict[str, Any]:
    """附议 (我也遇到): one per client address, case and day; answers the new count."""
    from functions.services import citizen

    body(public, "empty")
    return citizen.support(case_id, ip(public), now())
