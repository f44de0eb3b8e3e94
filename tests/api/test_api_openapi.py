"""The OpenAPI 3.1 document (schemas/openapi.json): valid, every ``$ref`` resolves (request
bodies to the schema files beside it), it names exactly the routes the Chalice app registers
(the staff case actions and the Open311 ``{x_file}`` routes as their concrete paths), each
request body is the schema its handler validates against, the roles are the route tables', and
``GET /api/openapi.json`` serves it, bundled (without the dev routes on other stages than
local)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.api.helpers import Api

DOCUMENT = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# One Chalice route dispatching on ``action`` (functions/api/staff.py, ``_ACTIONS``): documented
# as one path per action.
ACTION_ROUTE = "/api/staff/cases/{case_id}/{action}"
ACTION_PREFIX = "/api/staff/cases/{case_id}/"
# Open311 routes taking a file name (``requests/{request_file}``): documented as the concrete
# ``requests/{service_request_id}.json`` and ``.xml``.
FILE_ROUTE = re.compile(r"^(?P<folder>.+)/\{[a-z_]+_file\}$")
FILE_PATH = re.compile(r"^(?P<folder>.+)/\{[a-z_]+\}\.(?P<format>json|xml)$")
FORMATS = {"json", "xml"}
# API Gateway's greedy path variable (``/open311/{proxy+}``): OpenAPI has no such templating,
# so the document writes the route with one ordinary parameter (``/open311/{proxy}``).
GREEDY = re.compile(r"\{\w+\+\}$")
BODY_CALL = re.compile(r"\bbody\(\w+, \"([a-z0-9-]+)\"\)")

Operation = tuple[str, str, dict[str, Any]]


def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return data


def operations(doc: dict[str, Any]) -> Iterator[Operation]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def registered() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() for method in methods}


def actions() -> dict[str, tuple[str, Any]]:
    from functions.api.staff import _ACTIONS

    return _ACTIONS


def route_of(path: str, routes: set[str]) -> str:
    """The registered route that serves a documented path (the path itself if none maps)."""
    if path in routes:
        return path
    if path.startswith(ACTION_PREFIX) and path.removeprefix(ACTION_PREFIX) in actions():
        return ACTION_ROUTE
    for route in routes:
        if GREEDY.search(route) and re.sub(r"\{\w+\}$", "", path) == GREEDY.sub("", route):
            return route
    concrete = FILE_PATH.match(path)
    if concrete:
        for route in routes:
            served = FILE_ROUTE.match(route)
            if served and served["folder"] == concrete["folder"]:
                return route
    return path


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def body_schemas(op: dict[str, Any]) -> set[str]:
    """The schema files an operation's JSON request body names (``case-submission.json`` →
    ``case-submission``)."""
    content = op.get("requestBody", {}).get("content", {})
    return {
        ref.removesuffix(".json")
        for ref in refs(content.get("application/json", {}))
        if not ref.startswith("#")
    }


def handler_schemas(method: str, route: str) -> set[str]:
    """The schemas the route's handler validates its body against: ``body(bp, "<name>")``."""
    from app import app

    view = inspect.unwrap(app.routes[route][method].view_function)
    return set(BODY_CALL.findall(inspect.getsource(view)))


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    doc = document()
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] == "问政 Wenzheng API"
    assert doc["servers"] == [{"url": "/", "description": "same origin as the site"}]
    validate(doc, base_uri=DOCUMENT.as_uri(), cls=OpenAPIV31SpecValidator)
    tags = {tag["name"] for tag in doc["tags"]}
    ids: list[str] = []
    for method, path, op in operations(doc):
        where = f"{method} {path}"
        assert op["summary"] and op["tags"] and set(op["tags"]) <= tags, where
        ids.append(op["operationId"])
        codes = set(op["responses"])
        assert codes & {"200", "201", "202", "default"}, where
        if "requestBody" in op:
            assert "400" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if {"staffSession": []} in op.get("security", []) and "x-roles" in op:
            assert "401" in codes, where
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_every_ref_resolves_and_bodies_name_the_schema_files() -> None:
    """Resolved the way functions/validation.py resolves the schemas' own ``$ref``s: one
    ``referencing`` registry of every file of ``schemas/``, the document among them."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    import schemas

    doc = document()
    uri = schemas.BASE_URI + "openapi.json"
    resources = [
        (schemas.BASE_URI + f"{n}.json", Resource.from_contents(schemas.load(n)))
        for n in schemas.names()
    ]
    registry: Registry[Any] = Registry().with_resources(
        [*resources, (uri, DRAFT202012.create_resource(doc))]
    )
    resolver = registry.resolver(base_uri=uri)
    found = list(refs(doc))
    assert found
    for ref in found:
        resolver.lookup(ref)  # raises if the file or the fragment is missing
        if not ref.startswith("#"):
            assert ref.removesuffix(".json") in schemas.names(), ref
    external = {ref for ref in found if not ref.startswith("#")}
    bodies = set().union(*(body_schemas(op) for _, _, op in operations(doc)))
    assert {ref.removesuffix(".json") for ref in external} == bodies, "only bodies name files"
    assert "openapi" not in schemas.names()  # not a request schema


def test_the_document_names_exactly_the_registered_routes() -> None:
    from functions.settings import settings

    assert settings().is_local, "tests run on the local stage, where the dev routes exist"
    doc = document()
    live = registered()
    routes = {path for _, path in live}
    documented = {(method, path) for method, path, _ in operations(doc)}
    served = {(method, route_of(path, routes)) for method, path in documented}

    assert sorted(served - live) == [], "documented, but no such route"
    assert sorted(live - served) == [], "registered, but not in schemas/openapi.json"

    # The dispatching routes are documented once per concrete form, no more, no fewer.
    concrete_actions = {
        path.removeprefix(ACTION_PREFIX)
        for method, path in documented
        if route_of(path, routes) == ACTION_ROUTE
    }
    assert concrete_actions == set(actions()), "one documented path per staff case action"
    for method, route in live:
        if FILE_ROUTE.match(route):
            formats = {
                FILE_PATH.match(path)["format"]  # type: ignore[index]
                for m, path in documented
                if m == method and path != route and route_of(path, routes) == route
            }
            assert formats == FORMATS, (method, route)

    # Dev routes are the local stage's only: marked so in the document.
    local_only = {(m, p) for m, p, op in operations(doc) if op.get("x-local-only")}
    assert local_only == {(m, p) for m, p in live if p.startswith("/api/dev/")}


def test_each_request_body_is_the_schema_its_handler_validates() -> None:
    doc = document()
    routes = {path for _, path in registered()}
    for method, path, op in operations(doc):
        route = route_of(path, routes)
        if route == ACTION_ROUTE:
            expected = {actions()[path.removeprefix(ACTION_PREFIX)][0]}
        else:
            expected = handler_schemas(method, route)
        assert body_schemas(op) == expected, f"{method} {path}"


def test_roles_and_security_match_the_route_tables() -> None:
    from functions.api.admin import ROUTE_ROLES as ADMIN_ROLES
    from functions.api.audit import ROUTE_ROLES as AUDIT_ROLES
    from functions.api.staff import ROUTE_ROLES as STAFF_ROLES

    doc = document()
    tables = {**STAFF_ROLES, **ADMIN_ROLES, **AUDIT_ROLES}
    documented = {(m, p): set(op["x-roles"]) for m, p, op in operations(doc) if "x-roles" in op}
    expected = {key: {role.value for role in roles} for key, roles in tables.items()}
    assert documented == expected, "x-roles differ from the ROUTE_ROLES tables"
    for method, path, op in operations(doc):
        security = op.get("security")
        assert security is not None, f"{method} {path} states its security"
        if (method, path) in tables:
            assert security == [{"staffSession": []}], (method, path)
        if path.startswith("/api/handle") and path != "/api/handle/refresh":
            assert security == [{"linkToken": []}], (method, path)


def test_the_document_is_served(api: Api) -> None:
    import schemas

    answer = api.get("/api/openapi.json")
    assert answer.status == 200
    assert answer.body == schemas.bundle(document())  # tests/openapi/test_openapi_bundle.py
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert api.get("/api/schemas/openapi").status == 404  # the schema route serves schemas


def test_other_stages_serve_the_document_without_the_dev_routes() -> None:
    from functions.api.docs import published

    doc = document()
    elsewhere = published(doc, local=False)
    assert published(doc, local=True) == doc
    assert not [p for p in elsewhere["paths"] if p.startswith("/api/dev/")]
    kept = {(m, p) for m, p, op in operations(doc) if not op.get("x-local-only")}
    assert {(m, p) for m, p, _ in operations(elsewhere)} == kept
