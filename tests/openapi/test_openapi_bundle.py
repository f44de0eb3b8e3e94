"""``schemas.bundle``: the document ``GET /api/openapi.json`` serves holds the request schemas
that the generated document (functions/api/openapi.py) names by file, so it resolves from its
own URL alone, and it says exactly what the generated document and the schema files say
together (``functions/validation.py`` compiles the files; they stay the single source)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

import schemas
from tests.api.test_api_openapi import document as generated_document
from tests.api.test_api_openapi import refs
from tests.openapi.conftest import served

DOCUMENT_URI = schemas.DOCUMENT_URI
# What bundling adds or drops on a copied schema without changing what it accepts.
PACKAGING = {"$schema", "$id", "$defs", "externalDocs"}


def resolver_of(document: dict[str, Any]) -> Any:
    """A ``referencing`` resolver at the document's own URI, the schema files beside it: the
    way functions/validation.py resolves the schemas' ``$ref``s."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    files = [
        (schemas.BASE_URI + f"{n}.json", Resource.from_contents(schemas.load(n)))
        for n in schemas.names()
    ]
    registry: Registry[Any] = Registry().with_resources(
        [*files, (DOCUMENT_URI, DRAFT202012.create_resource(document))]
    )
    return registry.resolver(base_uri=DOCUMENT_URI)


def inlined(node: Any, resolver: Any) -> Any:
    """``node`` with every ``$ref`` replaced by what it points at, recursively."""
    if isinstance(node, list):
        return [inlined(item, resolver) for item in node]
    if not isinstance(node, dict):
        return node
    found: dict[str, Any] = {}
    if isinstance(node.get("$ref"), str):
        target = resolver.lookup(node["$ref"])
        found.update(inlined(target.contents, target.resolver))
    for key, value in node.items():
        if key != "$ref" and key not in PACKAGING:
            found[key] = inlined(value, resolver)
    return found


def test_every_ref_of_the_served_document_points_inside_it() -> None:
    document = served()
    found = list(refs(document))
    assert found and all(ref.startswith("#/components/") for ref in found), found
    resolver = resolver_of(document)
    for ref in found:
        resolver.lookup(ref)  # raises if the component is missing
    assert "CaseSubmissionBody" in document["components"]["schemas"]


def test_the_served_document_says_what_the_generated_one_and_the_schema_files_say() -> None:
    generated = generated_document()
    bundled = served()
    assert bundled == schemas.bundle(generated)
    assert inlined(bundled["paths"], resolver_of(bundled)) == inlined(
        generated["paths"], resolver_of(generated)
    )
    for name, schema in generated["components"]["schemas"].items():
        assert bundled["components"]["schemas"][name] == schema, "kept as written"


def test_each_bundled_body_links_to_its_schema_file_as_the_api_serves_it() -> None:
    bundled = schemas.bundle(generated_document())["components"]["schemas"]
    body = bundled["CaseSubmissionBody"]
    assert body["externalDocs"]["url"] == "/api/schemas/case-submission"
    assert "$id" not in body and "$schema" not in body and "$defs" not in body
    assert body["properties"]["contact"]["properties"]["email"] == {
        "$ref": "#/components/schemas/CommonEmail"
    }
    assert bundled["AdminPolicyFullRow"]["$ref"] == "#/components/schemas/AdminPolicyRow"


def test_a_path_added_later_gets_its_body_bundled_and_the_document_stays_as_read() -> None:
    generated = copy.deepcopy(generated_document())
    before = json.dumps(generated, sort_keys=True)
    generated["paths"]["/api/later"] = {
        "post": {
            "requestBody": {
                "content": {"application/json": {"schema": {"$ref": "handle-reply.json"}}}
            },
            "responses": {"200": {"description": "OK"}},
        }
    }
    bundled = schemas.bundle(generated)
    body = bundled["paths"]["/api/later"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/HandleReplyBody"}
    assert {"HandleReplyBody", "CommonText", "CommonDate"} <= set(bundled["components"]["schemas"])
    del generated["paths"]["/api/later"]
    assert json.dumps(generated, sort_keys=True) == before


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("no-such-file.json", "no schema file"),
        ("https://elsewhere.example/schemas/rating.json", "no schema file"),
        ("rating.json#/properties/rating", "other than one of its $defs"),
        ("common.json#/$defs/no_such_definition", "has no $defs/no_such_definition"),
    ],
)
def test_a_ref_the_bundle_cannot_place_is_refused_by_name(ref: str, problem: str) -> None:
    document = {"openapi": "3.1.0", "paths": {"/x": {"get": {"schema": {"$ref": ref}}}}}
    with pytest.raises(ValueError, match=re.escape(problem)):
        schemas.bundle(document)


def test_a_component_the_document_already_has_is_never_overwritten() -> None:
    document = {
        "paths": {"/x": {"post": {"schema": {"$ref": "rating.json"}}}},
        "components": {"schemas": {"RatingBody": {"type": "string"}}},
    }
    with pytest.raises(ValueError, match="RatingBody is taken"):
        schemas.bundle(document)
