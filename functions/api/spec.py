"""What the API document says of each operation, declared beside its route (docs/API.md, "API
document"): ``route(…, spec=Spec(…))`` records it in ``SPECS`` under (method, path), and
``functions/api/openapi.py`` makes the OpenAPI document of the Chalice route table and these
on the first request of ``GET /api/openapi.json``. A route without one fails that (and its
test).

Plain data and small helpers only: every module with routes imports this at cold start, and it
knows nothing of the domain. Parameters and answers are OpenAPI objects as the document shows
them; a response schema named by a string is a component (``"StaffCase"`` →
``schemas/components/StaffCase.json``), and a request body names its schema file
(``request="rating"`` → ``schemas/rating.json``, the one ``body()`` validates against)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Spec:
    """One operation of the API document.

    ``request`` names the JSON body's schema file (``"empty"``: ``{}`` or no body at all);
    ``form`` the component of a form-encoded body instead (Open311), or as well (a route that
    takes either: the one-click unsubscribe). ``responses`` are the
    operation's own answers (its success, an error it words itself,
    ``default``), status → OpenAPI response object; ``errors`` the statuses it answers with
    the shared error responses (the ``/api`` envelope, or GeoReport's error list for the
    ``open311`` tag). ``parameters`` need not repeat a path parameter the document knows
    (``case_id``, ``message_id``, ``export_id``). ``security`` is OpenAPI's list of
    alternatives (``PUBLIC``, ``STAFF``, ``LINK``, ``DESK``, ``OPEN311_KEY``); the roles of a staff
    route come from its module's ``ROUTE_ROLES``. ``cache_seconds`` is the success answer's
    ``Cache-Control: public, max-age`` (``route(cache_seconds=…)`` sets it). ``local_only``:
    a route of the local stage only (``x-local-only``, left out elsewhere)."""

    summary: str
    operation_id: str
    tags: tuple[str, ...]
    security: tuple[Json, ...]
    description: str = ""
    parameters: tuple[Json, ...] = ()
    request: str | None = None
    form: str | None = None
    responses: Mapping[int | str, Json] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    cache_seconds: int = 0
    local_only: bool = False


# A route serves one operation per method, or (a route dispatching on a path parameter, such
# as ``…/{action}`` or Open311's ``…/{service_file}``) one per concrete path it serves.
Declared = Spec | Mapping[str, Spec] | Callable[[], Mapping[str, Spec]]

# (method, route path) → what the route declared; filled as the route modules are imported.
SPECS: dict[tuple[str, str], Declared] = {}

PUBLIC: tuple[Json, ...] = ()
STAFF: tuple[Json, ...] = ({"staffSession": []},)
LINK: tuple[Json, ...] = ({"linkToken": []},)
CITIZEN_SESSION: tuple[Json, ...] = ({"citizenSession": []},)
DESK: tuple[Json, ...] = ({"deskLink": []},)
OPEN311_KEY: tuple[Json, ...] = ({"open311ApiKey": []}, {})  # optional: with a key or without

IDEMPOTENCY_KEY: Json = {"$ref": "#/components/parameters/IdempotencyKey"}


def record(
    methods: Iterable[str], path: str, declared: Declared, *, cache_seconds: int = 0
) -> None:
    """Keep what a route declared for each of its methods (a route's ``cache_seconds``, when
    it has them, is its success answer's)."""

    def cached(spec: Spec) -> Spec:
        return replace(spec, cache_seconds=cache_seconds) if cache_seconds else spec

    kept: Declared
    if isinstance(declared, Spec):
        kept = cached(declared)
    elif callable(declared):  # made when the document is, from a registry (action routes)
        kept = declared
    else:
        kept = {concrete: cached(spec) for concrete, spec in declared.items()}
    for method in methods:
        SPECS[(method, path)] = kept


def query_param(
    name: str, description: str, schema: Json | None = None, *, required: bool = False
) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_param(
    name: str, description: str, schema: Json | None = None, *, example: str | None = None
) -> Json:
    found: Json = {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }
    if example is not None:
        found["example"] = example
    return found


CURSOR = query_param("cursor", "opaque cursor from the previous page's `next_cursor`")
MONTH_PATTERN: Json = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
DEPARTMENT = query_param("department", "department id")
# The board's and the queue's filters.
CASE_FILTERS: tuple[Json, ...] = (
    query_param("state", "state code"),
    query_param("kind", "kind code"),
    query_param("category", "category code"),
    query_param("district", "district code"),
    DEPARTMENT,
)
# The figure of a ranking whose cases are asked for.
RANKING_FIGURE: tuple[Json, ...] = (
    query_param("month", "`YYYY-MM`", MONTH_PATTERN, required=True),
    query_param(
        "unit",
        "a unit's id (a city department or a county's unit), or a county: a county "
        "platform's id or a district code",
        required=True,
    ),
    query_param(
        "metric",
        "the figure, e.g. `assigned`, `replied_late`, `unsatisfied`, `reopened`, `returned`",
        required=True,
    ),
)


def schema_of(schema: str | Json) -> Json:
    """A component by name (``"StaffCase"``), else the schema as given."""
    return {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema


def answer(
    schema: str | Json,
    description: str = "OK",
    *,
    media: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Json:
    """A response object: one media type with its schema, and the headers it documents
    (name → description)."""
    found: Json = {"description": description, "content": {media: {"schema": schema_of(schema)}}}
    if headers:
        found["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return found


def page(item: str, **more: Json) -> Json:
    """A list answer's schema: ``{items, next_cursor}`` of the component ``item``, and any
    further properties."""
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": schema_of(item)},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "opaque; pass as `cursor=` for the next page",
            },
            **more,
        },
        "required": ["items", "next_cursor"],
    }


def error_answer(description: str) -> Json:
    """An error an operation words itself, in the ``/api`` envelope."""
    return answer("Error", description)


ONLY_ERRORS: Json = {"description": "never: this route only answers errors"}
