"""The OpenAPI 3.1 document, made of the Chalice route table and each route's spec
(functions/api/openapi.py, functions/api/spec.py): every registered route declares its spec
(a route without one fails the document), the document is valid, every ``$ref`` resolves
(request bodies to the schema files), it has every operation and status the hand-written
document had (``tests/openapi/operations.json``), each request body is the schema its handler
validates, the roles are the route tables', and ``GET /api/openapi.json`` serves it, bundled
(without the dev routes on other stages than local)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import Api, dept_email

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = ROOT / "tests" / "openapi" / "operations.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

Operation = tuple[str, str, dict[str, Any]]


def document(*, local: bool = True) -> dict[str, Any]:
    """The document as the app makes it, before bundling (bodies name their schema files)."""
    from app import app
    from functions.api import openapi

    return openapi.document(app.routes, local=local)


def operations(doc: dict[str, Any]) -> Iterator[Operation]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def registered() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() for method in methods}


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


def test_every_registered_route_declares_its_spec_and_every_spec_has_its_route() -> None:
    from functions.api.spec import SPECS
    from functions.settings import settings

    assert settings().is_local, "tests run on the local stage, where the dev routes exist"
    live = registered()
    assert sorted(live - set(SPECS)) == [], "registered without route(…, spec=Spec(…))"
    assert sorted(set(SPECS) - live) == [], "a spec of no registered route"


def test_a_route_without_a_spec_fails_the_document_naming_it() -> None:
    from functions.api import openapi

    routes = {"/api/taxonomy": {"GET": None}, "/api/later": {"GET": None, "POST": None}}
    with pytest.raises(openapi.UndocumentedRoute, match="GET /api/later, POST /api/later"):
        openapi.paths(routes, local=True)


def test_a_path_parameter_nobody_describes_fails_the_document() -> None:
    from functions.api import openapi
    from functions.api.spec import PUBLIC, Spec, answer

    spec = Spec(summary="x", operation_id="x", tags=("public",), security=PUBLIC,
                responses={200: answer("Clock")})  # fmt: skip
    specs = {("GET", "/api/things/{thing_id}"): spec}
    with pytest.raises(ValueError, match="thing_id"):
        openapi.paths({"/api/things/{thing_id}": {"GET": None}}, local=True, specs=specs)


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    import schemas

    doc = document()
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] == "问政 Wenzheng API"
    assert doc["servers"] == [{"url": "/", "description": "same origin as the site"}]
    # Resolved as if the document sat beside the schema files its bodies name.
    validate(doc, base_uri=(schemas.HERE / "openapi.json").as_uri(), cls=OpenAPIV31SpecValidator)
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


def test_the_document_has_every_operation_and_status_of_the_hand_written_one() -> None:
    """``tests/openapi/operations.json``: each (method, path) of the document written by hand
    before it was made of the routes, with its statuses. None may go missing."""
    before: dict[str, list[str]] = json.loads(HAND_WRITTEN.read_text(encoding="utf-8"))
    assert len(before) == 79
    now = {f"{method} {path}": set(op["responses"]) for method, path, op in operations(document())}
    missing = sorted(set(before) - set(now))
    assert missing == [], "operations the hand-written document had"
    fewer = {key: sorted(set(codes) - now[key]) for key, codes in before.items()}
    assert {key: codes for key, codes in fewer.items() if codes} == {}, "statuses dropped"


def test_every_ref_resolves_and_bodies_name_the_schema_files() -> None:
    """Resolved the way functions/validation.py resolves the schemas' own ``$ref``s: one
    ``referencing`` registry of every file of ``schemas/``, the document among them."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    import schemas

    doc = document()
    resources = [
        (schemas.BASE_URI + f"{n}.json", Resource.from_contents(schemas.load(n)))
        for n in schemas.names()
    ]
    registry: Registry[Any] = Registry().with_resources(
        [*resources, (schemas.DOCUMENT_URI, DRAFT202012.create_resource(doc))]
    )
    resolver = registry.resolver(base_uri=schemas.DOCUMENT_URI)
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
    # Every answer shape of schemas/components/ is one the document uses.
    used = {ref.rsplit("/", 1)[-1] for ref in found if ref.startswith("#/components/schemas/")}
    assert set(schemas.components()) <= used, "an answer shape no operation names"


def test_dispatching_routes_are_documented_once_per_concrete_path() -> None:
    """Each audience's lifecycle actions (one route, ``…/{action}``) as one path per action of
    the registry, the Open311 file routes (``…/{request_file}``) as their ``.json`` and
    ``.xml`` paths, the greedy ``/open311/{proxy+}`` as ``/open311/{proxy}``."""
    from functions.api.action_specs import PREFIXES, SHOWCASE_SPECS
    from functions.domain import actions

    documented = {(method, path) for method, path, _ in operations(document())}
    for audience, prefix in PREFIXES.items():
        routed = {a.route.suffix for a in actions.routed(audience) if a.route}  # type: ignore[arg-type]
        if audience == "staff":
            routed |= set(SHOWCASE_SPECS)
        concrete = {("POST", prefix + suffix) for suffix in routed}
        assert concrete <= documented, audience
        assert ("POST", prefix + "{action}") not in documented
    staff = {
        p for m, p in documented if m == "POST" and p.startswith("/api/staff/cases/{case_id}/")
    }
    # thirteen lifecycle actions (隐藏照片, 并件, 撤销并件, 退回市级平台, 审核答复, 直接答复
    # among them), 回音壁 on, off, and a supervisor's 评议 (§16)
    assert len(staff) == 16
    for folder, name in (("services", "service_code"), ("requests", "service_request_id")):
        files = {p for m, p in documented if p.startswith(f"/open311/v2/{folder}/")}
        assert files == {f"/open311/v2/{folder}/{{{name}}}.{fmt}" for fmt in ("json", "xml")}
    assert {("GET", "/open311/{proxy}"), ("POST", "/open311/{proxy}")} <= documented
    # 补充材料 is documented without any list naming it.
    assert ("POST", "/api/handle/request-info") in documented
    assert ("POST", "/api/cases/{case_id}/supplement") in documented


def test_the_dev_routes_are_marked_local_only() -> None:
    doc = document()
    local_only = {(m, p) for m, p, op in operations(doc) if op.get("x-local-only")}
    assert local_only == {(m, p) for m, p in registered() if p.startswith("/api/dev/")}
    for method, path in local_only:
        assert doc["paths"][path][method.lower()]["description"].startswith("Local stage only")


def _path(template: str, case_id: str) -> str:
    path = template.replace("{case_id}", case_id)
    while "{" in path:  # any other parameter: a value that names nothing
        start = path.index("{")
        path = path[:start] + "no-such" + path[path.index("}", start) + 1 :]
    return path


def test_each_request_body_is_the_schema_its_handler_validates(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every /api operation that takes a body is sent ``{}`` with the credentials it asks
    for; the schema the handler hands ``{}`` to (``functions.api.http.check``) is the one the
    document names, and an operation that documents no JSON body validates none."""
    from functions.api import http

    case_id = api.submit()["case_id"]
    link = api.assigned_case("dept-1")[1]
    desk = {"X-Link-Token": api.desk_token(dept_email("dept-1"))}
    citizen = api.citizen_session()
    checked: list[str] = []
    original = http.check

    def spy(schema: str, data: Any) -> Any:
        checked.append(schema)
        return original(schema, data)

    monkeypatch.setattr(http, "check", spy)
    seen: set[str] = set()
    for method, template, op in operations(document()):
        if method == "GET" or not template.startswith("/api/"):
            continue
        headers = {"Content-Type": "application/json"}
        schemes = {name for entry in op.get("security", []) for name in entry}
        if "staffSession" in schemes and "x-roles" in op:
            headers.update(api.as_role(op["x-roles"][0]))
        if "linkToken" in schemes:
            headers.update(link.headers)
        if "deskLink" in schemes:
            headers.update(desk)
        if "citizenSession" in schemes:
            headers.update(citizen)
        checked.clear()
        answer = api.call(method, _path(template, case_id), headers=headers, raw="{}")
        assert answer.status != 401, (method, template, answer.body)
        assert set(checked) == body_schemas(op), (method, template, checked, answer.body)
        seen.update(checked)
    assert {"case-submission", "accept", "handle-reply", "rating", "dev-clock"} <= seen


def test_roles_and_security_match_the_route_tables() -> None:
    from functions.api.admin import ROUTE_ROLES as ADMIN_ROLES
    from functions.api.audit import ROUTE_ROLES as AUDIT_ROLES
    from functions.api.reviews import ROUTE_ROLES as REVIEW_ROLES
    from functions.api.staff import route_roles

    doc = document()
    tables = {**route_roles(), **REVIEW_ROLES, **ADMIN_ROLES, **AUDIT_ROLES}
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
        if path.startswith("/api/desk") and path != "/api/desk/request":
            assert security == [{"deskLink": []}], (method, path)


def test_the_document_is_served(api: Api) -> None:
    import schemas

    answer = api.get("/api/openapi.json")
    assert answer.status == 200
    assert answer.body == schemas.bundle(document())  # tests/openapi/test_openapi_bundle.py
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert api.get("/api/schemas/openapi").status == 404  # the schema route serves schemas


def test_each_documented_cache_control_is_what_the_route_answers(api: Api) -> None:
    """The GETs that need no parameter, called: the ``Cache-Control`` their success answer
    documents is the one they send."""
    compared = 0
    for method, path, op in operations(document()):
        success = next(v for k, v in op["responses"].items() if k.startswith("2") or k == "default")
        documented = success.get("headers", {}).get("Cache-Control", {}).get("description")
        needs = [p for p in op.get("parameters", []) if p.get("required")]
        if method != "GET" or needs or documented is None:
            continue
        answer = api.get(path)
        assert answer.status == 200, (path, answer.body)
        assert f"`{answer.headers['Cache-Control']}`" == documented, path
        compared += 1
    assert compared >= 7


def test_other_stages_serve_the_document_without_the_dev_routes() -> None:
    here, elsewhere = document(local=True), document(local=False)
    assert not [p for p in elsewhere["paths"] if p.startswith("/api/dev/")]
    kept = {(m, p) for m, p, op in operations(here) if not op.get("x-local-only")}
    assert {(m, p) for m, p, _ in operations(elsewhere)} == kept


def test_the_document_is_made_on_its_first_request_not_when_the_app_is_imported() -> None:
    """Cold starts import the routes and their specs, never the generator or the schemas."""
    probe = (
        "import sys, app; "
        "print(sorted(m for m in ('functions.api.openapi', 'schemas') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"WZ_STAGE": "prod", "AWS_DEFAULT_REGION": "ap-southeast-1", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
